//! The reply classifier: one reading of every SMTP reply, whether the probe, the raw console, the
//! queue's delay reason or a log line brought it. The stage, the reply code, the enhanced status
//! code and the text give a [`ReasonClass`] — the reason the receiver refused or deferred us — and,
//! where the text names it, the block list or reputation system and its delisting page.
//!
//! The rules are data (`assets/reply-classes.toml`). Evidence is weighed in four passes: words
//! that name their reason outright (a rate limit, a named block list), then a specific enhanced
//! code (RFC 3463: `5.1.1` is addressing, `5.7.25` reverse DNS), then other words, then the plain
//! code and generic enhanced codes (`5.7.x` is some policy).

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::reply::{EnhancedCode, Reply};
pub use crate::session::vocabulary::{ReasonClass, ReplyStage};

const BUNDLED: &str = include_str!("../../assets/reply-classes.toml");

impl ReplyStage {
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
        // Every alternative of the pattern ends in the words that name the stage, so the end of
        // the match tells which (the longer words first: `end of data` before `data`).
        const STAGES: [(&str, ReplyStage); 14] = [
            ("to me", ReplyStage::Greeting),
            ("initial connection", ReplyStage::Greeting),
            ("initial server greeting", ReplyStage::Greeting),
            ("ehlo", ReplyStage::Ehlo),
            ("helo", ReplyStage::Ehlo),
            ("lhlo", ReplyStage::Ehlo),
            ("xforward", ReplyStage::Ehlo),
            ("xclient", ReplyStage::Ehlo),
            ("starttls", ReplyStage::Starttls),
            ("mail from", ReplyStage::Mail),
            ("rcpt to", ReplyStage::Rcpt),
            ("end of data", ReplyStage::EndOfData),
            ("data", ReplyStage::Data),
            ("data command", ReplyStage::Data),
        ];
        static STAGE: OnceLock<Regex> = OnceLock::new();
        let re = STAGE.get_or_init(|| {
            Regex::new(concat!(
                r"(?i)in reply to (?:end of data|data|rcpt to|mail from|ehlo|helo|lhlo|starttls|xforward|xclient)\b",
                r"|(?:after|in response to) (?:initial connection|end of data|pipelined data|data|rcpt to|mail from|ehlo|helo|starttls)\b",
                r"|while (?:receiving|sending|performing) (?:the )?(?:initial server greeting|ehlo|helo|mail from|rcpt to|data command|end of data|message body|starttls)",
                r"|refused to talk to me",
            ))
            .expect("the stage pattern is valid")
        });
        let found = re.find(text)?.as_str().as_bytes();
        let ends_with = |words: &str| {
            found.len() >= words.len() && found[found.len() - words.len()..].eq_ignore_ascii_case(words.as_bytes())
        };
        let named = STAGES.iter().find(|(words, _)| ends_with(words));
        // The one alternative not listed, `message body`, is the end of data.
        Some(named.map_or(ReplyStage::EndOfData, |&(_, stage)| stage))
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

impl ReasonClass {
    /// The class in a few words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ReasonClass::RecipientUnknown => "the recipient address does not exist or is disabled",
            ReasonClass::RecipientDisabled => "the recipient's account is disabled, frozen or suspended",
            ReasonClass::MailboxFull => "the recipient's mailbox is full",
            ReasonClass::ReceiverFull => "the receiver's own system is out of storage or failing",
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
            ReasonClass::Content => {
                "the receiver refuses the message itself (spam or virus verdict, headers, encoding)"
            }
            ReasonClass::OtherPolicy => "a policy of the receiver's own (content, local rules)",
            ReasonClass::ReceiverTrouble => "a temporary problem at the receiver",
            ReasonClass::NotReached => {
                "our MTA did not reach the receiver (a DNS lookup or the connection failed): the receiver said nothing"
            }
            ReasonClass::Unknown => "the reply does not say why",
        }
    }

    /// What to do first about a refusal of this class, the first action of its diagnosis cause
    /// (`assets/diagnosis.toml`); `None` when the reply does not say why, and the refused
    /// command's own advice stands.
    pub fn remedy(self) -> Option<&'static str> {
        Some(match self {
            ReasonClass::RecipientUnknown => {
                "Check the recipient address with its owner (a typo, a left employee, a renamed mailbox)."
            }
            ReasonClass::RecipientDisabled => {
                "Tell the recipient by another channel that their mailbox takes no mail, and ask for an address that works."
            }
            ReasonClass::MailboxFull => {
                "Nothing to fix on our side: let the queue retry, and tell the recipient by another channel to make room."
            }
            ReasonClass::ReceiverFull => {
                "Let the queue retry; if it lasts for hours, tell the receiver's postmaster, quoting the reply and the time."
            }
            ReasonClass::OurPtr => {
                "Ask the owner of our address (the hosting or access provider) for a PTR naming our mail server, with an A/AAAA record back, and announce that name in HELO."
            }
            ReasonClass::OurFcrdns => {
                "Make our PTR name resolve back to our address (an A/AAAA record), or change the PTR to a name that does."
            }
            ReasonClass::OurHelo => {
                "Announce a fully-qualified HELO name that resolves to our address and matches its PTR."
            }
            ReasonClass::PublicBlocklist => {
                "Find and fix why our address is listed (the block-list step names the list), then request delisting at the list's page."
            }
            ReasonClass::ReceiverBlocklist => {
                "Request delisting from the receiver (the page its reply or its postmaster site names), quoting our address and this reply."
            }
            ReasonClass::RateLimited => {
                "Let the queue retry with its back-off, and lower our sending rate to this receiver."
            }
            ReasonClass::Greylisted => "Nothing to fix: the queue's next retry passes.",
            ReasonClass::Authentication => {
                "Make the envelope domain's SPF allow our address and sign with DKIM for the From domain, aligned with its DMARC policy."
            }
            ReasonClass::TlsRequired => {
                "Enable TLS for outbound mail and check that our MTA and the receiver agree on a protocol and, where we verify, on its certificate."
            }
            ReasonClass::DynamicIp => {
                "Relay through the provider's smarthost, or get a static address with a PTR naming our mail server."
            }
            ReasonClass::RelayDenied => {
                "Compare the domain's MX with the host we delivered to, and remove any transport or relayhost entry of ours that sends the domain elsewhere."
            }
            ReasonClass::MessageTooBig => {
                "Send the file another way (a link) or split it: the receiver refuses the message at its size."
            }
            ReasonClass::SenderRejected => "Send from an address whose domain has MX or A records.",
            ReasonClass::Content => {
                "Fix what the reply names in the message (an attachment, a link, the headers, the encoding); if a spam verdict is wrong, ask the receiver's postmaster."
            }
            ReasonClass::OtherPolicy => {
                "Read the reply for the receiver's rule; if it is unclear, ask the receiver's postmaster, quoting the reply."
            }
            ReasonClass::ReceiverTrouble => {
                "Let the queue retry; if it lasts, tell the receiver's postmaster, quoting the reply."
            }
            ReasonClass::NotReached => {
                "Check the MX (step 2) and port 25 (step 4) from this host: the receiver said nothing."
            }
            ReasonClass::Unknown => return None,
        })
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
    /// What decided the class: the words of the reply, or its code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
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
        if let Some(by) = &self.decided_by {
            out.push_str(&format!(" (decided by {by})"));
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
        code_digits(code).is_some_and(|digits| self.0.bytes().zip(digits).all(|(p, c)| p == b'x' || p == c))
    }
}

/// A rule's pattern, compiled alone only when a reply needs the words it matched: whether it
/// matched comes from the set of all patterns, and compiling every pattern alone as well
/// doubled the time the table takes to load.
#[derive(Debug, Clone)]
struct Words {
    pattern: String,
    compiled: OnceLock<Regex>,
}

impl Words {
    fn regex(&self) -> &Regex {
        self.compiled.get_or_init(|| Regex::new(&self.pattern).expect("the set of all patterns compiled it"))
    }
}

#[derive(Debug, Clone)]
struct ClassRule {
    class: ReasonClass,
    name: Option<String>,
    enhanced: Vec<EnhancedPattern>,
    text: Option<Words>,
    codes: Vec<CodePattern>,
    stages: Vec<ReplyStage>,
    delist: Option<String>,
    /// Words that name their reason outright: they outweigh any code.
    decides: bool,
}

impl ClassRule {
    /// Which pass the rule belongs to: 0 words that decide, 1 a specific enhanced code, 2 other
    /// words, 3 the plain code or a generic enhanced code.
    fn pass(&self) -> u8 {
        if self.decides {
            0
        } else if self.enhanced.iter().any(EnhancedPattern::is_exact) {
            1
        } else if self.text.is_some() && self.enhanced.is_empty() {
            2
        } else {
            3
        }
    }

    /// The words of `text` the rule's pattern matched, and the block list they name.
    fn words_in<'t>(&self, text: &'t str) -> Option<(regex::Match<'t>, Option<regex::Match<'t>>)> {
        let re = self.text.as_ref()?.regex();
        // The `list` group names a block list.
        let Some(list) = re.capture_names().position(|n| n == Some("list")) else {
            return re.find(text).map(|m| (m, None));
        };
        let caps = re.captures(text)?;
        Some((caps.get(0)?, caps.get(list)))
    }

    /// What of `reply` decided this rule: the `words` its pattern matched, else the code.
    fn evidence(&self, reply: &ReplyFacts<'_>, words: Option<&str>) -> Option<String> {
        if let Some(words) = words {
            let shown = words.char_indices().nth(80).map_or(words, |(at, _)| &words[..at]);
            return Some(["the words \"", shown, "\""].concat());
        }
        match (reply.enhanced.filter(|_| !self.enhanced.is_empty()), reply.code) {
            (Some(enhanced), _) => Some(format!("the enhanced code {enhanced}")),
            (None, Some(code)) => Some(format!("the code {code} at {}", reply.stage)),
            (None, None) => None,
        }
    }

    /// True when the rule holds for `reply`; `text_matched` says whether its words matched
    /// (asked of all rules at once, in one pass over the text).
    fn matches(&self, reply: &ReplyFacts<'_>, text_matched: bool) -> bool {
        (self.text.is_none() || text_matched)
            && (self.enhanced.is_empty() || reply.enhanced.is_some_and(|e| self.enhanced.iter().any(|p| p.matches(e))))
            && (self.codes.is_empty() || reply.code.is_some_and(|c| self.codes.iter().any(|p| p.matches(c))))
            && (self.stages.is_empty() || self.stages.contains(&reply.stage))
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
    #[serde(default)]
    decides: bool,
}

/// Why the class table could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("the reply class table is not valid: {0}")]
pub struct ClassifyError(String);

/// The loaded rules, in the three passes.
#[derive(Debug)]
pub struct Classifier {
    rules: Vec<ClassRule>,
    /// Every rule's words at once (in rule order, rules without words left out), so a reply's
    /// text is scanned once whatever the number of rules.
    words: regex::RegexSet,
    /// For each rule, its pattern's index in `words`.
    slots: Vec<Option<usize>>,
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
        let mut patterns = Vec::new();
        let slots = rules
            .iter()
            .map(|r| {
                r.text.as_ref().map(|words| {
                    patterns.push(words.pattern.as_str());
                    patterns.len() - 1
                })
            })
            .collect();
        let words = regex::RegexSet::new(&patterns).map_err(|e| {
            // Name the pattern at fault, as compiling it alone says.
            let bad = patterns.iter().find_map(|p| Regex::new(p).err().map(|e| (p, e)));
            ClassifyError(bad.map_or_else(|| e.to_string(), |(p, e)| format!("pattern {:?}: {e}", &p[4..])))
        })?;
        Ok(Classifier { rules, words, slots })
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
        let reply = crate::logs::reply::reply_in(&flat);
        self.classify(ReplyFacts {
            stage,
            code: reply.map(|r| r.code),
            enhanced: reply.and_then(|r| r.enhanced).and_then(EnhancedCode::parse_prefix),
            text: reply.map_or(&flat, |r| r.words),
        })
    }

    fn classify(&self, reply: ReplyFacts<'_>) -> Classification {
        let enhanced = reply.enhanced.or_else(|| qmail_enhanced(reply.text));
        let reply = ReplyFacts { enhanced, ..reply };
        let text = without_continuations(reply.text, reply.code, reply.enhanced);
        let reply = ReplyFacts { text: &text, ..reply };
        let matched = self.words.matches(reply.text);
        let rule = self
            .rules
            .iter()
            .zip(&self.slots)
            .find(|(r, slot)| r.matches(&reply, slot.is_some_and(|i| matched.matched(i))))
            .map(|(r, _)| r);
        let class = rule.map_or(ReasonClass::Unknown, |r| r.class);
        let (words, named) = rule.and_then(|r| r.words_in(reply.text)).unzip();
        let named = named.flatten().map(|m| m.as_str().trim_end_matches(['.', ',', ';']).to_string());
        let system = named.or_else(|| rule.and_then(|r| r.name.clone()));
        let delist =
            matches!(class, ReasonClass::PublicBlocklist | ReasonClass::ReceiverBlocklist | ReasonClass::DynamicIp)
                .then(|| first_url(reply.text).or_else(|| rule.and_then(|r| r.delist.clone())))
                .flatten();
        Classification {
            class,
            stage: reply.stage,
            code: reply.code,
            enhanced: reply.enhanced.map(|e| e.text(&mut [0; 16]).to_string()),
            system: system.map(crate::session::escape::escape_string),
            delist: delist.map(crate::session::escape::escape_string),
            decided_by: rule
                .and_then(|r| r.evidence(&reply, words.map(|m| m.as_str())))
                .map(crate::session::escape::escape_string),
        }
    }
}

/// An enhanced code written `#5.1.1`: qmail's and Courier's after the text (`sorry, no mailbox
/// here by that name (#5.1.1 - chkuser)`), some Exchange servers' before it.
fn qmail_enhanced(text: &str) -> Option<EnhancedCode> {
    let at = text.find('#')? + 1;
    let len = text[at..].find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len() - at);
    EnhancedCode::parse_prefix(&text[at..at + len])
}

/// `text` with the code prefixes of a multi-line reply's later lines taken out (`… has
/// detected 550-5.7.1 an unusual rate` → `… has detected an unusual rate`), so words split
/// across lines read as they were meant.
fn without_continuations(text: &str, code: Option<u16>, enhanced: Option<EnhancedCode>) -> Cow<'_, str> {
    static PREFIX: OnceLock<Regex> = OnceLock::new();
    if code.is_none() && enhanced.is_none() {
        return Cow::Borrowed(text);
    }
    // Written on the stack: this runs for every reply.
    let digits = code.and_then(code_digits);
    let code = digits.as_ref().and_then(|d| std::str::from_utf8(d).ok());
    let mut enhanced_buf = [0; 16];
    let enhanced = enhanced.map(|e| e.text(&mut enhanced_buf));
    // The first line's own code and enhanced code stay.
    let mut first = text.find(char::is_whitespace).unwrap_or(text.len());
    let after = text[first..].trim_start();
    if let Some(e) = enhanced.filter(|e| after.starts_with(e)) {
        first = text.len() - after.len() + e.len();
    }
    let (head, rest) = text.split_at(first);
    // Most replies are one line: nothing to take out, nothing to copy.
    let repeated = |known: Option<&str>| known.is_some_and(|k| rest.contains(k));
    if !repeated(code) && !repeated(enhanced) {
        return Cow::Borrowed(text);
    }
    let re = PREFIX.get_or_init(|| {
        Regex::new(r"\s(?:[245]\d\d(?:-|\s)(?:[245]\.\d{1,3}\.\d{1,3}\s)?|[245]\.\d{1,3}\.\d{1,3}\s)")
            .expect("the prefix pattern is valid")
    });
    let mut out = String::with_capacity(text.len());
    out.push_str(head);
    let mut kept = 0;
    for prefix in re.find_iter(rest).filter(|p| repeats(p.as_str(), code, enhanced)) {
        out.push_str(&rest[kept..prefix.start()]);
        out.push(' ');
        kept = prefix.end();
    }
    if kept == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&rest[kept..]);
    Cow::Owned(out)
}

/// True when `prefix`, a later line's ` 550-5.7.1 `, ` 550 ` or ` 5.7.1 `, repeats the
/// reply's own `code` and `enhanced` code.
fn repeats(prefix: &str, code: Option<&str>, enhanced: Option<&str>) -> bool {
    let words = prefix.trim_start();
    let (found_code, found_enhanced) = match words.get(..3) {
        Some(digits) if !digits.contains('.') => {
            // The dash or white space after the code.
            let mut after = words[3..].chars();
            after.next();
            let e = after.as_str().trim_end();
            (Some(digits), (!e.is_empty()).then_some(e))
        }
        _ => (None, Some(words.trim_end())),
    };
    found_code.is_none_or(|c| code == Some(c)) && found_enhanced.is_none_or(|e| enhanced == Some(e))
}

/// The three digits of a reply code; `None` for a number that is not one.
fn code_digits(code: u16) -> Option<[u8; 3]> {
    (100..1000)
        .contains(&code)
        .then(|| [code / 100, code / 10 % 10, code % 10].map(|d| b'0' + u8::try_from(d).unwrap_or(0)))
}

fn compile(raw: RawRule) -> Result<ClassRule, String> {
    let class = ReasonClass::from_name(&raw.class).ok_or_else(|| format!("{:?} is not a reason class", raw.class))?;
    let text = raw.text.map(|t| Words { pattern: format!("(?i){t}"), compiled: OnceLock::new() });
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
        decides: raw.decides,
    };
    if rule.enhanced.is_empty() && rule.text.is_none() && rule.codes.is_empty() {
        return Err(format!("a rule for {} tests nothing", raw.class));
    }
    if rule.decides && rule.text.is_none() {
        return Err(format!("a rule for {} decides by its words but has no text", raw.class));
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
    fn every_class_that_names_a_reason_has_a_remedy() {
        for class in ReasonClass::ALL {
            assert_eq!(class.remedy().is_some(), class != ReasonClass::Unknown, "{class}");
        }
        let c = Classifier::bundled();
        let got = c.classify_reply(&Reply::parse("550 5.1.1 <a@b.example>: user unknown"), ReplyStage::Rcpt);
        assert!(got.class.remedy().unwrap().starts_with("Check the recipient address with its owner"));
        let got = c.classify_reply(&Reply::parse("550 5.7.25 no PTR record for your IP"), ReplyStage::Rcpt);
        assert!(got.class.remedy().unwrap().contains("PTR"));
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

    proptest::proptest! {
        /// A class is decided the same whatever the case, the line breaks or the continuation
        /// prefixes (`550-5.7.1`) of the reply's text.
        #[test]
        fn the_class_does_not_depend_on_case_line_breaks_or_continuations(
            sample in proptest::sample::select(vec![
                "550 5.1.1 <a@b.example> - 203.0.113.222 has sent to too many recipients this hour. IB607",
                "550 5.7.1 Our system has detected that this message is likely unsolicited mail",
                "452 4.3.1 Insufficient system storage",
                "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org",
                "550 5.7.26 This message does not have authentication information or fails to pass authentication checks",
                "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to user complaints",
                "550 5.2.1 The email account that you tried to reach is disabled",
                "552 5.6.0 Headers too large",
                "550 Requested action not taken: mailbox unavailable",
            ]),
            splits in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..4),
            upper in proptest::prelude::any::<bool>(),
            crlf in proptest::prelude::any::<bool>(),
        ) {
            let classifier = Classifier::bundled();
            let expected = classifier.classify_text(sample).class;
            let (code, rest) = sample.split_at(3);
            let words: Vec<&str> = rest.split_whitespace().collect();
            let enhanced = words.first().filter(|w| w.contains('.') && w.chars().next().is_some_and(|c| c.is_ascii_digit()));
            let body = if enhanced.is_some() { &words[1..] } else { &words[..] };
            let mut cuts: Vec<usize> = splits.iter().map(|i| i.index(body.len().max(1))).filter(|&i| i > 0).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let prefix = |last: bool| format!("{code}{}{}", if last { ' ' } else { '-' }, enhanced.map(|e| format!("{e} ")).unwrap_or_default());
            let mut lines = Vec::new();
            let mut start = 0;
            for cut in cuts.iter().copied().chain([body.len()]) {
                lines.push(body[start..cut].join(" "));
                start = cut;
            }
            let last = lines.len() - 1;
            let text: Vec<String> = lines.iter().enumerate().map(|(i, l)| format!("{}{l}", prefix(i == last))).collect();
            let mut joined = text.join(if crlf { "\r\n" } else { "\n" });
            if upper {
                joined = joined.to_uppercase();
            }
            proptest::prop_assert_eq!(classifier.classify_text(&joined).class, expected, "{:?}", joined);
            // On the wire every line ends in CRLF.
            let wire = joined.replace("\r\n", "\n").replace('\n', "\r\n");
            proptest::prop_assert_eq!(
                classifier.classify_reply(&Reply::parse(&wire), ReplyStage::Unknown).class,
                expected,
                "{:?}",
                joined
            );
        }
    }

    #[test]
    fn words_that_name_their_reason_outweigh_a_misused_code() {
        let c = Classifier::bundled();
        for (text, class, decided) in [
            // GoDaddy's IB607 (godaddy.com help "IB607"), under a recipient code.
            (
                "550 5.1.1 <user@example.com> - 203.0.113.222 has sent to too many recipients this hour. IB607",
                ReasonClass::RateLimited,
                "too many",
            ),
            // Sendmail's and Postfix's recipient limit, under 552.
            ("552 Too many recipients", ReasonClass::RateLimited, "Too many recipients"),
            ("552 5.6.0 Headers too large", ReasonClass::Content, "Headers too large"),
            // RFC 5321 §4.2.3's 452: the receiver's storage, not the mailbox.
            ("452 4.3.1 Insufficient system storage", ReasonClass::ReceiverFull, "Insufficient system storage"),
        ] {
            let got = c.classify_text(text);
            assert_eq!(got.class, class, "{text}");
            assert!(got.decided_by.as_deref().is_some_and(|d| d.contains(decided)), "{text}: {:?}", got.decided_by);
            assert!(got.describe().contains("decided by the words"), "{}", got.describe());
        }
        // A bare 5xx names no reason.
        assert_eq!(c.classify_text("554 Transaction failed").class, ReasonClass::Unknown);
        assert_eq!(c.classify_reply(&Reply::parse("550 go away"), ReplyStage::Greeting).class, ReasonClass::Unknown);
    }

    #[test]
    fn a_providers_own_list_is_named_with_its_delisting_page() {
        let c = Classifier::bundled();
        for (text, system, delist) in [
            // prodigy.net's answer to MAIL FROM, from a telnet block check's README.
            (
                "553 5.3.0 alph731 DNSBL:RBL 521< 203.0.113.101 >_is_blocked.For assistance forward this error to abuse_rbl@abuse-att.net",
                "AT&T",
                "https://www.att.com/esupport/postmaster/unblock.html",
            ),
            // worldnet.att.net's error message summary (BellSouth).
            (
                "550 <203.0.113.70.> blocked by ldap:ou=rblmx, dc=bellsouth, dc=net",
                "AT&T",
                "https://www.att.com/esupport/postmaster/unblock.html",
            ),
            // T-Online's tags, as admins have posted them (serverdevworker.com, timmehosting.de).
            (
                "554 IP=203.0.113.72 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)",
                "T-Online",
                "https://postmaster.t-online.de/",
            ),
            (
                "554 IP=203.0.113.71 - None/bad reputation. Ask your postmaster for help or to contact <postmaster@rx.t-online.de> for reset. (NOWL)",
                "T-Online",
                "https://postmaster.t-online.de/",
            ),
        ] {
            let got = c.classify_text(text);
            assert_eq!(got.class, ReasonClass::ReceiverBlocklist, "{text}");
            assert_eq!(got.system.as_deref(), Some(system), "{text}");
            assert_eq!(got.delist.as_deref(), Some(delist), "{text}");
        }
    }

    #[test]
    fn only_prefixes_that_repeat_the_replys_codes_are_taken_out() {
        let code = Some(550);
        let enhanced = EnhancedCode::parse_prefix("5.7.1");
        let cut = |text| without_continuations(text, code, enhanced).into_owned();
        assert_eq!(cut("550-5.7.1 has detected\n550-5.7.1 an unusual rate"), "550-5.7.1 has detected an unusual rate");
        assert_eq!(cut("550-5.7.1 a\n550 b 550 5.7.1 c"), "550-5.7.1 a b c");
        // Another code is the receiver's words, and what it swallowed stays with it.
        assert_eq!(cut("550 5.7.1 see 450 550 5.7.1 d"), "550 5.7.1 see 450 550 d");
        assert_eq!(cut("550 5.7.1 limit 5.7.2 e"), "550 5.7.1 limit 5.7.2 e");
        assert!(matches!(without_continuations("550 5.7.1 one line", code, enhanced), Cow::Borrowed(_)));
    }

    #[test]
    fn urls_lose_trailing_punctuation() {
        assert_eq!(first_url("see https://sender.office.com/. Thanks").as_deref(), Some("https://sender.office.com/"));
        assert_eq!(first_url("no link here"), None);
    }
}
