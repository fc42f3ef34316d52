//! Diagnosis rules as data: which findings a cause needs, which rule it out, how sure it is.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::config::Family;
use crate::session::vocabulary::{self, REPLY_CLASSES, REPLY_STAGES};
use crate::session::{Finding, Severity, catalogue};

/// The rules bundled with mailwiz.
pub const BUNDLED: &str = include_str!("../../assets/diagnosis.toml");

/// A test on one finding: its id (a trailing `*` matches a prefix; `*` alone any finding, a
/// named set any id of the set), and optionally a pattern its summary or evidence must match, the
/// reason classes and stages of the reply it carries, its severity and the address family of the
/// path it is about ([`Finding::path_family`]).
#[derive(Debug, Clone)]
pub struct Condition {
    ids: Vec<String>,
    text: Option<Regex>,
    classes: Vec<&'static str>,
    stages: Vec<&'static str>,
    severity: Option<Severity>,
    family: Option<Family>,
}

impl Condition {
    /// True when `finding` satisfies the condition.
    pub fn matches(&self, finding: &Finding) -> bool {
        let id_matches = self.ids.iter().any(|id| match id.strip_suffix('*') {
            Some(prefix) => finding.id.starts_with(prefix),
            None => finding.id == *id,
        });
        let arg_in =
            |name: &str, names: &[&str]| names.is_empty() || finding.arg(name).is_some_and(|v| names.contains(&v));
        id_matches
            && arg_in("class", &self.classes)
            && arg_in("stage", &self.stages)
            && self.severity.is_none_or(|s| finding.severity == s)
            && self.family.is_none_or(|f| finding.path_family() == Some(f))
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
    /// When the rule blames one of our defects (`[seen]`), the first stage at which the receiver
    /// can see it: only refusals from that stage on are symptoms the defect may explain.
    pub seen_from: Option<Stage>,
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
    #[serde(default)]
    sets: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    seen: BTreeMap<String, Vec<String>>,
    rule: Vec<RawRule>,
}

/// A point of the SMTP dialogue, in dialogue order: what the receiver has seen of us by then.
/// A reply of unknown stage counts as the greeting, the least it proves was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stage(usize);

impl Stage {
    /// The stage named as in findings and rules (`greeting` … `end_of_data`, `unknown`).
    pub fn named(name: &str) -> Option<Stage> {
        if name == "unknown" {
            return Some(Stage(0));
        }
        REPLY_STAGES.iter().position(|s| *s == name).map(Stage)
    }

    /// The stage's name.
    pub fn name(self) -> &'static str {
        REPLY_STAGES[self.0]
    }
}

/// Our defects and the stage from which the receiver can see each (`[seen]` of the rules).
#[derive(Debug, Clone, Default)]
pub struct Defects(Vec<(String, Stage)>);

impl Defects {
    /// The stage from which the receiver sees the defect `id`; `None` when `id` is no defect.
    pub fn seen_from(&self, id: &str) -> Option<Stage> {
        self.0.iter().find(|(d, _)| d == id).map(|(_, s)| *s)
    }
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
    Table(RawTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    set: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    class: Vec<String>,
    #[serde(default)]
    stage: Vec<String>,
    #[serde(default)]
    severity: Option<Severity>,
    /// `ipv4` or `ipv6`.
    #[serde(default)]
    family: Option<String>,
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

/// Checks ids against the catalogue and compiles conditions.
struct Compiler<'a> {
    sets: &'a BTreeMap<String, Vec<String>>,
    defects: &'a Defects,
}

impl Compiler<'_> {
    fn id(id: &str) -> Result<(), RuleError> {
        let known = match id.strip_suffix('*') {
            Some("") => true,
            Some(prefix) => catalogue::CATALOGUE.iter().any(|e| e.id.starts_with(prefix)),
            None => catalogue::entry(id).is_some(),
        };
        if known { Ok(()) } else { Err(RuleError(format!("{id} is not in the finding catalogue"))) }
    }

    fn condition(&self, raw: RawCondition) -> Result<Condition, RuleError> {
        let table = match raw {
            RawCondition::Id(id) => RawTable {
                id: Some(id),
                set: None,
                text: None,
                class: Vec::new(),
                stage: Vec::new(),
                severity: None,
                family: None,
            },
            RawCondition::Table(table) => table,
        };
        let ids = match (table.id, table.set) {
            (Some(_), Some(_)) => return Err(RuleError("a condition names both an id and a set".into())),
            (Some(id), None) => vec![id],
            (None, Some(set)) => {
                self.sets.get(&set).cloned().ok_or_else(|| RuleError(format!("there is no set named {set}")))?
            }
            (None, None) => vec!["*".to_string()],
        };
        for id in &ids {
            Self::id(id)?;
        }
        let text =
            table.text.map(|t| Regex::new(&t).map_err(|err| RuleError(format!("pattern {t:?}: {err}")))).transpose()?;
        let known = |name: &String, words: &[&'static str], what: &str| {
            words.iter().copied().find(|w| w == name).ok_or_else(|| RuleError(format!("{name} is not a reply {what}")))
        };
        let classes = table.class.iter().map(|c| known(c, REPLY_CLASSES, "class")).collect::<Result<_, _>>()?;
        let stages = table.stage.iter().map(|s| known(s, REPLY_STAGES, "stage")).collect::<Result<_, _>>()?;
        let family = match table.family.as_deref() {
            None => None,
            Some("ipv4") => Some(Family::V4),
            Some("ipv6") => Some(Family::V6),
            Some(other) => return Err(RuleError(format!("{other} is not an address family (ipv4, ipv6)"))),
        };
        Ok(Condition { ids, text, classes, stages, severity: table.severity, family })
    }

    fn conditions(&self, raw: Vec<RawCondition>) -> Result<Vec<Condition>, RuleError> {
        raw.into_iter().map(|c| self.condition(c)).collect()
    }

    fn rule(&self, raw: RawRule) -> Result<Rule, RuleError> {
        if !raw.cause.starts_with("diagnosis.") || catalogue::entry(&raw.cause).is_none() {
            return Err(RuleError(format!("{} is not a diagnosis id in the finding catalogue", raw.cause)));
        }
        for id in &raw.every_outcome {
            if !vocabulary::is_connection_outcome(id) {
                return Err(RuleError(format!("{id} is not a connection outcome")));
            }
        }
        // The latest stage at which a defect the rule requires becomes visible.
        let seen_from = raw
            .all
            .iter()
            .flat_map(|c| match c {
                RawCondition::Id(id) => vec![id.clone()],
                RawCondition::Table(t) => match (&t.id, &t.set) {
                    (Some(id), _) => vec![id.clone()],
                    (None, Some(set)) => self.sets.get(set).cloned().unwrap_or_default(),
                    (None, None) => Vec::new(),
                },
            })
            .filter_map(|id| self.defects.seen_from(&id))
            .max();
        let boost = raw
            .boost
            .into_iter()
            .map(|b| {
                let when = match b.when {
                    OneOrMany::One(c) => vec![c],
                    OneOrMany::Many(cs) => cs,
                };
                Ok(Boost { add: b.add, when: self.conditions(when)? })
            })
            .collect::<Result<_, RuleError>>()?;
        Ok(Rule {
            cause: raw.cause,
            confidence: raw.confidence,
            seen_from,
            all: self.conditions(raw.all)?,
            any: self.conditions(raw.any)?,
            none: self.conditions(raw.none)?,
            every_outcome: raw.every_outcome,
            boost,
            explanation: raw.explanation,
            actions: raw.actions,
        })
    }
}

/// Parses rules from TOML text. Every id a rule names must be in the finding catalogue, every
/// class and stage known, so a typo fails here instead of never matching.
pub fn parse(text: &str) -> Result<Vec<Rule>, RuleError> {
    parse_with_defects(text).map(|(rules, _)| rules)
}

fn parse_with_defects(text: &str) -> Result<(Vec<Rule>, Defects), RuleError> {
    let file: RuleFile = toml::from_str(text).map_err(|err| RuleError(err.message().to_string()))?;
    for ids in file.sets.values() {
        for id in ids {
            Compiler::id(id)?;
        }
    }
    let mut defects = Vec::new();
    for (stage, ids) in &file.seen {
        let at = Stage::named(stage).ok_or_else(|| RuleError(format!("{stage} is not a reply stage")))?;
        for id in ids {
            if catalogue::entry(id).is_none() {
                return Err(RuleError(format!("{id} is not in the finding catalogue")));
            }
            defects.push((id.clone(), at));
        }
    }
    let defects = Defects(defects);
    let compiler = Compiler { sets: &file.sets, defects: &defects };
    let rules = file.rule.into_iter().map(|raw| compiler.rule(raw)).collect::<Result<_, _>>()?;
    Ok((rules, defects))
}

/// The bundled rules.
pub fn bundled() -> Vec<Rule> {
    parse(BUNDLED).expect("the bundled diagnosis rules are valid")
}

/// Our defects the bundled rules know, with the stage from which the receiver sees each.
pub fn bundled_defects() -> &'static Defects {
    static DEFECTS: std::sync::OnceLock<Defects> = std::sync::OnceLock::new();
    DEFECTS.get_or_init(|| parse_with_defects(BUNDLED).expect("the bundled diagnosis rules are valid").1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str =
        "[[rule]]\ncause = \"diagnosis.greylisted\"\nconfidence = 0.5\nexplanation = \"e\"\nactions = []\n";

    #[test]
    fn the_bundled_rules_name_only_catalogued_ids_classes_and_stages() {
        let rules = parse(BUNDLED).unwrap_or_else(|err| panic!("{err}"));
        // Every cause of the catalogue has a rule, so none of them is dead text.
        for entry in catalogue::CATALOGUE.iter().filter(|e| e.id.starts_with("diagnosis.")) {
            assert!(rules.iter().any(|r| r.cause == entry.id), "no rule gives {}", entry.id);
        }
    }

    #[test]
    fn a_typo_anywhere_is_an_error_not_a_rule_that_never_matches() {
        let cases = [
            (format!("{RULE}any = [\"ptr.mising\"]\n"), "ptr.mising is not in the finding catalogue"),
            (
                format!("{RULE}none = [{{ id = \"smtp.rcpt_rejectd\", class = [\"greylisted\"] }}]\n"),
                "smtp.rcpt_rejectd",
            ),
            (format!("{RULE}any = [{{ class = [\"greylisting\"] }}]\n"), "greylisting is not a reply class"),
            (format!("{RULE}any = [{{ stage = [\"end_of_date\"] }}]\n"), "end_of_date is not a reply stage"),
            (format!("{RULE}any = [{{ set = \"replies\" }}]\n"), "there is no set named replies"),
            (format!("{RULE}any = [\"dsn.*\"]\n"), "dsn.* is not in the finding catalogue"),
            (format!("[sets]\nx = [\"smtp.okk\"]\n{RULE}"), "smtp.okk"),
            (RULE.replace("diagnosis.greylisted", "diagnosis.greylist"), "diagnosis.greylist is not a diagnosis id"),
            (format!("{RULE}every_outcome = [\"smtp.rcpt_rejected\"]\n"), "is not a connection outcome"),
            (format!("{RULE}any = [{{ id = \"ptr.missing\", family = \"ip6\" }}]\n"), "ip6 is not an address family"),
        ];
        for (text, expected) in cases {
            let err = parse(&text).expect_err(&text).to_string();
            assert!(err.contains(expected), "{err} (expected {expected})");
        }
        assert_eq!(
            parse(&format!("{RULE}any = [{{ set = \"x\" }}]\n[sets]\nx = [\"smtp.ok\", \"log.*\"]\n")).unwrap().len(),
            1
        );
    }
}
