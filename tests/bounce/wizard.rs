//! `mailwiz --bounce FILE`: a real bounce seeds the wizard's session, and the diagnosis of the
//! session cites the bounce's reply.

use mailwiz::session::{Journal, Session};

fn bounce(file: &str) -> mailwiz::bounce::Bounce {
    let path = format!("{}/tests/bounce/data/{file}", env!("CARGO_MANIFEST_DIR"));
    mailwiz::bounce::read(&std::fs::read(path).expect("the sample")).expect("a bounce")
}

#[test]
fn a_real_bounce_sets_the_target_and_the_real_recipient() {
    let mut session = Session::new(Journal::in_memory());
    mailwiz::bounce::seed::seed(&mut session, &bounce("phpbh-postfix-mailru.eml"));
    assert_eq!(session.target.as_ref().map(|t| t.domain.as_str()), Some("mail.ru"));
    assert_eq!(session.queued_recipient.as_deref(), Some("leopold_skryd@mail.ru"));
    assert!(session.observed_error.as_deref().is_some_and(|e| e.contains("Access from ip address")));
}

#[test]
fn the_diagnosis_cites_the_bounce_reply() {
    let mut session = Session::new(Journal::in_memory());
    mailwiz::bounce::seed::seed(&mut session, &bounce("phpbh-postfix-mailru.eml"));
    let causes = mailwiz::diagnosis::diagnose_session(&session);
    let first = causes.first().expect("a cause");
    assert!(first.finding_ids.iter().any(|id| id == "bounce.refused"), "{first:?}");
    assert!(first.evidence.iter().any(|e| e.contains("Access from ip address")), "{first:?}");
}
