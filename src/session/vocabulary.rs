//! The words findings share besides their ids, so the diagnosis rules can be checked against them
//! without knowing the engines that make the findings: the ids that say how a connection ended,
//! and the values of the `class` and `stage` arguments a finding about a reply carries. The SMTP
//! engine's enums spell the same words; its tests keep the two in step.

/// The findings that say how a connection attempt ended (`smtp::connection::Outcome`).
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

/// Why a receiver refused or deferred us (`smtp::classify::ReasonClass`).
pub const REPLY_CLASSES: &[&str] = &[
    "recipient_unknown",
    "recipient_disabled",
    "mailbox_full",
    "receiver_full",
    "our_ptr",
    "our_fcrdns",
    "our_helo",
    "public_blocklist",
    "receiver_blocklist",
    "rate_limited",
    "greylisted",
    "authentication",
    "tls_required",
    "dynamic_ip",
    "relay_denied",
    "message_too_big",
    "sender_rejected",
    "content",
    "other_policy",
    "receiver_trouble",
    "not_reached",
    "unknown",
];

/// Where in the SMTP dialogue a reply came (`smtp::classify::ReplyStage`).
pub const REPLY_STAGES: &[&str] = &["greeting", "ehlo", "starttls", "mail", "rcpt", "data", "end_of_data", "unknown"];

/// True when `id` is a finding that says how a connection ended.
pub fn is_connection_outcome(id: &str) -> bool {
    CONNECTION_OUTCOMES.contains(&id)
}

/// What an accepted RCPT TO says when only postmaster@ was asked (RFC 5321 makes it special and
/// many sites exempt it from their filters): the verdict rests on it.
pub const POSTMASTER_ONLY: &str = "postmaster@ only: not tried with a real recipient";
