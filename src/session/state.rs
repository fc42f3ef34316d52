//! The session's state as one journal event, written before a save.

use super::{Event, EventKind, Session};

/// The session's target, identity and findings now, so a report of the journal names them and
/// lists the findings as the session held them (a re-run step replaces its earlier findings).
pub fn state_event(session: &Session) -> Event {
    let target = session.target.as_ref().map(|t| t.domain.clone());
    let ip = session.identity.ip.map(|ip| ip.to_string());
    let text = format!(
        "session state: target {}, our IP {}, HELO {}",
        target.as_deref().unwrap_or("none"),
        ip.as_deref().unwrap_or("unknown"),
        session.identity.helo.as_deref().unwrap_or("unknown")
    );
    Event::new(EventKind::Info, text).with_data(serde_json::json!({
        "target": target,
        "ip": ip,
        "helo": session.identity.helo,
        "observed_error": session.observed_error,
        "findings": session.findings,
    }))
}
