//! The words findings share besides their ids, so the diagnosis rules can be checked against them
//! without knowing the engines that make the findings: the ids that say how a connection ended,
//! and the values of the `class` and `stage` arguments a finding about a reply carries, named by
//! the enums the reply classifier reads replies into.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumCount, EnumString, IntoStaticStr, VariantArray, VariantNames};

/// The findings that say how a connection attempt ended (`smtp::connection::ConnectOutcome`).
pub const CONNECTION_OUTCOMES: &[&str] = &[
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
    "smtp.via_failed",
    "smtp.not_smtp",
    "smtp.protocol_error",
    "smtp.ok",
];

/// Why a receiver refused or deferred us (the classes of [`ReasonClass`]).
pub const REPLY_CLASSES: &[&str] = <ReasonClass as VariantNames>::VARIANTS;

/// Where in the SMTP dialogue a reply came (the stages of [`ReplyStage`]).
pub const REPLY_STAGES: &[&str] = <ReplyStage as VariantNames>::VARIANTS;

/// The variants of a `VariantArray` enum as an array, in declaration order, for a `const ALL`
/// whose items are values (a slice would hand out references).
macro_rules! variant_array {
    ($ty:ty) => {{
        let variants = <$ty as ::strum::VariantArray>::VARIANTS;
        let mut all = [variants[0]; <$ty as ::strum::EnumCount>::COUNT];
        let mut at = 0;
        while at < all.len() {
            all[at] = variants[at];
            at += 1;
        }
        all
    }};
}
pub(crate) use variant_array;

/// The point of the SMTP dialogue a reply answered; its snake-case name is used in findings
/// and rules.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    EnumCount,
    EnumString,
    IntoStaticStr,
    VariantArray,
    VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    pub const ALL: [ReplyStage; ReplyStage::COUNT] = variant_array!(ReplyStage);

    /// The snake-case name used in findings and rules.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The stage named `name` (as [`ReplyStage::as_str`] writes it).
    pub fn from_name(name: &str) -> Option<ReplyStage> {
        name.parse().ok()
    }
}

/// Why the receiver refused or deferred us, as far as its reply tells; its snake-case name is
/// used in findings and rules.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Display,
    EnumCount,
    EnumString,
    IntoStaticStr,
    VariantArray,
    VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReasonClass {
    RecipientUnknown,
    RecipientDisabled,
    MailboxFull,
    ReceiverFull,
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
    Content,
    OtherPolicy,
    ReceiverTrouble,
    NotReached,
    Unknown,
}

impl ReasonClass {
    /// Every class.
    pub const ALL: [ReasonClass; ReasonClass::COUNT] = variant_array!(ReasonClass);

    /// The snake-case name used in findings and rules.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The class named `name`.
    pub fn from_name(name: &str) -> Option<ReasonClass> {
        name.parse().ok()
    }
}

/// True when `id` is a finding that says how a connection ended.
pub fn is_connection_outcome(id: &str) -> bool {
    CONNECTION_OUTCOMES.contains(&id)
}

/// What an accepted RCPT TO says when only postmaster@ was asked (RFC 5321 makes it special and
/// many sites exempt it from their filters): the verdict rests on it.
pub const POSTMASTER_ONLY: &str = "postmaster@ only: not tried with a real recipient";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_and_rules_spell_the_names_serde_writes() {
        for class in ReasonClass::ALL {
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str());
            assert_eq!(ReasonClass::from_name(class.as_str()), Some(class));
        }
        for stage in ReplyStage::ALL {
            assert_eq!(serde_json::to_value(stage).unwrap(), stage.as_str());
            assert_eq!(ReplyStage::from_name(stage.as_str()), Some(stage));
        }
        assert_eq!(ReasonClass::ALL.len(), REPLY_CLASSES.len());
        assert_eq!(ReasonClass::from_name("RecipientUnknown"), None, "only the snake-case names");
        assert_eq!(REPLY_STAGES[6], "end_of_data");
    }
}
