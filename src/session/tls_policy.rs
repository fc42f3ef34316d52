//! Our TLS policy for outbound mail as a value: whether our MTA insists on TLS and on DANE, and
//! where that was read. Reading it from the MTA and judging a refused STARTTLS by it is
//! `smtp::tls_policy`'s; the run's context keeps the value once read.

use serde::Serialize;

/// Whether our MTA insists on TLS, and where that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsPolicy {
    /// `None` when it could not be read.
    pub required: Option<bool>,
    /// Whether it holds receivers to their DNSSEC-validated TLSA records (DANE); `None` when
    /// not known.
    pub dane: Option<bool>,
    /// `config smtp.require_tls`, `postconf smtp_tls_security_level`, `exim hosts_require_tls`.
    pub source: String,
}

impl TlsPolicy {
    /// The policy Postfix's `smtp_tls_security_level` value means.
    pub fn from_postfix_level(level: &str) -> TlsPolicy {
        let level = level.trim();
        let required = matches!(level, "encrypt" | "dane-only" | "fingerprint" | "verify" | "secure");
        TlsPolicy {
            required: Some(required),
            dane: Some(matches!(level, "dane" | "dane-only")),
            source: format!("postconf smtp_tls_security_level = {level}"),
        }
    }

    /// The policy `exim -bP transport remote_smtp` output means: a non-empty `hosts_require_tls`,
    /// and a non-empty `hosts_require_dane` for DANE.
    pub fn from_exim_transport(output: &str) -> Option<TlsPolicy> {
        let option = |name: &str| {
            let value = output.lines().find_map(|l| l.trim().strip_prefix(name))?;
            let value = value.trim_start().strip_prefix('=').unwrap_or(value).trim();
            Some(!value.is_empty())
        };
        Some(TlsPolicy {
            required: Some(option("hosts_require_tls")?),
            dane: Some(option("hosts_require_dane").unwrap_or(false)),
            source: "exim hosts_require_tls".into(),
        })
    }
}
