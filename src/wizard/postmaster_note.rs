//! The note for the receiver's postmaster that a save writes beside the report.

use crate::session::Session;

/// The note for the receiver's postmaster, once a target and some findings are known.
pub fn postmaster_note(session: &Session) -> Option<String> {
    let target = session.target.as_ref()?;
    let about_target = session.findings.iter().any(|f| matches!(f.family(), "smtp" | "ptr" | "helo"));
    about_target.then(|| {
        crate::diagnosis::note::Note::from_findings(&target.domain, &session.findings, &[], chrono::Utc::now()).render()
    })
}
