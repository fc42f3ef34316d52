//! Our TLS policy for outbound mail, and a refused STARTTLS judged by it.
//!
//! Under opportunistic TLS (Postfix `smtp_tls_security_level = may`, Debian's default; Exim
//! without `hosts_require_tls`) a receiver that refuses STARTTLS still gets our mail, in plain
//! text: a warning. Only when our MTA insists on TLS, or the receiver demands it (`530 5.7.0 Must
//! issue a STARTTLS command first`), does it stop the mail.

use crate::context::Context;
pub use crate::session::tls_policy::TlsPolicy;
use crate::session::{Finding, Severity};

/// Our policy: the config's `[smtp] require_tls`, else the local MTA's own setting (not in the
/// demo, whose MTA is not this machine's). The MTA is asked once per context, not per probe.
pub async fn our_tls_policy(ctx: &Context) -> TlsPolicy {
    ctx.tls_policy.get_or_init(|| read_policy(ctx)).await.clone()
}

async fn read_policy(ctx: &Context) -> TlsPolicy {
    let smtp = &ctx.config.smtp;
    if let (Some(required), Some(dane)) = (smtp.require_tls, smtp.dane) {
        return TlsPolicy {
            required: Some(required),
            dane: Some(dane),
            source: "config smtp.require_tls; config smtp.dane".into(),
        };
    }
    let local = if ctx.demo {
        Some(TlsPolicy {
            required: Some(false),
            dane: Some(false),
            source: "the demo world's MTA (opportunistic)".into(),
        })
    } else {
        read_local(ctx.config.timeout()).await
    };
    let mut policy = match (ctx.config.smtp.require_tls, local) {
        (Some(required), local) => TlsPolicy {
            required: Some(required),
            dane: local.and_then(|l| l.dane),
            source: "config smtp.require_tls".into(),
        },
        (None, Some(local)) => local,
        (None, None) => TlsPolicy { required: None, dane: None, source: "no local MTA answered".into() },
    };
    if let Some(dane) = ctx.config.smtp.dane {
        policy.dane = Some(dane);
        policy.source.push_str("; config smtp.dane");
    }
    policy
}

#[cfg(unix)]
async fn read_local(timeout: std::time::Duration) -> Option<TlsPolicy> {
    use crate::mta_command::stdout_of;
    if let Some(level) = stdout_of("postconf", &["-h", "smtp_tls_security_level"], timeout).await {
        return Some(TlsPolicy::from_postfix_level(&level));
    }
    for program in ["exim", "exim4"] {
        if let Some(out) = stdout_of(program, &["-bP", "transport", "remote_smtp"], timeout).await {
            return TlsPolicy::from_exim_transport(&out);
        }
    }
    None
}

#[cfg(not(unix))]
async fn read_local(_timeout: std::time::Duration) -> Option<TlsPolicy> {
    None
}

/// A refused or failed STARTTLS is a failure only when our policy requires TLS; otherwise it
/// stays the warning the probe made, with the policy said.
pub fn judge_starttls(findings: &mut [Finding], policy: &TlsPolicy) {
    for finding in findings.iter_mut().filter(|f| f.id == "smtp.starttls_failed") {
        let note = match policy.required {
            Some(true) => {
                finding.severity = Severity::Fail;
                format!("Our MTA requires TLS ({}), so it will not deliver to this host.", policy.source)
            }
            Some(false) => {
                format!("Our MTA uses opportunistic TLS ({}): it delivers to this host in plain text.", policy.source)
            }
            None => "Whether our MTA requires TLS is not known; with opportunistic TLS it delivers in plain text."
                .to_string(),
        };
        if !finding.detail.contains(&note) {
            finding.detail = if finding.detail.is_empty() { note } else { format!("{} {note}", finding.detail) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_postfix_levels_and_exim_transports() {
        assert_eq!(TlsPolicy::from_postfix_level("may\n").required, Some(false));
        assert_eq!(TlsPolicy::from_postfix_level("encrypt").required, Some(true));
        assert_eq!(TlsPolicy::from_postfix_level("dane").required, Some(false));
        assert_eq!(TlsPolicy::from_postfix_level("dane").dane, Some(true));
        assert_eq!(TlsPolicy::from_postfix_level("may").dane, Some(false));
        let dane = "hosts_require_dane = *\nhosts_require_tls =\n";
        assert_eq!(TlsPolicy::from_exim_transport(dane).unwrap().dane, Some(true));
        let exim = "hosts_avoid_tls =\nhosts_require_tls = *\nhosts_try_auth =\n";
        assert_eq!(TlsPolicy::from_exim_transport(exim).unwrap().required, Some(true));
        assert_eq!(TlsPolicy::from_exim_transport("hosts_require_tls =\n").unwrap().required, Some(false));
        assert_eq!(TlsPolicy::from_exim_transport("nothing here"), None);
    }

    #[test]
    fn a_refused_starttls_fails_only_when_we_require_tls() {
        let refused =
            || Finding::new("smtp.starttls_failed", &[("host", "mx"), ("error", "454 4.7.0 TLS not available")]);
        let mut findings = vec![refused()];
        judge_starttls(&mut findings, &TlsPolicy::from_postfix_level("may"));
        assert_eq!(findings[0].severity, Severity::Warn);
        assert!(findings[0].detail.contains("plain text"));
        let mut findings = vec![refused()];
        judge_starttls(&mut findings, &TlsPolicy::from_postfix_level("encrypt"));
        assert_eq!(findings[0].severity, Severity::Fail);
    }
}
