//! Queue ids are outside input (typed by the user, read from a listing): each MTA's id syntax is
//! checked before an id reaches a command line.

use super::Mta;
use crate::session::escape::escape_str;

/// Longest id accepted; real ids are at most a few dozen characters.
const MAX_ID: usize = 128;

/// Why an id was refused: one sentence naming it, with control bytes escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadId(pub String);

/// Checks `id` against `mta`'s queue id syntax and returns it unchanged when it fits:
/// Postfix `4Jgt2V6BKNz1xy5` or `B9E43CC097` (letters and digits), Exim `1raAO5-0091Cv-IH`
/// (`XXXXXX-YYYYYY-ZZ` or `XXXXXX-YYYYYYYYYYY-ZZZZ`), Sendmail `t9P1AbcD012345` (letters and digits),
/// Exchange `EX01\1234` or `EX01\1234\5678` (server, queue, message).
pub fn check(mta: Mta, id: &str) -> Result<String, BadId> {
    let alnum = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    // `postsuper -d ALL` empties the whole queue, and a leading dash reads as an option: never an id.
    let fits = id.len() <= MAX_ID
        && !id.eq_ignore_ascii_case("all")
        && !id.starts_with('-')
        && match mta {
            Mta::Postfix => alnum(id, 5, 40),
            Mta::Sendmail => alnum(id, 6, 40),
            Mta::Exim => crate::logs::exim::is_message_id(id),
            Mta::Exchange => {
                let parts: Vec<&str> = id.split('\\').collect();
                (2..=3).contains(&parts.len())
                    && parts.iter().all(|p| {
                        !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                    })
            }
        };
    if fits {
        Ok(id.to_string())
    } else {
        let article = if matches!(mta, Mta::Exim | Mta::Exchange) { "an" } else { "a" };
        Err(BadId(format!("\"{}\" is not {article} {} queue id", escape_str(&shorten(id)), mta.name())))
    }
}

fn shorten(id: &str) -> String {
    let mut cut: String = id.chars().take(60).collect();
    if id.chars().count() > 60 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_ids_pass_and_others_do_not() {
        assert!(check(Mta::Postfix, "B9E43CC097").is_ok());
        assert!(check(Mta::Postfix, "4Jgt2V6BKNz1xy5").is_ok());
        assert!(check(Mta::Exim, "1raAO5-0091Cv-IH").is_ok());
        assert!(check(Mta::Exim, "1raAO5-00000091Cvx-IHab").is_ok());
        assert!(check(Mta::Sendmail, "t9P1AbcD012345").is_ok());
        assert!(check(Mta::Exchange, r"EX01\1234\5678").is_ok());
        assert!(check(Mta::Exchange, r"EX01.contoso.com\Unreachable").is_ok());
        for bad in ["-d", "ALL", "B9E4 3CC097", "B9E43CC097;rm", "", "../x"] {
            assert!(check(Mta::Postfix, bad).is_err(), "{bad}");
        }
        assert!(check(Mta::Exim, "1raAO5-0091Cv").is_err());
        assert!(check(Mta::Exchange, r"EX01\'; Remove-Item").is_err());
        let err = check(Mta::Postfix, "a\x1b[2Jb").unwrap_err().to_string();
        assert!(err.contains("\\x1b") && !err.contains('\x1b'), "{err}");
    }

    proptest! {
        #[test]
        fn any_input_is_judged_without_panic_and_nothing_unsafe_passes(id in "\\PC{0,200}|[ -~]{0,60}") {
            for mta in [Mta::Postfix, Mta::Exim, Mta::Sendmail, Mta::Exchange] {
                match check(mta, &id) {
                    Ok(ok) => {
                        prop_assert_eq!(&ok, &id);
                        prop_assert!(!ok.starts_with('-'));
                        prop_assert!(ok.bytes().all(|b| b.is_ascii_alphanumeric() || b"-\\._".contains(&b)));
                    }
                    Err(err) => {
                        let text = err.to_string();
                        prop_assert!(text.len() < 1000);
                        prop_assert!(!text.chars().any(char::is_control));
                    }
                }
            }
        }
    }
}
