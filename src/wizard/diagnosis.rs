//! Step 7: likely causes, ranked, each opening to its evidence and next actions.

use super::{Effect, Job, JobEvent, JobKind, Jobs, Request, Row, Step, StepId, StepKey, StepStatus, StepView, Tone};
use crate::context::Context;
use crate::diagnosis::{self, Cause, Facts};
use crate::dns::Resolver;
use crate::helo::propose;
use crate::session::{AlsoFix, Event, Session, conclusion};

/// State of the diagnosis step.
#[derive(Debug, Default)]
pub struct DiagnosisStep {
    /// `None` until the diagnosis has run.
    causes: Option<Vec<Cause>>,
    /// Our defects no cause cites, and the steps without findings, as of the last diagnosis.
    also_fix: Vec<AlsoFix>,
    not_checked: Vec<String>,
    selected: usize,
    /// Run before the steps it needs had run: it asked them to run and waits for them.
    waiting: bool,
    /// Run with no target chosen: nothing was diagnosed.
    no_target: bool,
}

/// What the diagnosis job found: a name that resolves to our address, if any.
#[derive(Debug)]
pub struct MailName(pub Option<String>);

/// Looks up a name to propose for PTR and HELO (one that resolves to our address), then the
/// step ranks the causes with it.
fn mail_name_job(session: &Session, ctx: &Context) -> Job {
    let ip = session.identity.ip.or(ctx.config.ip);
    let helo = session.identity.helo.clone().or_else(|| ctx.config.helo.clone());
    let sender = ctx.config.from.as_deref().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d.to_string());
    Job::new(StepId::Diagnosis, "Looking for a host name of ours", move |jc| async move {
        let name = match (ip, Resolver::from_context(&jc.ctx)) {
            (Some(ip), Ok(resolver)) => {
                let found = tokio::select! {
                    name = propose::suggest(&resolver, ip, helo.as_deref(), sender.as_deref()) => name,
                    () = jc.cancel.cancelled() => None,
                };
                Some(propose::proposal(found.as_deref(), ip, helo.as_deref(), sender.as_deref()))
            }
            _ => None,
        };
        jc.finish(MailName(name));
    })
}

impl DiagnosisStep {
    /// Asks every step that has not run to run (as `check` does), then waits for
    /// [`Request::Settled`] before diagnosing.
    fn run_missing_first(&mut self, session: &Session) -> Vec<Effect> {
        if crate::session::catalogue::steps_without_findings(&session.findings).is_empty() {
            self.waiting = false;
            return Vec::new();
        }
        self.waiting = true;
        StepId::looking()
            .map(|step| Effect::Request(step, Request::RunIfIdle))
            .chain([Effect::Request(StepId::Diagnosis, Request::Settled)])
            .collect()
    }

    /// Starts the diagnosis: first the name lookup, then [`DiagnosisStep::diagnose`].
    fn start(session: &Session, ctx: &Context) -> Vec<Effect> {
        vec![Effect::Spawn(mail_name_job(session, ctx))]
    }

    /// Recomputes the causes from the session's findings and records them as findings. Findings
    /// about another domain (the queue's other groups, logs or MX read for an earlier target) are
    /// left out.
    fn diagnose(&mut self, session: &mut Session, mail_name: Option<String>) -> Vec<Effect> {
        let domain = session.target.as_ref().map(|t| t.domain.clone());
        let findings: Vec<_> = session
            .findings
            .iter()
            .filter(|f| f.arg("domain").is_none_or(|d| domain.as_deref().is_none_or(|t| d.eq_ignore_ascii_case(t))))
            .cloned()
            .collect();
        let facts = Facts { mail_name, ..Facts::from_session(session) };
        let causes = diagnosis::diagnose(&diagnosis::rule::bundled(), &findings, &facts);
        if let Some(domain) = &domain {
            diagnosis::soften_when_deliverable(&mut session.findings, &causes, domain);
        }
        self.also_fix = diagnosis::also_fix(diagnosis::rule::bundled_defects(), &findings, &causes, &facts);
        self.not_checked = crate::session::catalogue::steps_without_findings(&findings);
        let cause_findings: Vec<_> = causes.iter().map(Cause::to_finding).collect();
        let mut effects: Vec<Effect> = cause_findings.iter().map(|f| Effect::Record(Event::of_finding(f))).collect();
        effects.push(Effect::Record(conclusion::event(&self.also_fix, &self.not_checked)));
        session.replace_step_findings(StepId::Diagnosis, cause_findings);
        self.selected = 0;
        self.causes = Some(causes);
        effects
    }
}

impl Step for DiagnosisStep {
    fn id(&self) -> StepId {
        StepId::Diagnosis
    }

    fn status(&self) -> StepStatus {
        if self.waiting {
            StepStatus::Running
        } else if self.causes.is_some() {
            StepStatus::Done
        } else {
            StepStatus::Idle
        }
    }

    fn view(&self, session: &Session, _jobs: Jobs<'_>) -> StepView {
        if self.no_target && session.target.is_none() {
            return StepView {
                subtitle: "Enter: rank the likely causes for the target".into(),
                rows: vec![Row::new(
                    Tone::Warn,
                    "No target yet: the diagnosis is about one domain. Choose one in step 1 (Enter on its row), \
                     or start mailwiz with it (mailwiz bank.example).",
                )],
                ..StepView::default()
            };
        }
        let Some(causes) = &self.causes else {
            let count = session.findings.iter().filter(|f| f.family() != "diagnosis").count();
            return StepView {
                subtitle: "Enter: rank the likely causes from the findings so far".into(),
                rows: vec![Row::plain(format!(
                    "{count} finding(s) so far. Run the other steps first for a better diagnosis; \
                     Enter ranks the causes they point to."
                ))],
                ..StepView::default()
            };
        };
        let mut rows = Vec::new();
        let mut selected_row = None;
        let domain = session.target.as_ref().map_or("the target", |t| t.domain.as_str());
        let headline = diagnosis::headline(causes, &session.findings, domain, &self.not_checked);
        let flows = causes.first().map_or_else(
            || {
                self.not_checked.is_empty()
                    && !session.findings.iter().any(|f| f.severity == crate::session::Severity::Fail)
            },
            |c| c.id == diagnosis::DELIVERABLE,
        );
        rows.push(Row::new(if flows { Tone::Ok } else { Tone::Heading }, headline));
        for (index, cause) in causes.iter().enumerate() {
            let selected = index == self.selected;
            if selected {
                selected_row = Some(rows.len());
            }
            let tone = match (selected, cause.to_finding().severity) {
                (true, _) => Tone::Selected,
                (false, crate::session::Severity::Fail) => Tone::Fail,
                (false, crate::session::Severity::Ok) => Tone::Ok,
                (false, _) => Tone::Warn,
            };
            // Its later lines hang under the summary, clear of the number.
            rows.push(Row {
                hang: Some(3),
                ..Row::new(tone, format!("{:<3}", format!("{}.", index + 1)))
                    .push(tone, cause.summary.clone())
                    .push(Tone::Dim, format!("  ({}, {:.0}%)", cause.id, cause.score * 100.0))
            });
            if selected {
                rows.push(Row::wrapped(Tone::Normal, format!("   {}", cause.explanation), 3));
                rows.push(Row::new(Tone::Heading, "   Evidence"));
                rows.extend(cause.evidence.iter().map(|e| Row::wrapped(Tone::Dim, format!("   · {e}"), 5)));
                rows.push(Row::new(Tone::Heading, "   Next actions"));
                rows.extend(
                    cause
                        .actions
                        .iter()
                        .enumerate()
                        .map(|(i, a)| Row::wrapped(Tone::Ok, format!("   {}. {a}", i + 1), 6)),
                );
            }
        }
        if !self.also_fix.is_empty() {
            rows.push(Row::plain(""));
            rows.push(Row::new(Tone::Heading, "Also fix before the retry"));
            for item in &self.also_fix {
                let tone = if item.severity == crate::session::Severity::Fail { Tone::Fail } else { Tone::Warn };
                rows.push(Row::new(tone, format!("{} ", item.severity.mark())).push(tone, item.summary.clone()));
                rows.push(Row::wrapped(Tone::Dim, format!("   {}", item.why), 3));
                if !item.fix.is_empty() {
                    rows.push(Row::wrapped(Tone::Ok, format!("   → {}", item.fix), 5));
                }
            }
        }
        if !self.not_checked.is_empty() {
            rows.push(Row::plain(""));
            rows.push(Row::wrapped(
                Tone::Warn,
                format!(
                    "Not checked: {}. Run those steps (Tab to each, Enter), then diagnose again.",
                    self.not_checked.join(", ")
                ),
                13,
            ));
        }
        rows.extend(comparison_rows(session));
        let retry =
            session.target.as_ref().map(|t| format!(" · t: retry the queue for {} now", t.domain)).unwrap_or_default();
        StepView {
            subtitle: format!("Enter: diagnose again · ↑↓ choose a cause{retry} · Ctrl-S saves"),
            rows,
            selected: selected_row,
            ..StepView::default()
        }
    }

    fn run(&mut self, session: &mut Session, ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        // The diagnosis is about one receiving domain: without one, every domain's findings
        // would be read as one story.
        self.no_target = session.target.is_none();
        if self.no_target {
            return Vec::new();
        }
        if self.causes.is_none() && !self.waiting {
            let effects = self.run_missing_first(session);
            if !effects.is_empty() {
                return effects;
            }
        }
        DiagnosisStep::start(session, ctx)
    }

    fn request(&mut self, request: Request, session: &mut Session, ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        match request {
            Request::Settled if self.waiting => {
                self.waiting = false;
                DiagnosisStep::start(session, ctx)
            }
            _ => Vec::new(),
        }
    }

    fn keys(&self, _jobs: Jobs<'_>) -> Vec<StepKey> {
        vec![StepKey { key: 'r', hint: "re-rank" }, StepKey { key: 't', hint: "retry the queue now" }]
    }

    fn key(&mut self, key: char, session: &mut Session, ctx: &Context, _jobs: Jobs<'_>) -> Vec<Effect> {
        match key {
            'r' => DiagnosisStep::start(session, ctx),
            // After the fix: step 1 retries the target's mail (asking first) and watches it
            // leave, step 3 follows the log.
            't' => match &session.target {
                Some(target) => vec![
                    Effect::Request(StepId::Logs, Request::Follow),
                    Effect::Goto(StepId::Queue),
                    Effect::Request(StepId::Queue, Request::RetryDomain(target.domain.clone())),
                ],
                None => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn focused_finding(&self) -> Option<&str> {
        self.causes.as_ref()?.get(self.selected).map(|cause| cause.id.as_str())
    }

    fn select(&mut self, delta: isize) -> bool {
        let Some(causes) = &self.causes else { return false };
        if causes.is_empty() {
            return false;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(causes.len() - 1);
        true
    }

    fn on_event(&mut self, event: JobEvent, session: &mut Session, _jobs: Jobs<'_>) -> Vec<Effect> {
        let name = event.take::<MailName>().and_then(|m| m.0);
        self.diagnose(session, name)
    }

    fn cancelled(&mut self, _kinds: &[JobKind], _session: &mut Session) {
        self.waiting = false;
    }
}

/// What changed since the earlier session the user opened (`--compare`), when there is one.
fn comparison_rows(session: &Session) -> Vec<Row> {
    let Some(earlier) = &session.earlier else { return Vec::new() };
    let diff = crate::session::diff::diff(&earlier.findings, &session.findings);
    let mut rows =
        vec![Row::new(Tone::Heading, format!("Since {}", crate::session::escape::escape_str(&earlier.label)))];
    if diff.is_empty() {
        rows.push(Row::new(Tone::Dim, format!("   nothing changed ({} finding(s) the same)", diff.unchanged)));
    }
    let line = |f: &crate::session::Finding| format!("{} {} {}", f.severity.mark(), f.id, f.summary);
    rows.extend(diff.gone.iter().map(|f| Row::wrapped(Tone::Ok, format!("   cleared  {}", line(f)), 12)));
    rows.extend(
        diff.not_checked_again
            .iter()
            .map(|f| Row::wrapped(Tone::Dim, format!("   not checked again  {}", line(f)), 22)),
    );
    rows.extend(diff.new.iter().map(|f| Row::wrapped(Tone::Warn, format!("   new      {}", line(f)), 12)));
    for change in &diff.changed {
        rows.push(Row::wrapped(Tone::Dim, format!("   changed  {}", line(&change.before)), 12));
        rows.push(Row::wrapped(Tone::Normal, format!("       now  {}", line(&change.after)), 12));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Finding, Journal};

    #[test]
    fn ranks_causes_records_them_and_opens_the_selected_one() {
        let mut session = Session::new(Journal::in_memory());
        session.identity.ip = Some("203.0.113.5".parse().unwrap());
        session.identity.helo = Some("mail.example.com".into());
        session.findings = vec![
            Finding::new("ptr.missing", &[("ip", "203.0.113.5")]),
            Finding::new("smtp.closed_before_banner", &[("host", "mx2.bank.example"), ("addr", "192.0.2.11")]),
        ];
        let mut step = crate::wizard::SoloStep::<DiagnosisStep>::default();
        let effects = step.diagnose(&mut session, Some("mail.example.com".into()));
        // The cause, then what is left to fix and what was not checked.
        assert!(matches!(effects.as_slice(), [Effect::Record(_), Effect::Record(_)]));
        assert_eq!(session.findings.last().unwrap().id, "diagnosis.missing_ptr");
        let view = step.view(&session);
        let text: Vec<String> = view.rows.iter().map(Row::text).collect();
        assert!(text[0].contains("Why mail to"), "{text:?}");
        assert!(text[1].contains("has no reverse DNS"));
        assert!(text.iter().any(|t| t.contains("ptr.missing: 203.0.113.5 has no PTR record")));
        assert!(text.iter().any(|t| t.contains("set its PTR to mail.example.com")));
        assert!(text.iter().any(|t| t.contains("Not checked: Queue, MX, Logs, Block lists")), "{text:?}");
        // Running again replaces the diagnosis instead of adding to it.
        step.diagnose(&mut session, None);
        assert_eq!(session.findings.iter().filter(|f| f.id.starts_with("diagnosis.")).count(), 1);
    }

    #[test]
    fn an_earlier_session_shows_what_changed_since() {
        let mut session = Session::new(Journal::in_memory());
        session.earlier = Some(crate::session::Earlier {
            label: "before.jsonl".into(),
            findings: vec![Finding::new("ptr.missing", &[("ip", "203.0.113.5")])],
        });
        session.findings = vec![Finding::new("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")])];
        let mut step = crate::wizard::SoloStep::<DiagnosisStep>::default();
        step.diagnose(&mut session, None);
        let text: Vec<String> = step.view(&session).rows.iter().map(Row::text).collect();
        let since = text.iter().position(|t| t == "Since before.jsonl").expect("a comparison");
        assert!(text[since..].iter().any(|t| t.contains("cleared  ✗ ptr.missing 203.0.113.5 has no PTR record")));
        assert!(text[since..].iter().any(|t| t.contains("new      ✓ ptr.ok")));
    }

    #[test]
    fn t_asks_step_1_to_retry_the_target_and_step_3_to_follow() {
        let mut session = Session::new(Journal::in_memory());
        let ctx = Context::default();
        let mut step = crate::wizard::SoloStep::<DiagnosisStep>::default();
        assert!(step.key('t', &mut session, &ctx).is_empty(), "no target, nothing to retry");
        session.target = Some(crate::session::Target::parse("bank.example").unwrap());
        let effects = format!("{:?}", step.key('t', &mut session, &ctx));
        assert_eq!(effects, "[Request(Logs Follow), Goto(Queue), Request(Queue RetryDomain(\"bank.example\"))]");
    }

    #[test]
    fn without_a_target_nothing_is_diagnosed_and_it_says_why() {
        let mut session = Session::new(Journal::in_memory());
        session.findings = vec![Finding::new("ptr.missing", &[("ip", "203.0.113.5")])];
        let mut step = crate::wizard::SoloStep::<DiagnosisStep>::default();
        let ctx = Context::new(crate::config::Config::default());
        assert!(step.run(&mut session, &ctx).is_empty());
        assert!(session.findings.iter().all(|f| f.family() != "diagnosis"));
        let text: Vec<String> = step.view(&session).rows.iter().map(Row::text).collect();
        assert!(text[0].starts_with("No target yet"), "{text:?}");
    }
}
