//! The reply classifier: one reading of every SMTP reply, whether the probe, the raw console, the
//! queue's delay reason or a log line brought it. The stage, the reply code, the enhanced status
//! code and the text give a [`ReasonClass`] — the reason the receiver refused or deferred us — and,
//! where the text names it, the block list or reputation system and its delisting page.
//!
//! The rules are data (`assets/reply-classes.toml`). Order of evidence (RFC 3463): a specific
//! enhanced code decides first (`5.1.1` is addressing, `5.7.25` reverse DNS), then the text, then
//! the plain code and generic enhanced codes (`5.7.x` is some policy).

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::reply::{EnhancedCode, Reply};

const BUNDLED: &str = include_str!("../../assets/reply-classes.toml");

/// The point of the SMTP dialogue a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyStage {
    Greeting,
    Ehlo,
    Starttls,
    Mail,
    Rcpt,
    Data,
    EndOfData,
    Unknown,
}

impl ReplyStage {
    /// Every stage, in dialogue order.
    pub const ALL: [ReplyStage; 8] = [
        ReplyStage::Greeting,
        ReplyStage::Ehlo,
        ReplyStage::Starttls,
        ReplyStage::Mail,
        ReplyStage::Rcpt,
        ReplyStage::Data,
        ReplyStage::EndOfData,
        ReplyStage::Unknown,
    ];

    /// The snake-case name used in findings and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyStage::Greeting => "greeting",
            ReplyStage::Ehlo => "ehlo",
            ReplyStage::Starttls => "starttls",
            ReplyStage::Mail => "mail",
            ReplyStage::Rcpt => "rcpt",
            ReplyStage::Data => "data",
            ReplyStage::EndOfData => "end_of_data",
            ReplyStage::Unknown => "unknown",
        }
    }

    /// The stage named `name` (as [`ReplyStage::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<ReplyStage> {
        ReplyStage::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The stage a command line typed or sent starts (`RCPT TO:<a@b>` → RCPT). A line of
    /// message text is not a command; `.` ends the data.
    pub fn of_command(line: &str) -> Option<ReplyStage> {
        let word = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        Some(match word.as_str() {
            "EHLO" | "HELO" | "LHLO" => ReplyStage::Ehlo,
            "STARTTLS" => ReplyStage::Starttls,
            "MAIL" => ReplyStage::Mail,
            "RCPT" => ReplyStage::Rcpt,
            "DATA" | "BDAT" => ReplyStage::Data,
            "." if line.trim() == "." => ReplyStage::EndOfData,
            _ => return None,
        })
    }

    /// The stage an MTA wrote beside a reply: Postfix `(in reply to end of DATA command)` and
    /// `while receiving the initial server greeting`, Exim `SMTP error from remote mail server
    /// after RCPT TO:<…>`.
    pub fn from_mta_text(text: &str) -> Option<ReplyStage> {
        static STAGE: OnceLock<Regex> = OnceLock::new();
        let re = STAGE.get_or_init(|| {
            Regex::new(concat!(
                r"(?i)in reply to (?P<postfix>end of data|data|rcpt to|mail from|ehlo|helo|lhlo|starttls|xforward|xclient)\b",
                r"|(?:after|in response to) (?P<exim>initial connection|end of data|pipelined data|data|rcpt to|mail from|ehlo|helo|starttls)\b",
                r"|while (?:receiving|sending|performing) (?:the )?(?P<during>initial server greeting|ehlo|helo|mail from|rcpt to|data command|end of data|message body|starttls)",
                r"|(?P<refused>refused to talk to me)",
            ))
            .expect("the stage pattern is valid")
        });
        let caps = re.captures(text)?;
        if caps.name("refused").is_some() {
            return Some(ReplyStage::Greeting);
        }
        let word = ["postfix", "exim", "during"].iter().find_map(|n| caps.name(n))?.as_str().to_ascii_lowercase();
        Some(match word.as_str() {
            "initial connection" | "initial server greeting" => ReplyStage::Greeting,
            "ehlo" | "helo" | "lhlo" | "xforward" | "xclient" => ReplyStage::Ehlo,
            "starttls" => ReplyStage::Starttls,
            "mail from" => ReplyStage::Mail,
            "rcpt to" => ReplyStage::Rcpt,
            "data" | "pipelined data" | "data command" => ReplyStage::Data,
            _ => ReplyStage::EndOfData,
        })
    }
}

impl fmt::Display for ReplyStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyStage::Greeting => "the greeting",
            ReplyStage::Ehlo => "EHLO",
            ReplyStage::Starttls => "STARTTLS",
            ReplyStage::Mail => "MAIL FROM",
            ReplyStage::Rcpt => "RCPT TO",
            ReplyStage::Data => "DATA",
            ReplyStage::EndOfData => "the end of DATA",
            ReplyStage::Unknown => "an unknown stage",
        })
    }
}

/// Why the receiver refused or deferred us, as far as its reply tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonClass {
    RecipientUnknown,
    MailboxFull,
    OurPtr,
    OurFcrdns,
    OurHelo,
    PublicBlocklist,
    ReceiverBlocklist,
    RateLimited,
    Greylisted,
    Authentication,
    TlsRequired,
    DynamicIp,
    RelayDenied,
    MessageTooBig,
    SenderRejected,
    OtherPolicy,
    ReceiverTrouble,
    NotReached,
    Unknown,
}

impl ReasonClass {
    /// Every class.
    pub const ALL: [ReasonClass; 19] = [
        ReasonClass::RecipientUnknown,
        ReasonClass::MailboxFull,
        ReasonClass::OurPtr,
        ReasonClass::OurFcrdns,
        ReasonClass::OurHelo,
        ReasonClass::PublicBlocklist,
        ReasonClass::ReceiverBlocklist,
        ReasonClass::RateLimited,
        ReasonClass::Greylisted,
        ReasonClass::Authentication,
        ReasonClass::TlsRequired,
        ReasonClass::DynamicIp,
        ReasonClass::RelayDenied,
        ReasonClass::MessageTooBig,
        ReasonClass::SenderRejected,
        ReasonClass::OtherPolicy,
        ReasonClass::ReceiverTrouble,
        ReasonClass::NotReached,
        ReasonClass::Unknown,
    ];

    /// The snake-case name used in findings and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonClass::RecipientUnknown => "recipient_unknown",
            ReasonClass::MailboxFull => "mailbox_full",
            ReasonClass::OurPtr => "our_ptr",
            ReasonClass::OurFcrdns => "our_fcrdns",
            ReasonClass::OurHelo => "our_helo",
            ReasonClass::PublicBlocklist => "public_blocklist",
            ReasonClass::ReceiverBlocklist => "receiver_blocklist",
            ReasonClass::RateLimited => "rate_limited",
            ReasonClass::Greylisted => "greylisted",
            ReasonClass::Authentication => "authentication",
            ReasonClass::TlsRequired => "tls_required",
            ReasonClass::DynamicIp => "dynamic_ip",
            ReasonClass::RelayDenied => "relay_denied",
            ReasonClass::MessageTooBig => "message_too_big",
            ReasonClass::SenderRejected => "sender_rejected",
            ReasonClass::OtherPolicy => "other_policy",
            ReasonClass::ReceiverTrouble => "receiver_trouble",
            ReasonClass::NotReached => "not_reached",
            ReasonClass::Unknown => "unknown",
        }
    }

    /// The class named `name`.
    pub fn from_name(name: &str) -> Option<ReasonClass> {
        ReasonClass::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The class in a few words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ReasonClass::RecipientUnknown => "the recipient address does not exist or is disabled",
            ReasonClass::MailboxFull => "the recipient's mailbox is full",
            ReasonClass::OurPtr => "our address has no reverse DNS (PTR)",
            ReasonClass::OurFcrdns => "our reverse DNS is not forward-confirmed",
            ReasonClass::OurHelo => "the receiver refuses our HELO name",
            ReasonClass::PublicBlocklist => "our address or domain is on a public block list",
            ReasonClass::ReceiverBlocklist => "the receiver's own block list or reputation system refuses us",
            ReasonClass::RateLimited => "rate limit or reputation deferral",
            ReasonClass::Greylisted => "greylisting: a deliberate first-time deferral",
            ReasonClass::Authentication => "our mail does not authenticate (SPF, DKIM, DMARC)",
            ReasonClass::TlsRequired => "the receiver requires TLS",
            ReasonClass::DynamicIp => "our address looks dynamic or residential",
            ReasonClass::RelayDenied => "the receiver does not accept mail for this domain (relaying denied)",
            ReasonClass::MessageTooBig => "the message is too big",
            ReasonClass::SenderRejected => "the receiver refuses our envelope sender",
            ReasonClass::OtherPolicy => "a policy of the receiver's own (content, local rules)",
            ReasonClass::ReceiverTrouble => "a temporary problem at the receiver",
            ReasonClass::NotReached => {
                "our MTA did not reach the receiver (a DNS lookup or the connection failed): the receiver said nothing"
            }
            ReasonClass::Unknown => "the reply does not say why",
        }
    }
}

impl fmt::Display for ReasonClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one reply says about why we were refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub class: ReasonClass,
    pub stage: ReplyStage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enhanced: Option<String>,
    /// The block list, reputation system or provider the reply names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Where to ask for delisting: a URL in the reply, else the one the rule knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delist: Option<String>,
}

impl Classification {
    /// `greylisting: … (ZeroSpam), at RCPT TO`.
    pub fn describe(&self) -> String {
        let mut out = self.class.describe().to_string();
        if let Some(system) = &self.system {
            out.push_str(&format!(" ({system})"));
        }
        if self.stage != ReplyStage::Unknown {
            out.push_str(&format!(", at {}", self.stage));
        }
        out
    }

    /// The template arguments a finding carries so diagnosis rules can read the class.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        let mut args = vec![
            ("class", self.class.as_str().to_string()),
            ("stage", self.stage.as_str().to_string()),
            ("at", self.stage.to_string()),
        ];
        args.extend(self.system.clone().map(|s| ("system", s)));
        args.extend(self.delist.clone().map(|d| ("delist", d)));
        args
    }
}

/// A pattern over enhanced codes: `X.7.25` (any class), `5.7.1`, `X.1.*`.
#[derive(Debug, Clone)]
struct EnhancedPattern {
    class: Option<u8>,
    subject: u16,
    detail: Option<u16>,
}

impl EnhancedPattern {
    fn parse(text: &str) -> Result<EnhancedPattern, String> {
        let bad = || format!("{text:?} is not an enhanced code pattern like X.7.25 or 5.1.*");
        let mut parts = text.split('.');
        let (Some(class), Some(subject), Some(detail), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let class = match class {
            "X" | "x" => None,
            c => Some(c.parse().map_err(|_| bad())?),
        };
        let detail = if detail == "*" { None } else { Some(detail.parse().map_err(|_| bad())?) };
        Ok(EnhancedPattern { class, subject: subject.parse().map_err(|_| bad())?, detail })
    }

    fn is_exact(&self) -> bool {
        self.detail.is_some()
    }

    fn matches(&self, code: EnhancedCode) -> bool {
        self.class.is_none_or(|c| c == code.class)
            && self.subject == code.subject
            && self.detail.is_none_or(|d| d == code.detail)
    }
}

/// A pattern over reply codes: `552`, `5xx`.
#[derive(Debug, Clone)]
struct CodePattern(String);

impl CodePattern {
    fn parse(text: &str) -> Result<CodePattern, String> {
        let valid = text.len() == 3
            && text.as_bytes()[0].is_ascii_digit()
            && text.bytes().skip(1).all(|b| b.is_ascii_digit() || b == b'x');
        valid
            .then(|| CodePattern(text.to_string()))
            .ok_or_else(|| format!("{text:?} is not a reply code like 552 or 4xx"))
    }

    fn matches(&self, code: u16) -> bool {
        let code = code.to_string();
        code.len() == 3 && self.0.bytes().zip(code.bytes()).all(|(p, c)| p == b'x' || p == c)
    }
}

#[derive(Debug, Clone)]
struct ClassRule {
    class: ReasonClass,
    name: Option<String>,
    enhanced: Vec<EnhancedPattern>,
    text: Option<Regex>,
    codes: Vec<CodePattern>,
    stages: Vec<ReplyStage>,
    delist: Option<String>,
}

impl ClassRule {
    /// Which pass the rule belongs to: 0 a specific enhanced code, 1 text, 2 the plain code or a
    /// generic enhanced code.
    fn pass(&self) -> u8 {
        if self.enhanced.iter().any(EnhancedPattern::is_exact) {
            0
        } else if self.text.is_some() && self.enhanced.is_empty() {
            1
        } else {
            2
        }
    }

    fn matches(&self, reply: &ReplyFacts<'_>) -> bool {
        let enhanced_ok =
            self.enhanced.is_empty() || reply.enhanced.is_some_and(|e| self.enhanced.iter().any(|p| p.matches(e)));
        let codes_ok = self.codes.is_empty() || reply.code.is_some_and(|c| self.codes.iter().any(|p| p.matches(c)));
        let stages_ok = self.stages.is_empty() || self.stages.contains(&reply.stage);
        let text_ok = self.text.as_ref().is_none_or(|re| re.is_match(reply.text));
        enhanced_ok && codes_ok && stages_ok && text_ok
    }
}

#[derive(Clone, Copy)]
struct ReplyFacts<'a> {
    stage: ReplyStage,
    code: Option<u16>,
    enhanced: Option<EnhancedCode>,
    text: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    class: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    enhanced: Vec<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    delist: Option<String>,
}

/// Why the class table could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("the reply class table is not valid: {0}")]
pub struct ClassifyError(String);

/// The loaded rules, in the three passes.
#[derive(Debug)]
pub struct Classifier {
    rules: Vec<ClassRule>,
}

impl Classifier {
    /// The bundled table, loaded once.
    pub fn bundled() -> &'static Classifier {
        static BUNDLED_TABLE: OnceLock<Classifier> = OnceLock::new();
        BUNDLED_TABLE.get_or_init(|| Classifier::from_toml(BUNDLED).expect("the bundled reply-classes.toml is valid"))
    }

    /// A table from TOML text.
    pub fn from_toml(text: &str) -> Result<Classifier, ClassifyError> {
        let file: RawFile = toml::from_str(text).map_err(|e| ClassifyError(e.message().to_string()))?;
        let mut rules = file.rule.into_iter().map(compile).collect::<Result<Vec<_>, _>>().map_err(ClassifyError)?;
        // A stable sort keeps the file's order within each pass.
        rules.sort_by_key(ClassRule::pass);
        Ok(Classifier { rules })
    }

    /// Classifies a reply the probe or the console received at `stage`.
    pub fn classify_reply(&self, reply: &Reply, stage: ReplyStage) -> Classification {
        let text = reply.text_lossy();
        self.classify(ReplyFacts { stage, code: reply.code, enhanced: reply.enhanced(), text: &text })
    }

    /// Classifies a reply an MTA wrote down (a queue delay reason, a log line): the stage comes
    /// from the MTA's words around the reply, the codes from the reply inside them.
    pub fn classify_text(&self, text: &str) -> Classification {
        let stage = ReplyStage::from_mta_text(text).unwrap_or(ReplyStage::Unknown);
        let flat = crate::logs::reply::flatten(text);
        let words = crate::logs::reply::server_words(&flat).unwrap_or(&flat);
        let (code, enhanced) = crate::logs::reply::codes(words);
        let enhanced = enhanced.as_deref().and_then(EnhancedCode::parse_prefix);
        self.classify(ReplyFacts { stage, code, enhanced, text: words })
    }

    fn classify(&self, reply: ReplyFacts<'_>) -> Classification {
        let rule = self.rules.iter().find(|r| r.matches(&reply));
        let class = rule.map_or(ReasonClass::Unknown, |r| r.class);
        let named = rule
            .and_then(|r| r.text.as_ref())
            .and_then(|re| re.captures(reply.text))
            .and_then(|caps| caps.name("list").map(|m| m.as_str().trim_end_matches(['.', ',', ';']).to_string()));
        let system = named.or_else(|| rule.and_then(|r| r.name.clone()));
        let delist =
            matches!(class, ReasonClass::PublicBlocklist | ReasonClass::ReceiverBlocklist | ReasonClass::DynamicIp)
                .then(|| first_url(reply.text).or_else(|| rule.and_then(|r| r.delist.clone())))
                .flatten();
        Classification {
            class,
            stage: reply.stage,
            code: reply.code,
            enhanced: reply.enhanced.map(|e| e.to_string()),
            system: system.map(|s| crate::session::escape::escape_str(&s)),
            delist: delist.map(|d| crate::session::escape::escape_str(&d)),
        }
    }
}

fn compile(raw: RawRule) -> Result<ClassRule, String> {
    let class = ReasonClass::from_name(&raw.class).ok_or_else(|| format!("{:?} is not a reason class", raw.class))?;
    let text =
        raw.text.map(|t| Regex::new(&format!("(?i){t}")).map_err(|e| format!("pattern {t:?}: {e}"))).transpose()?;
    let stages = raw
        .stages
        .iter()
        .map(|s| ReplyStage::from_name(s).ok_or_else(|| format!("{s:?} is not a stage")))
        .collect::<Result<_, _>>()?;
    let rule = ClassRule {
        class,
        name: raw.name,
        enhanced: raw.enhanced.iter().map(|e| EnhancedPattern::parse(e)).collect::<Result<_, _>>()?,
        text,
        codes: raw.codes.iter().map(|c| CodePattern::parse(c)).collect::<Result<_, _>>()?,
        stages,
        delist: raw.delist,
    };
    if rule.enhanced.is_empty() && rule.text.is_none() && rule.codes.is_empty() {
        return Err(format!("a rule for {} tests nothing", raw.class));
    }
    Ok(rule)
}

/// The first http(s) URL in `text`, without trailing punctuation.
fn first_url(text: &str) -> Option<String> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let url: String =
        // Links in replies are ASCII; anything else ends one.
        text[start..].chars().take_while(|c| c.is_ascii_graphic() && !matches!(c, '>' | '"' | '\'')).collect();
    let url = url.trim_end_matches(['.', ',', ';', ')', ']']);
    (url.len() > "https://".len()).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_vocabulary_spells_every_class_and_stage() {
        let classes: Vec<&str> = ReasonClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(classes, crate::session::vocabulary::REPLY_CLASSES, "the diagnosis rules read that list");
        let stages: Vec<&str> = ReplyStage::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(stages, crate::session::vocabulary::REPLY_STAGES, "the diagnosis rules read that list");
    }

    #[test]
    fn stages_from_mta_words() {
        let stage = |t: &str| ReplyStage::from_mta_text(t);
        assert_eq!(
            stage("host x[1.2.3.4] said: 550 5.7.26 no (in reply to end of DATA command)"),
            Some(ReplyStage::EndOfData)
        );
        assert_eq!(stage("said: 450 4.2.0 Greylisted (in reply to RCPT TO command)"), Some(ReplyStage::Rcpt));
        assert_eq!(
            stage("SMTP error from remote mail server after initial connection: 554 go away"),
            Some(ReplyStage::Greeting)
        );
        assert_eq!(stage("SMTP error from remote mail server after RCPT TO:<a@b>: 550 no"), Some(ReplyStage::Rcpt));
        assert_eq!(
            stage("SMTP error from remote mail server after end of data: 554 full"),
            Some(ReplyStage::EndOfData)
        );
        assert_eq!(stage("host mx[1.2.3.4] refused to talk to me: 554 5.7.1 blocked"), Some(ReplyStage::Greeting));
        assert_eq!(
            stage("lost connection with mx[1.2.3.4] while receiving the initial server greeting"),
            Some(ReplyStage::Greeting)
        );
        assert_eq!(stage("421 4.7.0 [TSS04] Messages deferred"), None);
        assert_eq!(ReplyStage::of_command("rcpt to:<a@b>"), Some(ReplyStage::Rcpt));
        assert_eq!(ReplyStage::of_command("."), Some(ReplyStage::EndOfData));
        assert_eq!(ReplyStage::of_command("Subject: hi"), None);
    }

    #[test]
    fn our_mta_refusing_the_receivers_certificate_is_tls() {
        let c = Classifier::bundled();
        // Postfix under DANE or mandatory TLS, and a receiver, as admins have posted them
        // (kernel-error.de, the dane-users list, suped.com, a serverfault question).
        for text in [
            "Server certificate not verified",
            "info@example.nl: Server certificate not trusted",
            "Cannot start TLS: handshake failure",
            "403 4.7.0 TLS handshake failed",
        ] {
            assert_eq!(c.classify_text(text).class, ReasonClass::TlsRequired, "{text}");
        }
        // The corpus' Postfix warning (whyscream's grok tests).
        let warning =
            "certificate verification failed for mail.example.com[113.169.17.115]:25: self-signed certificate.";
        assert_eq!(c.classify_text(warning).class, ReasonClass::TlsRequired);
    }

    #[test]
    fn the_enhanced_code_decides_before_the_text() {
        let c = Classifier::bundled();
        // 5.1.1 is addressing even when the text speaks of blocking.
        let got = c.classify_reply(&Reply::parse("550 5.1.1 <a@b>: blocked, user unknown"), ReplyStage::Rcpt);
        assert_eq!(got.class, ReasonClass::RecipientUnknown);
        // 5.7.1 is generic policy: the text tells which.
        let got = c.classify_reply(
            &Reply::parse("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1"),
            ReplyStage::Rcpt,
        );
        assert_eq!(got.class, ReasonClass::PublicBlocklist);
        assert_eq!(got.system.as_deref(), Some("zen.spamhaus.org"));
        assert_eq!(got.delist.as_deref(), Some("https://www.spamhaus.org/query/ip/192.0.2.1"));
        // No enhanced code and no known words: the plain code at its stage.
        let got = c.classify_reply(&Reply::parse("552 Too much"), ReplyStage::EndOfData);
        assert_eq!(got.class, ReasonClass::MessageTooBig);
        let got = c.classify_reply(&Reply::parse("250 ok"), ReplyStage::Rcpt);
        assert_eq!(got.class, ReasonClass::Unknown);
    }

    #[test]
    fn bad_tables_are_refused_with_the_reason() {
        let err = Classifier::from_toml("[[rule]]\nclass = \"nope\"\ntext = 'x'\n").unwrap_err();
        assert!(err.to_string().contains("\"nope\" is not a reason class"), "{err}");
        let err = Classifier::from_toml("[[rule]]\nclass = \"greylisted\"\n").unwrap_err();
        assert!(err.to_string().contains("tests nothing"), "{err}");
        let err = Classifier::from_toml("[[rule]]\nclass = \"greylisted\"\nenhanced = [\"7.x\"]\n").unwrap_err();
        assert!(err.to_string().contains("not an enhanced code pattern"), "{err}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever a peer or a log says: no panic, and what is shown of it carries no control
        /// or bidi character.
        #[test]
        fn any_text_is_classified_without_panic_or_raw_bytes(
            text in "(host mx\\[1\\.2\\.3\\.4\\] said: |SMTP error from remote mail server after RCPT TO:<a@b>: )?[2-5][0-9]{2}[ -]([245]\\.[0-9]{1,3}\\.[0-9]{1,3} )?(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]){0,300}",
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let classifier = Classifier::bundled();
            let lossy = String::from_utf8_lossy(&raw).into_owned();
            for input in [text.as_str(), lossy.as_str()] {
                let by_text = classifier.classify_text(input);
                let by_reply = classifier.classify_reply(&Reply::parse(input), ReplyStage::Rcpt);
                for shown in [&by_text, &by_reply].iter().flat_map(|c| c.system.iter().chain(c.delist.iter())) {
                    proptest::prop_assert!(
                        !shown.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)),
                        "{shown:?}"
                    );
                    proptest::prop_assert!(shown.len() <= 4 * input.len() + 16);
                }
                let _ = ReplyStage::from_mta_text(input);
                let _ = by_text.describe();
            }
        }
    }

    #[test]
    fn urls_lose_trailing_punctuation() {
        assert_eq!(first_url("see https://sender.office.com/. Thanks").as_deref(), Some("https://sender.office.com/"));
        assert_eq!(first_url("no link here"), None);
    }
}
