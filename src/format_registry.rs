//! The one design both input engines (`queue`, `logs`) use for their formats: each format module
//! exposes a `FORMAT` entry (its name, how it recognises a sample, how it is read), and one
//! `format_registry!` line per format makes the engine's `Format` enum, its `--format` values,
//! detection and dispatch.

/// How much of an input's start is read to tell its format.
pub const SAMPLE_BYTES: usize = 64 * 1024;

/// How sure a format is that a sample is its own: 0 is "not mine"; the highest wins, and a tie
/// goes to the format registered first.
pub type Confidence = u64;

/// Lines of a log sample that are scored.
const SCORED_LINES: usize = 400;

/// For logs, where every line counts: the sum of `score` over the sample's first non-empty lines.
pub fn score_lines(sample: &str, mut score: impl FnMut(&str) -> u32) -> Confidence {
    sample.lines().take(SCORED_LINES).map(str::trim_end).filter(|l| !l.is_empty()).map(|l| u64::from(score(l))).sum()
}

/// For listings, where the first telling line decides: the earlier the first line `claims`, the
/// surer.
pub fn first_line(sample: &str, claims: impl Fn(&str) -> bool) -> Confidence {
    let lines = sample.lines().filter(|l| !l.trim().is_empty());
    lines.enumerate().find(|(_, l)| claims(l)).map_or(0, |(i, _)| Confidence::MAX - i as Confidence)
}

/// Makes an engine's `Format` enum from one line per format, `Variant => module`, where
/// `super::module::FORMAT` is that format's entry of type `$spec` (with `name` and
/// `sniff: fn(&str) -> Confidence` fields). The order of the lines is the order of `--format`'s
/// values and detection's preference on a tie.
macro_rules! format_registry {
    ($spec:ty; $($(#[$doc:meta])* $variant:ident => $module:ident,)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Format {
            $($(#[$doc])* $variant,)+
        }

        impl Format {
            /// Every format, in registry order.
            pub const ALL: [Format; [$(stringify!($variant)),+].len()] = [$(Format::$variant,)+];

            /// The format's entry: its name, detector and parser.
            pub fn spec(self) -> &'static $spec {
                match self {
                    $(Format::$variant => &super::$module::FORMAT,)+
                }
            }

            /// The name used on the command line and in JSON.
            pub fn name(self) -> &'static str {
                self.spec().name
            }

            /// A format by its name.
            pub fn from_name(name: &str) -> Option<Format> {
                Format::ALL.iter().copied().find(|f| f.name() == name)
            }

            /// The format surest that `sample` is its own, or `None` when none claims it.
            pub fn sniff(sample: &str) -> Option<Format> {
                let scored = Format::ALL.iter().map(|f| (*f, (f.spec().sniff)(sample)));
                // `max_by_key` keeps the last of equals: reversed, the first registered wins a tie.
                let (format, confidence) = scored.rev().max_by_key(|(_, c)| *c)?;
                (confidence > 0).then_some(format)
            }
        }

        impl std::fmt::Display for Format {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl serde::Serialize for Format {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl clap::ValueEnum for Format {
            fn value_variants<'a>() -> &'a [Self] {
                &Format::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.name()))
            }
        }
    };
}

pub(crate) use format_registry;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_lines_and_more_lines_are_surer() {
        let sample = "\nnoise\nyes 1\nyes 2\n";
        assert_eq!(first_line(sample, |l| l.starts_with("yes")), Confidence::MAX - 1);
        assert_eq!(first_line(sample, |l| l.starts_with("no")), Confidence::MAX);
        assert_eq!(first_line(sample, |_| false), 0);
        assert_eq!(score_lines(sample, |l| u32::from(l.starts_with("yes")) * 2), 4);
    }
}
