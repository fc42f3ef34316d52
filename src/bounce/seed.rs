//! What a bounce gives the wizard's session (`mailwiz --bounce FILE`): the target (the domain of
//! the recipient the message did not reach), that recipient as the probe's real RCPT TO, the
//! receiver's reply as the observed error, and the bounce's findings, which the diagnosis weighs
//! like log lines at their stage.

use super::{Bounce, findings};
use crate::session::{Finding, Session, Target};

/// Whose target wins when the session already has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRule {
    /// The target given on the command line wins; the bounce only adds its findings.
    KeepGiven,
    /// The bounce the user just gave names the target (the wizard's `bounce>` prompt).
    FromBounce,
}

/// Lays `bounce` into `session` and journals its findings, the target given on the command
/// line winning (`mailwiz --bounce FILE`). Returns the target the bounce names, if any.
pub fn seed(session: &mut Session, bounce: &Bounce) -> Option<Target> {
    let found = findings::findings(bounce);
    for finding in &found {
        session.journal.finding(finding);
    }
    apply(session, bounce, found, TargetRule::KeepGiven)
}

/// Lays `bounce` into `session` with its `found` findings, already journaled: the target by
/// `rule`, the recipient the message did not reach as the probe's RCPT TO and its reply as the
/// observed error when the target is that recipient's domain, and the findings in place of an
/// earlier bounce's. Returns the target the bounce names, if any.
pub fn apply(session: &mut Session, bounce: &Bounce, found: Vec<Finding>, rule: TargetRule) -> Option<Target> {
    let main = bounce.main_recipient();
    let target = main.and_then(|r| Target::parse(&r.address).ok());
    if session.target.is_none() || (rule == TargetRule::FromBounce && target.is_some()) {
        session.target.clone_from(&target);
    }
    let same_domain =
        |t: &Target| session.target.as_ref().is_some_and(|current| current.domain.eq_ignore_ascii_case(&t.domain));
    if let (Some(main), Some(t)) = (main, target.as_ref().filter(|t| same_domain(t))) {
        session.queued_recipient.clone_from(&t.address);
        session.observed_error = (main.said_by == super::Speaker::Receiver).then(|| main.reply.clone()).flatten();
    }
    session.replace_findings(&["bounce."], found);
    target
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Journal;

    const BOUNCE: &str = "From: MAILER-DAEMON@mail.example.org\nSubject: Undelivered Mail Returned to Sender\n\
        Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\n\
        Content-Type: text/plain\n\nThe mail system\n\n--b\nContent-Type: message/delivery-status\n\n\
        Reporting-MTA: dns; mail.example.org\n\nFinal-Recipient: rfc822; anna@bank.example\nAction: failed\n\
        Status: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 Client host rejected: cannot find your reverse hostname\n--b--\n";

    #[test]
    fn the_bounce_sets_target_recipient_error_and_findings() {
        let bounce = crate::bounce::read(BOUNCE.as_bytes()).expect("a bounce");
        let mut session = Session::new(Journal::in_memory());
        let target = seed(&mut session, &bounce).expect("a target");
        assert_eq!(target.domain, "bank.example");
        assert_eq!(session.target.as_ref().map(|t| t.domain.as_str()), Some("bank.example"));
        assert_eq!(session.queued_recipient.as_deref(), Some("anna@bank.example"));
        assert!(session.observed_error.as_deref().is_some_and(|e| e.contains("reverse hostname")));
        assert_eq!(session.findings.iter().filter(|f| f.id == "bounce.refused").count(), 1);
        // Seeding again does not pile up findings.
        seed(&mut session, &bounce);
        assert_eq!(session.findings.iter().filter(|f| f.id.starts_with("bounce.")).count(), 1);
    }

    #[test]
    fn a_target_given_for_another_domain_keeps_its_recipient() {
        let bounce = crate::bounce::read(BOUNCE.as_bytes()).expect("a bounce");
        let mut session = Session::new(Journal::in_memory());
        session.target = Target::parse("other.example").ok();
        seed(&mut session, &bounce);
        assert_eq!(session.target.as_ref().map(|t| t.domain.as_str()), Some("other.example"));
        assert_eq!(session.queued_recipient, None);
        assert_eq!(session.observed_error, None);
        assert!(session.findings.iter().any(|f| f.id == "bounce.refused"));
    }

    #[test]
    fn a_bounce_given_in_the_wizard_names_the_target_and_replaces_the_earlier_one() {
        let bounce = crate::bounce::read(BOUNCE.as_bytes()).expect("a bounce");
        let mut session = Session::new(Journal::in_memory());
        session.target = Target::parse("other.example").ok();
        session.observed_error = Some("421 earlier".into());
        session.push_finding(crate::session::Finding::new("bounce.delayed", &[]));
        let found = crate::bounce::findings::findings(&bounce);
        apply(&mut session, &bounce, found, TargetRule::FromBounce);
        assert_eq!(session.target.as_ref().map(|t| t.domain.as_str()), Some("bank.example"));
        assert_eq!(session.queued_recipient.as_deref(), Some("anna@bank.example"));
        assert!(session.observed_error.as_deref().is_some_and(|e| e.contains("reverse hostname")));
        let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["bounce.refused"]);
        assert!(session.journal.events().is_empty(), "apply journals nothing: the reading job has");
    }
}
