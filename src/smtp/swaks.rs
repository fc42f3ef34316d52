//! The probe as one swaks command line, so it can be run as it stands from another box or handed
//! to a colleague: `--server`, `--port`, `--ehlo`, `--from`, `--to`, `--quit-after`, and `--tls`
//! when STARTTLS is used. Never DATA: swaks quits after RCPT at the latest.

use super::probe::{ProbeRequest, ProbeResult, Stage};

/// The swaks command line for `request` against `server:port`, quoted for a POSIX shell.
/// `starttls` says whether STARTTLS was (or is to be) used.
pub fn command_line(server: &str, port: u16, request: &ProbeRequest, starttls: bool) -> String {
    let to = request.to.clone().unwrap_or_else(|| format!("postmaster@{}", server.trim_matches(['[', ']'])));
    // Without a recipient of ours the probe stops at MAIL; swaks still wants one to start.
    let quit_after = match (request.quit_after, request.to.is_some()) {
        (Some(stage), _) => stage,
        (None, true) => Stage::Rcpt,
        (None, false) => Stage::Mail,
    };
    let from = if request.from.is_empty() { "<>" } else { request.from.as_str() };
    let mut words: Vec<String> = vec!["swaks".into()];
    for (flag, value) in [
        ("--server", server.trim_matches(['[', ']'])),
        ("--port", &port.to_string()),
        ("--ehlo", &request.ehlo),
        ("--from", from),
        ("--to", &to),
        ("--quit-after", swaks_stage(quit_after)),
    ] {
        words.push(flag.into());
        words.push(quote(value));
    }
    if request.implicit_tls {
        words.push("--tls-on-connect".into());
    } else if starttls {
        words.push("--tls".into());
    }
    words.join(" ")
}

/// The swaks line that repeats a probe that ran, from what it sent: the EHLO name, the envelope
/// and whether STARTTLS took. `None` when the probe sent no EHLO.
pub fn from_result(result: &ProbeResult) -> Option<String> {
    let sent = |stage: &str| result.stages.iter().find(|s| s.stage == stage).map(|s| s.command.clone());
    let ehlo = sent("ehlo")?.split_once(' ').map(|(_, name)| name.to_string())?;
    let envelope = |command: Option<String>| {
        command.and_then(|c| c.split_once('<').map(|(_, rest)| rest.trim_end_matches('>').to_string()))
    };
    let request = ProbeRequest {
        ehlo,
        from: envelope(sent("mail")).unwrap_or_default(),
        to: envelope(sent("rcpt")),
        starttls: result.tls.is_some(),
        quit_after: None,
        implicit_tls: false,
    };
    let host =
        if result.connect.host.is_empty() { result.connect.addr.ip().to_string() } else { result.connect.host.clone() };
    Some(command_line(&host, result.connect.addr.port(), &request, result.tls.is_some()))
}

/// swaks' name for a stage of `--quit-after`.
fn swaks_stage(stage: Stage) -> &'static str {
    match stage {
        Stage::Connect => "CONNECT",
        Stage::Banner => "BANNER",
        Stage::Ehlo => "FIRST-HELO",
        Stage::Starttls => "TLS",
        Stage::Mail => "MAIL",
        Stage::Rcpt => "RCPT",
    }
}

/// One shell word; a value no shell can carry (a NUL byte) becomes empty rather than unquoted.
fn quote(value: &str) -> String {
    shlex::try_quote(value).map(std::borrow::Cow::into_owned).unwrap_or_else(|_| "''".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ProbeRequest {
        ProbeRequest {
            ehlo: "mail.example.com".into(),
            from: "billing@example.com".into(),
            to: Some("alice@bank.example".into()),
            starttls: true,
            quit_after: None,
            implicit_tls: false,
        }
    }

    #[test]
    fn the_probe_becomes_one_runnable_line() {
        assert_eq!(
            command_line("mx1.bank.example", 25, &request(), true),
            "swaks --server mx1.bank.example --port 25 --ehlo mail.example.com --from billing@example.com \
             --to alice@bank.example --quit-after RCPT --tls"
        );
        let null_sender = ProbeRequest { from: String::new(), to: None, ..request() };
        assert_eq!(
            command_line("[2001:db8::25]", 2525, &null_sender, false),
            "swaks --server 2001:db8::25 --port 2525 --ehlo mail.example.com --from '<>' \
             --to postmaster@2001:db8::25 --quit-after MAIL"
        );
    }

    #[test]
    fn hostile_values_stay_one_quoted_word() {
        let hostile = ProbeRequest { ehlo: "x; rm -rf / $(id) `id`\n".into(), ..request() };
        let line = command_line("mx", 25, &hostile, false);
        let words = shlex::split(&line).expect("splits back");
        assert_eq!(words[6], "x; rm -rf / $(id) `id`\n");
        assert_eq!(words.len(), 13);
    }
}
