//! Diagnosis rules as data: which findings a cause needs, which rule it out, how sure it is.

use regex::Regex;
use serde::Deserialize;

use crate::session::Finding;

/// The rules bundled with mailwiz.
pub const BUNDLED: &str = include_str!("../../assets/diagnosis.toml");

/// The SMTP findings that say how a connection ended; `every_outcome` looks at these only.
pub const CONNECTION_OUTCOMES: &[&str] = &[
    "smtp.ok",
    "smtp.refused",
    "smtp.timeout",
    "smtp.unreachable",
    "smtp.closed_before_banner",
    "smtp.reset_before_banner",
    "smtp.banner_4xx",
    "smtp.banner_5xx",
    "smtp.closed_after_banner",
    "smtp.no_banner",
    "smtp.line_too_long",
];

/// A test on one finding: its id (a trailing `*` matches a prefix; `*` alone any finding) and
/// optionally a pattern its summary or evidence must match.
#[derive(Debug, Clone)]
pub struct Condition {
    id: String,
    text: Option<Regex>,
}

impl Condition {
    /// True when `finding` satisfies the condition.
    pub fn matches(&self, finding: &Finding) -> bool {
        let id_matches = match self.id.strip_suffix('*') {
            Some(prefix) => finding.id.starts_with(prefix),
            None => finding.id == self.id,
        };
        id_matches
            && self.text.as_ref().is_none_or(|re| {
                // Summary and evidence carry what peers and logs said; the detail is our own prose.
                re.is_match(&finding.summary) || finding.evidence.iter().any(|line| re.is_match(line))
            })
    }

    /// The findings among `findings` that satisfy the condition.
    pub fn matching<'a>(&'a self, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> + 'a {
        findings.iter().filter(|f| self.matches(f))
    }
}

/// A score added when any of its conditions holds.
#[derive(Debug, Clone)]
pub struct Boost {
    pub add: f64,
    pub when: Vec<Condition>,
}

impl Boost {
    /// True when one of the conditions holds for one of `findings`.
    pub fn holds(&self, findings: &[Finding]) -> bool {
        self.when.iter().any(|c| c.matching(findings).next().is_some())
    }
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The cause id, `diagnosis.*`.
    pub cause: String,
    pub confidence: f64,
    pub all: Vec<Condition>,
    pub any: Vec<Condition>,
    pub none: Vec<Condition>,
    pub every_outcome: Vec<String>,
    pub boost: Vec<Boost>,
    pub explanation: String,
    pub actions: Vec<String>,
}

/// Rules that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("the diagnosis rules are not valid: {0}")]
pub struct RuleError(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    cause: String,
    confidence: f64,
    #[serde(default)]
    all: Vec<RawCondition>,
    #[serde(default)]
    any: Vec<RawCondition>,
    #[serde(default)]
    none: Vec<RawCondition>,
    #[serde(default)]
    every_outcome: Vec<String>,
    #[serde(default)]
    boost: Vec<RawBoost>,
    explanation: String,
    actions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCondition {
    Id(String),
    Matching { id: String, text: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoost {
    add: f64,
    when: OneOrMany,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(RawCondition),
    Many(Vec<RawCondition>),
}

impl RawCondition {
    fn compile(self) -> Result<Condition, RuleError> {
        Ok(match self {
            RawCondition::Id(id) => Condition { id, text: None },
            RawCondition::Matching { id, text } => {
                let re = Regex::new(&text).map_err(|err| RuleError(format!("pattern {text:?}: {err}")))?;
                Condition { id, text: Some(re) }
            }
        })
    }
}

fn compile_all(raw: Vec<RawCondition>) -> Result<Vec<Condition>, RuleError> {
    raw.into_iter().map(RawCondition::compile).collect()
}

/// Parses rules from TOML text.
pub fn parse(text: &str) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|err| RuleError(err.message().to_string()))?;
    file.rule
        .into_iter()
        .map(|raw| {
            if crate::session::catalogue::entry(&raw.cause).is_none() {
                return Err(RuleError(format!("{} is not in the finding catalogue", raw.cause)));
            }
            Ok(Rule {
                cause: raw.cause,
                confidence: raw.confidence,
                all: compile_all(raw.all)?,
                any: compile_all(raw.any)?,
                none: compile_all(raw.none)?,
                every_outcome: raw.every_outcome,
                boost: raw
                    .boost
                    .into_iter()
                    .map(|b| {
                        let when = match b.when {
                            OneOrMany::One(c) => vec![c],
                            OneOrMany::Many(cs) => cs,
                        };
                        Ok(Boost { add: b.add, when: compile_all(when)? })
                    })
                    .collect::<Result<_, RuleError>>()?,
                explanation: raw.explanation,
                actions: raw.actions,
            })
        })
        .collect()
}

/// The bundled rules.
pub fn bundled() -> Vec<Rule> {
    parse(BUNDLED).expect("the bundled diagnosis rules are valid")
}
