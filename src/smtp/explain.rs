//! The reply explainer: reply code, enhanced status code and provider texts → meaning, likely
//! cause, fix. The table is `assets/smtp-codes.toml`, embedded; a file of the same shape in the
//! config directory adds to it and overrides entries with the same key.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::classify::{Classification, Classifier, ReasonClass, ReplyStage};
use super::reply::Reply;
use crate::session::Finding;

const BUNDLED: &str = include_str!("../../assets/smtp-codes.toml");

/// What an entry says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub meaning: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cause: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderSpec {
    name: String,
    pattern: String,
    meaning: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    fix: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Table {
    reply: BTreeMap<String, Entry>,
    enhanced: BTreeMap<String, Entry>,
    provider: Vec<ProviderSpec>,
}

#[derive(Debug)]
struct Provider {
    name: String,
    pattern: Regex,
    entry: Entry,
}

/// One explained aspect of a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    /// What was explained: `550`, `5.7.1`, or a provider name.
    pub key: String,
    #[serde(flatten)]
    pub entry: Entry,
    /// True when only a class or subject fallback matched.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub general: bool,
}

/// The explanation of one reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub code: Option<Explained>,
    pub enhanced: Option<Explained>,
    pub providers: Vec<Explained>,
    /// Why the receiver refused or deferred us, for a failure reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Classification>,
}

impl Explanation {
    /// The most specific fix offered.
    pub fn fix(&self) -> Option<&str> {
        self.providers
            .iter()
            .chain(self.enhanced.iter())
            .chain(self.code.iter())
            .map(|e| e.entry.fix.as_str())
            .find(|f| !f.is_empty())
    }

    /// The most specific cause offered.
    pub fn cause(&self) -> Option<&str> {
        self.providers
            .iter()
            .chain(self.enhanced.iter().filter(|e| !e.general))
            .chain(self.code.iter())
            .map(|e| e.entry.cause.as_str())
            .find(|c| !c.is_empty())
    }

    /// Short readable lines: `550: meaning`, `5.7.1: meaning`, `Gmail: meaning`, cause, fix.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .code
            .iter()
            .chain(self.enhanced.iter())
            .chain(self.providers.iter())
            .map(|e| format!("{}: {}", e.key, e.entry.meaning))
            .collect();
        if let Some(reason) = self.reason.as_ref().filter(|r| r.class != ReasonClass::Unknown) {
            lines.push(format!("reason: {}", reason.describe()));
            if let Some(delist) = &reason.delist {
                lines.push(format!("delisting: {delist}"));
            }
        }
        if let Some(cause) = self.cause() {
            lines.push(format!("likely cause: {cause}"));
        }
        if let Some(fix) = self.fix() {
            lines.push(format!("fix: {fix}"));
        }
        lines
    }

    /// The meaning in one sentence, most specific first.
    pub fn summary(&self) -> String {
        self.providers
            .first()
            .or(self.enhanced.as_ref().filter(|e| !e.general))
            .or(self.code.as_ref())
            .map(|e| e.entry.meaning.clone())
            .unwrap_or_else(|| "not a known reply".into())
    }
}

/// The loaded table.
#[derive(Debug)]
pub struct Explainer {
    reply: BTreeMap<String, Entry>,
    enhanced: BTreeMap<String, Entry>,
    providers: Vec<Provider>,
}

/// Why a table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("the SMTP code table {origin} is not valid: {message}")]
    Invalid { origin: String, message: String },
}

impl Explainer {
    /// The bundled table only.
    pub fn bundled() -> Explainer {
        Explainer::from_toml(BUNDLED, "bundled").expect("the bundled smtp-codes.toml is valid")
    }

    /// A table from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Explainer, ExplainError> {
        let invalid = |message: String| ExplainError::Invalid { origin: origin.to_string(), message };
        let table: Table = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        let mut explainer = Explainer { reply: BTreeMap::new(), enhanced: BTreeMap::new(), providers: Vec::new() };
        explainer.merge(table).map_err(invalid)?;
        Ok(explainer)
    }

    /// The bundled table with the user's file on top.
    pub fn with_overrides(path: &Path) -> Result<Explainer, ExplainError> {
        let mut explainer = Explainer::bundled();
        let origin = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(explainer),
            Err(err) => return Err(ExplainError::Invalid { origin, message: err.to_string() }),
        };
        let table: Table = toml::from_str(&text)
            .map_err(|e| ExplainError::Invalid { origin: origin.clone(), message: e.message().to_string() })?;
        explainer.merge(table).map_err(|message| ExplainError::Invalid { origin, message })?;
        Ok(explainer)
    }

    /// The process-wide explainer: bundled plus `config_dir()/smtp-codes.toml`. A broken user
    /// file is reported once on the log and ignored.
    pub fn global() -> &'static Explainer {
        static GLOBAL: OnceLock<Explainer> = OnceLock::new();
        GLOBAL.get_or_init(|| match crate::config::paths::config_dir() {
            Some(dir) => Explainer::with_overrides(&dir.join("smtp-codes.toml")).unwrap_or_else(|err| {
                tracing::warn!("{err}");
                Explainer::bundled()
            }),
            None => Explainer::bundled(),
        })
    }

    fn merge(&mut self, table: Table) -> Result<(), String> {
        self.reply.extend(table.reply);
        self.enhanced.extend(table.enhanced);
        let mut added = Vec::new();
        for spec in table.provider {
            let pattern = Regex::new(&format!("(?i){}", spec.pattern))
                .map_err(|e| format!("provider \"{}\" has a bad pattern: {e}", spec.name))?;
            self.providers.retain(|p| p.name != spec.name);
            let entry = Entry { meaning: spec.meaning, cause: spec.cause, fix: spec.fix };
            added.push(Provider { name: spec.name, pattern, entry });
        }
        // Added or overriding providers are tried first.
        added.append(&mut self.providers);
        self.providers = added;
        Ok(())
    }

    /// The entry for a three-digit reply code, falling back to its class.
    pub fn code(&self, code: u16) -> Option<Explained> {
        if let Some(entry) = self.reply.get(&code.to_string()) {
            return Some(Explained { key: code.to_string(), entry: entry.clone(), general: false });
        }
        let class = (code / 100).to_string();
        self.reply.get(&class).map(|entry| Explained { key: code.to_string(), entry: entry.clone(), general: true })
    }

    /// The entry for an enhanced status code: exact, `X.s.d`, `X.s`, then the class.
    pub fn enhanced(&self, code: super::reply::EnhancedCode) -> Option<Explained> {
        let key = code.to_string();
        let exact = [key.clone(), format!("X.{}.{}", code.subject, code.detail)];
        // `X.0.0` says nothing the reply code does not; it counts as general.
        let general = code.subject == 0 && code.detail == 0;
        for candidate in &exact {
            if let Some(entry) = self.enhanced.get(candidate) {
                return Some(Explained { key: key.clone(), entry: entry.clone(), general });
            }
        }
        let subject = self.enhanced.get(&format!("X.{}", code.subject));
        let class = self.enhanced.get(&code.class.to_string());
        let entry = match (subject, class) {
            (Some(subject), Some(class)) => Entry {
                meaning: format!("{} {}", class.meaning, subject.meaning),
                cause: subject.cause.clone(),
                fix: subject.fix.clone(),
            },
            (Some(entry), None) | (None, Some(entry)) => entry.clone(),
            (None, None) => return None,
        };
        Some(Explained { key, entry, general: true })
    }

    /// Every provider pattern that matches `text`.
    pub fn providers(&self, text: &str) -> Vec<Explained> {
        self.providers
            .iter()
            .filter(|p| p.pattern.is_match(text))
            .map(|p| Explained { key: p.name.clone(), entry: p.entry.clone(), general: false })
            .collect()
    }

    /// The meaning of `reply` in one sentence, most specific first: a provider's own code
    /// (`Microsoft: …`, `Gmail: …`), the enhanced status code, the reply code, then the provider
    /// alone (`Gmail`); `None` when only the class of the first digit is known.
    pub fn specific_summary(&self, reply: &Reply) -> Option<String> {
        let providers = self.providers(&reply.text_lossy());
        let (coded, named): (Vec<_>, Vec<_>) = providers.into_iter().partition(|p| p.key.contains(':'));
        coded
            .into_iter()
            .chain(reply.enhanced().and_then(|e| self.enhanced(e)).filter(|e| !e.general))
            .chain(reply.code.and_then(|c| self.code(c)).filter(|e| !e.general))
            .chain(named)
            .map(|e| e.entry.meaning)
            .next()
    }

    /// Explains a whole reply received at `stage`; a failure reply is also classified.
    pub fn explain(&self, reply: &Reply, stage: ReplyStage) -> Explanation {
        Explanation {
            code: reply.code.and_then(|c| self.code(c)),
            enhanced: reply.enhanced().and_then(|e| self.enhanced(e)),
            providers: self.providers(&reply.text_lossy()),
            reason: (!reply.is_positive() && reply.code.is_some())
                .then(|| Classifier::bundled().classify_reply(reply, stage)),
        }
    }

    /// The `smtp.reply_explained` finding for a failure reply received at `stage`, carrying its
    /// reason class for the diagnosis; `None` for 2xx/3xx.
    pub fn finding(&self, reply: &Reply, stage: ReplyStage) -> Option<Finding> {
        if reply.is_positive() {
            return None;
        }
        let explanation = self.explain(reply, stage);
        let shown = reply.one_line();
        let finding = Finding::new(
            "smtp.reply_explained",
            &[("reply", &shown), ("meaning", &explanation.summary()), ("fix", explanation.fix().unwrap_or(""))],
        )
        .with_args(explanation.reason.iter().flat_map(Classification::args))
        .with_evidence(reply.display_lines())
        .with_detail(explanation.lines().join("\n"));
        Some(finding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_codes_enhanced_codes_and_providers() {
        let explainer = Explainer::bundled();
        let reply = Reply::parse(
            "550-5.7.25 [192.0.2.1] The IP address sending this message does not have a\n\
             550-5.7.25 PTR record setup. As a policy, Gmail does not accept messages\n\
             550 5.7.25 from IPs with missing PTR records. - gsmtp",
        );
        let explained = explainer.explain(&reply, ReplyStage::Unknown);
        assert_eq!(explained.code.as_ref().unwrap().key, "550");
        assert!(explained.enhanced.as_ref().unwrap().entry.meaning.contains("Reverse DNS"));
        let names: Vec<&str> = explained.providers.iter().map(|p| p.key.as_str()).collect();
        assert!(names.contains(&"Gmail: missing PTR"), "{names:?}");
        assert!(explained.fix().unwrap().contains("PTR"));
        // A filtering service's own code is explained by the service's list of codes.
        let explained = explainer.explain(&Reply::parse("550 5.7.1 XGEMAIL_0011 Command rejected"), ReplyStage::Rcpt);
        let sophos = explained.providers.iter().find(|p| p.key == "Sophos Email").expect("Sophos named");
        assert!(sophos.entry.meaning.contains("0011 an unknown recipient"), "{}", sophos.entry.meaning);
    }

    #[test]
    fn sendmails_relay_refusal_for_an_unnamed_address_gives_both_readings() {
        // cf/m4/proto.m4: check_rcpt asks about our name (client_resolve) only in Relay_ok, when
        // the recipient's domain is none the host takes mail for.
        let explainer = Explainer::bundled();
        let reply =
            Reply::parse("550 5.7.1 <user@example.com>... Relaying denied. IP name lookup failed [203.0.113.111]");
        let explained = explainer.explain(&reply, ReplyStage::Rcpt);
        assert_eq!(explained.reason.as_ref().unwrap().class, ReasonClass::RelayDenied);
        assert!(explained.providers[0].key.starts_with("Sendmail"), "{:?}", explained.providers);
        let cause = explained.cause().unwrap();
        assert!(cause.contains("MX") && cause.contains("reverse DNS"), "{cause}");
        let fix = explained.fix().unwrap();
        assert!(fix.contains("MX") && fix.contains("PTR"), "{fix}");
        // The same words at connect are a plain reverse DNS check (Momentum's fcdns policy).
        let reply = Reply::parse("554 5.5.4 Relaying denied. IP name lookup failed for 203.0.113.9");
        let explained = explainer.explain(&reply, ReplyStage::Greeting);
        assert_eq!(explained.reason.as_ref().unwrap().class, ReasonClass::OurPtr);
        assert!(explained.providers.iter().all(|p| !p.key.starts_with("Sendmail")), "{:?}", explained.providers);
    }

    #[test]
    fn falls_back_to_subject_and_class() {
        let explainer = Explainer::bundled();
        let explained = explainer.explain(&Reply::parse("550 5.12.345 odd"), ReplyStage::Unknown);
        assert!(explained.enhanced.unwrap().general);
        let explained = explainer.explain(&Reply::parse("459 something"), ReplyStage::Unknown);
        assert!(explained.code.unwrap().general);
    }

    #[test]
    fn overrides_replace_and_add() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smtp-codes.toml");
        std::fs::write(
            &path,
            "[reply]\n\"421\" = { meaning = \"ours\" }\n[[provider]]\nname = \"Acme\"\npattern = 'acme-block'\nmeaning = \"Acme blocks\"\n",
        )
        .unwrap();
        let explainer = Explainer::with_overrides(&path).unwrap();
        assert_eq!(explainer.code(421).unwrap().entry.meaning, "ours");
        assert_eq!(explainer.providers("550 ACME-BLOCK here")[0].key, "Acme");
        std::fs::write(&path, "[[provider]]\nname = \"x\"\npattern = '('\nmeaning = \"m\"\n").unwrap();
        assert!(Explainer::with_overrides(&path).unwrap_err().to_string().contains("bad pattern"));
    }
}
