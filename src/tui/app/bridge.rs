//! The bridge to the wizard: a step's effects become commands (a spawned job is registered in
//! the wizard's job table first), a job's events reach its step through the table, and a failed
//! or cancelled job is retired there and stopped by exactly one command each.

use tui_input::Input;

use super::model::{App, Cmd, Mode, Purpose};
use crate::session::{Event, EventKind};
use crate::wizard::{Effect, JobEvent, JobId, Request, StepId, Tone};

pub(super) fn apply_effects(app: &mut App, effects: Vec<Effect>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for effect in effects {
        match effect {
            Effect::Spawn(job) => {
                app.wizard.jobs_mut().register(&job, app.now);
                app.unsaved = true;
                cmds.push(Cmd::Spawn(job));
            }
            Effect::Send { step, job, line } => cmds.push(Cmd::Send { step, job, line }),
            Effect::CloseInput(job) => cmds.push(Cmd::CloseInput(job)),
            Effect::Record(event) => {
                app.unsaved = true;
                cmds.push(Cmd::Record(event));
            }
            Effect::Goto(step) => app.goto(step),
            Effect::LeaveInput => {
                app.mode = Mode::Navigation;
                app.input = Input::default();
            }
            Effect::OpenInput => {
                app.input = Input::default();
                app.mode = Mode::Input(Purpose::Console);
            }
            Effect::Status(tone, text) => app.set_message(tone, text),
            Effect::Confirm { step, question } => {
                app.question = Some(question);
                app.input = Input::default();
                app.mode = Mode::Input(Purpose::Confirm(step));
            }
            // Step 7 waits for the steps it asked to run: while any of theirs runs, the
            // request comes again when the last job ends (see `on_job_event`).
            Effect::Request(StepId::Diagnosis, Request::Settled) if others_running(app) => {}
            Effect::Request(step, request) => {
                let effects = app.wizard.request(step, request, &mut app.session, &app.ctx);
                cmds.extend(apply_effects(app, effects));
            }
        }
    }
    cmds
}

pub(super) fn on_job_event(app: &mut App, event: JobEvent) -> Vec<Cmd> {
    app.unsaved = true;
    let step = event.step;
    let mut effects = app.wizard.on_event(event, &mut app.session);
    if let Some(i) = app.selected_finding
        && i >= app.session.findings.len()
    {
        app.selected_finding = app.session.findings.len().checked_sub(1);
    }
    if step != StepId::Diagnosis {
        effects.push(Effect::Request(StepId::Diagnosis, Request::Settled));
    }
    apply_effects(app, effects)
}

/// True while a job of a step other than the diagnosis runs.
fn others_running(app: &App) -> bool {
    app.wizard.jobs().iter().any(|j| j.step != StepId::Diagnosis)
}

pub(super) fn on_job_failed(app: &mut App, job: JobId, step: StepId, error: &str) -> Vec<Cmd> {
    // The step waits for an event that will never come; the table retires the job and the step
    // puts itself back to rest.
    let label = app.wizard.failed(job, &mut app.session).map_or_else(|| "a job".to_string(), |j| j.label);
    let text = format!("{label} failed unexpectedly: {error}");
    app.set_message(Tone::Fail, text.clone());
    let mut cmds = vec![Cmd::Record(Event::new(EventKind::Error, text))];
    if step != StepId::Diagnosis {
        cmds.extend(apply_effects(app, vec![Effect::Request(StepId::Diagnosis, Request::Settled)]));
    }
    cmds
}

pub(super) fn cancel_jobs(app: &mut App) -> Vec<Cmd> {
    // The current step's jobs, else the newest job of any step.
    let step = if app.step_busy(app.current) {
        app.current
    } else if let Some(job) = app.wizard.jobs().iter().next_back() {
        job.step
    } else {
        app.message = None;
        return Vec::new();
    };
    let cancelled = app.wizard.cancel(step, &mut app.session);
    let labels: Vec<&str> = cancelled.iter().map(|j| j.label.as_str()).collect();
    app.set_message(Tone::Warn, format!("cancelled: {}", labels.join(", ")));
    cancelled.into_iter().map(|j| Cmd::Cancel(j.id)).collect()
}
