//! The bridge to the wizard: a step's effects become commands, a job's events reach its step,
//! a failed or cancelled job puts its step back to rest.

use tui_input::Input;

use super::model::{App, Cmd, Mode, Purpose, RunningJob};
use crate::session::{Event, EventKind};
use crate::wizard::{Effect, JobEvent, JobId, Request, StepId, Tone};

pub(super) fn apply_effects(app: &mut App, effects: Vec<Effect>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for effect in effects {
        match effect {
            Effect::Spawn(job) => {
                app.jobs.push(RunningJob { id: job.id, step: job.step, label: job.label.clone(), started: app.now });
                app.unsaved = true;
                cmds.push(Cmd::Spawn(job));
            }
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
                let effects = app.wizard.step_mut(step).request(request, &mut app.session, &app.ctx);
                cmds.extend(apply_effects(app, effects));
            }
        }
    }
    cmds
}

pub(super) fn on_job_event(app: &mut App, event: JobEvent) -> Vec<Cmd> {
    if event.done {
        app.jobs.retain(|j| j.id != event.job);
    }
    app.unsaved = true;
    let step = event.step;
    let mut effects = app.wizard.step_mut(step).on_event(event, &mut app.session);
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
    app.jobs.iter().any(|j| j.step != StepId::Diagnosis)
}

pub(super) fn on_job_failed(app: &mut App, job: JobId, step: StepId, error: &str) -> Vec<Cmd> {
    let label = app.jobs.iter().find(|j| j.id == job).map_or_else(|| "a job".to_string(), |j| j.label.clone());
    app.jobs.retain(|j| j.id != job);
    // The step waits for an event that will never come; cancelling puts it back to rest.
    app.wizard.step_mut(step).cancel(&mut app.session);
    let text = format!("{label} failed unexpectedly: {error}");
    app.set_message(Tone::Fail, text.clone());
    vec![Cmd::Record(Event::new(EventKind::Error, text))]
}

pub(super) fn cancel_jobs(app: &mut App) -> Vec<Cmd> {
    // The current step's jobs, else the newest job of any step.
    let step = if app.step_busy(app.current) {
        app.current
    } else if let Some(job) = app.jobs.last() {
        job.step
    } else {
        app.message = None;
        return Vec::new();
    };
    let (cancelled, kept): (Vec<_>, Vec<_>) = app.jobs.drain(..).partition(|j| j.step == step);
    app.jobs = kept;
    app.wizard.step_mut(step).cancel(&mut app.session);
    let labels: Vec<&str> = cancelled.iter().map(|j| j.label.as_str()).collect();
    app.set_message(Tone::Warn, format!("cancelled: {}", labels.join(", ")));
    cancelled.into_iter().map(|j| Cmd::Cancel(j.id)).collect()
}
