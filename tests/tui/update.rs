//! `update()` driven by messages, with no terminal: step changes, notes, saving, quitting.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::context::Context;
use mailwiz::session::{EventKind, Journal, Session, Severity};
use mailwiz::tui::app::{Mode, Purpose};
use mailwiz::tui::{App, Cmd, Msg, update};
use mailwiz::wizard::StepId;

fn app() -> App {
    let mut app = App::new(Context::default(), Session::new(Journal::in_memory()));
    app.save_dir = "/saves".into();
    update(&mut app, Msg::Resize(120, 40));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)))
}

/// Registers a job of `step` in the app's job table, as a spawn would, and returns its id.
fn running(app: &mut App, step: StepId, label: &str, started: Duration) -> mailwiz::wizard::JobId {
    // Not the step's automatic part: the step's own view stays as it was.
    let job = mailwiz::wizard::Job::new(step, label, |_| async {}).of_kind(mailwiz::wizard::JobKind::Action);
    app.wizard.jobs_mut().register(&job, started);
    job.id
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(press(app, KeyCode::Char(c)).is_empty());
    }
}

#[test]
fn tab_digits_and_shift_tab_change_step() {
    let mut app = app();
    assert_eq!(app.current, StepId::Queue);
    let mut visited = vec![app.current];
    for _ in 0..6 {
        press(&mut app, KeyCode::Tab);
        visited.push(app.current);
    }
    assert_eq!(visited, StepId::ALL);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current, StepId::Queue, "Tab wraps around");
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.current, StepId::Diagnosis);
    press(&mut app, KeyCode::Char('4'));
    assert_eq!(app.current, StepId::Smtp);
    press(&mut app, KeyCode::Char('9'));
    assert_eq!(app.current, StepId::Smtp, "no step 9");
}

#[test]
fn a_note_is_journaled_through_a_command_and_becomes_a_finding() {
    let mut app = app();
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.mode, Mode::Input(Purpose::Note));
    type_text(&mut app, "called bank\x1b[2J support");
    let cmds = press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Navigation);
    let [Cmd::Record(event)] = cmds.as_slice() else { panic!("expected one Record, got {cmds:?}") };
    assert_eq!(event.kind, EventKind::Note);
    let finding = event.finding().expect("the event carries the note");
    assert_eq!(finding.severity, Severity::Note);
    assert_eq!(finding.summary, "called bank\\x1b[2J support", "control bytes are escaped");
    assert_eq!(app.session.findings, vec![finding]);
    assert!(app.unsaved);
    // The journal itself is only written by the runtime.
    assert!(app.session.journal.events().is_empty());
}

#[test]
fn empty_note_and_escape_add_nothing() {
    let mut app = app();
    press(&mut app, KeyCode::Char('n'));
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "abc");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Navigation);
    assert!(app.session.findings.is_empty());
    assert!(!app.unsaved);
}

#[test]
fn save_asks_for_a_path_with_a_default_and_reports_the_outcome() {
    let mut app = app();
    assert!(ctrl(&mut app, 's').is_empty());
    assert_eq!(app.mode, Mode::Input(Purpose::SavePath));
    let default = app.input.value().to_string();
    assert!(default.starts_with("/saves/mailwiz-"), "{default}");
    let cmds = press(&mut app, KeyCode::Enter);
    let [Cmd::Save { base, state, .. }] = cmds.as_slice() else { panic!("expected Save, got {cmds:?}") };
    assert_eq!(base.display().to_string(), default);
    assert_eq!(state.kind, EventKind::Info);

    // A typed path with an extension names the base of all three files.
    ctrl(&mut app, 's');
    for _ in 0..default.chars().count() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "/tmp/out/report.md");
    let cmds = press(&mut app, KeyCode::Enter);
    let [Cmd::Save { base, .. }] = cmds.as_slice() else { panic!("expected Save, got {cmds:?}") };
    assert_eq!(base, std::path::Path::new("/tmp/out/report"));

    app.unsaved = true;
    update(&mut app, Msg::Saved(Err("cannot write /x.txt: permission denied".into())));
    assert!(app.unsaved);
    let message = app.message.clone().unwrap();
    assert!(message.text.contains("permission denied"), "{message:?}");
    update(&mut app, Msg::Saved(Ok(vec!["/tmp/out/report.txt".into()])));
    assert!(!app.unsaved);
    assert_eq!(app.message.clone().unwrap().text, "saved .txt as /tmp/out/report");
}

#[test]
fn quit_asks_only_with_unsaved_work() {
    let mut app = app();
    let cmds = press(&mut app, KeyCode::Char('q'));
    assert!(matches!(cmds.as_slice(), [Cmd::Quit]));
    assert!(app.quit);

    let mut app = self::app();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Enter);
    assert!(press(&mut app, KeyCode::Char('q')).is_empty());
    assert_eq!(app.mode, Mode::Input(Purpose::ConfirmQuit));
    assert!(press(&mut app, KeyCode::Char('n')).is_empty(), "n stays");
    assert_eq!(app.mode, Mode::Navigation);
    assert!(!app.quit);
    ctrl(&mut app, 'c');
    assert_eq!(app.mode, Mode::Input(Purpose::ConfirmQuit));
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mode, Mode::Input(Purpose::SavePath), "s saves first");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('q'));
    assert!(matches!(press(&mut app, KeyCode::Char('y')).as_slice(), [Cmd::Quit]));
    assert!(app.quit);
}

#[test]
fn help_opens_and_any_key_closes_it() {
    let mut app = app();
    press(&mut app, KeyCode::Char('?'));
    assert!(app.show_help);
    press(&mut app, KeyCode::Tab);
    assert!(!app.show_help);
    assert_eq!(app.current, StepId::Queue, "the closing key does nothing else");
}

#[test]
fn findings_selection_stays_in_range() {
    let mut app = app();
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.selected_finding, None);
    for text in ["a", "b"] {
        press(&mut app, KeyCode::Char('n'));
        type_text(&mut app, text);
        press(&mut app, KeyCode::Enter);
    }
    assert_eq!(app.selected().unwrap().summary, "b", "a new note is selected");
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char('['));
    assert_eq!(app.selected().unwrap().summary, "a");
    press(&mut app, KeyCode::Char(']'));
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.selected().unwrap().summary, "b");
}

#[test]
fn redraw_follows_changes_only() {
    let mut app = app();
    assert!(app.take_redraw());
    assert!(!app.take_redraw());
    update(&mut app, Msg::Tick);
    assert!(!app.take_redraw(), "an idle spinner tick draws nothing");
    press(&mut app, KeyCode::Tab);
    assert!(app.take_redraw());
}

#[test]
fn esc_cancels_the_current_steps_job_and_done_events_retire_jobs() {
    use mailwiz::wizard::JobEvent;
    use mailwiz::wizard::job::Payload;
    let mut app = app();
    let a = running(&mut app, StepId::Mx, "MX lookup", Duration::default());
    let b = running(&mut app, StepId::Smtp, "connect", Duration::default());
    assert!(app.busy());
    press(&mut app, KeyCode::Char('2'));
    let cmds = press(&mut app, KeyCode::Esc);
    assert!(matches!(cmds.as_slice(), [Cmd::Cancel(id)] if *id == a), "{cmds:?}");
    assert_eq!(app.wizard.jobs().iter().count(), 1);
    assert!(app.message.clone().unwrap().text.contains("MX lookup"));

    // On a step without a job, Esc cancels the newest job of any step.
    press(&mut app, KeyCode::Char('1'));
    let cmds = press(&mut app, KeyCode::Esc);
    assert!(matches!(cmds.as_slice(), [Cmd::Cancel(id)] if *id == b), "{cmds:?}");
    assert!(!app.busy());
    assert!(press(&mut app, KeyCode::Esc).is_empty());

    let c = running(&mut app, StepId::Queue, "queue", Duration::default());
    update(&mut app, Msg::Tick);
    assert_eq!(app.spinner, 1, "the spinner turns while a job runs");
    update(&mut app, Msg::Job(JobEvent { job: c, step: StepId::Queue, payload: Payload::Empty, done: true }));
    assert!(!app.busy());
}

#[test]
fn a_panicked_job_is_retired_reported_and_journaled() {
    let mut app = app();
    let id = running(&mut app, StepId::Mx, "MX lookup for bank.example", Duration::default());
    let cmds = update(&mut app, Msg::JobFailed { job: id, step: StepId::Mx, error: "index out of bounds".into() });
    assert!(!app.busy());
    let [Cmd::Record(event)] = cmds.as_slice() else { panic!("expected a journal record, got {cmds:?}") };
    assert_eq!(event.kind, EventKind::Error);
    assert!(event.text.contains("MX lookup for bank.example failed unexpectedly: index out of bounds"));
    assert_eq!(app.message.clone().unwrap().text, event.text);
}

#[test]
fn paste_goes_to_the_input_line_as_one_line() {
    let mut app = app();
    update(&mut app, Msg::Paste("ignored in navigation".into()));
    assert_eq!(app.input.value(), "");
    press(&mut app, KeyCode::Char('n'));
    update(&mut app, Msg::Paste("first line\x1b[31m\nsecond line".into()));
    assert_eq!(app.input.value(), "first line[31m", "control bytes dropped, one line only");
}

#[test]
fn a_paste_of_1_mib_is_kept_within_the_console_line_cap_and_esc_still_works() {
    let mut app = app();
    press(&mut app, KeyCode::Char('n'));
    update(&mut app, Msg::Paste(format!("{}\nsecond line", "é".repeat(1 << 19))));
    let kept = app.input.value().len();
    assert!(kept <= mailwiz::tui::paste::MAX_INPUT && kept > mailwiz::tui::paste::MAX_INPUT - 2, "{kept}");
    // Typing at the cap adds nothing; the keys still act.
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.input.value().len(), kept);
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.input.value().len(), kept - 2);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, mailwiz::tui::app::Mode::Navigation);
    assert_eq!(app.input.value(), "");
}

#[test]
fn left_and_right_scroll_long_lines_sideways() {
    let mut app = app();
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    assert_eq!(app.scroll[&StepId::Queue].column, 16);
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Left);
    assert_eq!(app.scroll[&StepId::Queue].column, 0);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Tab);
    assert!(!app.scroll.contains_key(&StepId::Mx), "each step keeps its own position");
}

#[test]
fn clicking_a_step_in_the_list_goes_there() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app();
    let click = |column, row| {
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Row 0 is the header, row 1 the list's border; step 4 is on row 5.
    update(&mut app, click(5, 5));
    assert_eq!(app.current, StepId::Smtp);
    update(&mut app, click(60, 5));
    assert_eq!(app.current, StepId::Smtp, "a click in the main pane changes no step");
    update(&mut app, click(5, 30));
    assert_eq!(app.current, StepId::Smtp, "below the seventh step");
}

#[test]
fn the_input_history_keeps_no_auth_secret() {
    let mut app = app();
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('i'));
    for line in ["EHLO mail.sender.example", "AUTH PLAIN AGZvbwBiYXI=", "AUTH LOGIN", "dXNlcg==", "cGFzcw=="] {
        type_text(&mut app, line);
        press(&mut app, KeyCode::Enter);
    }
    let lines = &app.history[&StepId::Smtp].lines;
    assert_eq!(lines, &["EHLO mail.sender.example", "AUTH PLAIN [redacted]"]);
    assert!(!format!("{:?}", app.history).contains("AGZvbwBiYXI="));
}

#[test]
fn a_console_line_leaves_update_as_a_command_and_an_undelivered_one_is_said() {
    use mailwiz::wizard::Undelivered;
    let mut app = app();
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('i'));
    type_text(&mut app, "EHLO mail.sender.example");
    let cmds = press(&mut app, KeyCode::Enter);
    let [Cmd::Spawn(console), Cmd::Send { step, job, line }] = cmds.as_slice() else { panic!("{cmds:?}") };
    assert_eq!((*step, *job, line.as_str()), (StepId::Smtp, console.id, "EHLO mail.sender.example"));
    assert!(console.input.is_some(), "the runtime gets the console's input with the job");
    let job = console.id;

    // The next line goes to the same console.
    type_text(&mut app, "NOOP");
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Send { job: j, .. }] if *j == job), "{cmds:?}");

    update(&mut app, Msg::Undelivered { step: StepId::Smtp, job, why: Undelivered::Busy });
    let screen = mailwiz::tui::render_to_string(&app, 120, 40);
    assert!(screen.contains("the console is busy; line not sent"), "{screen}");
    assert!(app.step_busy(StepId::Smtp));
    // A console that takes no more lines is retired: the next line starts a new one.
    update(&mut app, Msg::Undelivered { step: StepId::Smtp, job, why: Undelivered::Ended });
    let screen = mailwiz::tui::render_to_string(&app, 120, 40);
    assert!(screen.contains("the console has ended; press c or type the line again"), "{screen}");
    assert!(!app.step_busy(StepId::Smtp));
    type_text(&mut app, "NOOP");
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Spawn(_), Cmd::Send { .. }]), "{cmds:?}");
}

fn click(column: u16, row: u16) -> Msg {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    Msg::Mouse(MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column, row, modifiers: KeyModifiers::NONE })
}

fn with_findings(app: &mut App) {
    use mailwiz::session::Finding;
    app.session.push_finding(Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]));
    app.session.push_finding(Finding::note("bank.example support says their filter is strict"));
}

#[test]
fn a_click_in_the_findings_panel_selects_the_finding_under_the_pointer() {
    let mut app = app();
    with_findings(&mut app);
    // At 120 columns the panel starts at column 80; its first entry (two lines) is on rows 2-3,
    // the note's on rows 4-5.
    update(&mut app, click(90, 4));
    assert_eq!(app.selected().map(|f| f.id.as_str()), Some("note"));
    update(&mut app, click(90, 3));
    assert_eq!(app.selected().map(|f| f.id.as_str()), Some("ptr.missing"));
    update(&mut app, click(90, 30));
    assert_eq!(app.selected().map(|f| f.id.as_str()), Some("ptr.missing"), "below the list: no change");
}

#[test]
fn v_opens_the_finding_whole_and_it_scrolls_and_closes() {
    let mut app = app();
    update(&mut app, Msg::Resize(60, 8));
    with_findings(&mut app);
    press(&mut app, KeyCode::Char('v'));
    let view = app.finding_view.expect("v opens the first finding");
    assert_eq!((view.index, view.offset), (0, 0));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.finding_view.unwrap().offset, 2);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.finding_view.unwrap().offset, 1);
    press(&mut app, KeyCode::End);
    let end = app.finding_view.unwrap().offset;
    assert!(end > 1, "the text is longer than the screen");
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.finding_view.unwrap().offset, end, "scrolling stops at the end");
    press(&mut app, KeyCode::Home);
    assert_eq!(app.finding_view.unwrap().offset, 0);
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.finding_view.unwrap().index, 1, "] reads the next finding");
    assert_eq!(app.current, StepId::Queue, "keys do not reach the wizard behind the view");
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.current, StepId::Queue);
    press(&mut app, KeyCode::Esc);
    assert!(app.finding_view.is_none());
}

#[test]
fn z_zooms_the_main_pane_and_back() {
    let mut app = app();
    let normal = app.page_rows();
    press(&mut app, KeyCode::Char('z'));
    assert!(app.zoom);
    assert_eq!(app.page_rows(), normal, "zoom widens, it does not heighten");
    press(&mut app, KeyCode::Char('z'));
    assert!(!app.zoom);
}

#[test]
fn search_moves_between_matches_with_n_and_keeps_n_for_notes_otherwise() {
    let mut app = app();
    with_findings(&mut app);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Input(Purpose::Search));
    type_text(&mut app, "BANK");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Navigation);
    // The only match is the note (the queue pane is empty of "bank").
    assert_eq!(app.selected().map(|f| f.id.as_str()), Some("note"));
    assert!(app.message.clone().unwrap().text.contains("match 1 of 1"));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode, Mode::Navigation, "n moves to a match while searching");
    assert_eq!(app.search.as_ref().unwrap().current, Some(0));

    // Several matches: n forward, N back, wrapping.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "203.0.113");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.selected().map(|f| f.id.as_str()), Some("ptr.missing"));
    let count = app.message.clone().unwrap().text;
    assert!(count.contains("match 1 of "), "{count}");
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT)));
    assert!(app.message.clone().unwrap().text.contains("match "), "N wraps to the last match");

    press(&mut app, KeyCode::Esc);
    assert!(app.search.is_none(), "Esc ends the search");
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode, Mode::Input(Purpose::Note), "without a search, n adds a note");
}

#[test]
fn the_help_scrolls_on_a_small_terminal_and_other_keys_close_it() {
    let mut app = app();
    update(&mut app, Msg::Resize(80, 24));
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Down);
    assert!(app.show_help, "a movement key scrolls");
    assert_eq!(app.help_scroll, 1);
    press(&mut app, KeyCode::End);
    let end = app.help_scroll;
    assert!(end > 1);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.help_scroll, end, "no scrolling past the end");
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.show_help);
}

#[test]
fn a_running_job_shows_its_elapsed_seconds() {
    let mut app = app();
    app.now = Duration::from_secs(100);
    let id = running(&mut app, StepId::Queue, "queue", Duration::from_secs(93));
    let screen = mailwiz::tui::render_to_string(&app, 120, 40);
    assert!(screen.contains("queue 7s · Esc cancels"), "{screen}");
    update(&mut app, Msg::JobFailed { job: id, step: StepId::Queue, error: "x".into() });
    assert!(!mailwiz::tui::render_to_string(&app, 120, 40).contains("Esc cancels"), "the spinner stops with the job");
}

#[test]
fn exit_in_the_nslookup_console_leaves_the_input_line() {
    let mut app = app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('i'));
    assert_eq!(app.mode, Mode::Input(Purpose::Console));
    type_text(&mut app, "exit");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Navigation, "exit leaves, as nslookup's does");
}

#[test]
fn s_at_the_quit_prompt_saves_then_quits_and_names_every_file() {
    let mut app = app();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "asked the bank");
    press(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'c');
    press(&mut app, KeyCode::Char('s'));
    let cmds = press(&mut app, KeyCode::Enter);
    assert!(matches!(cmds.as_slice(), [Cmd::Save { .. }]), "{cmds:?}");
    assert!(!app.quit, "not before the save is done");
    let base = "/saves/session";
    let paths = ["txt", "md", "jsonl", "note.txt"].map(|ext| std::path::PathBuf::from(format!("{base}.{ext}")));
    let cmds = update(&mut app, Msg::Saved(Ok(paths.to_vec())));
    assert!(matches!(cmds.as_slice(), [Cmd::Quit]), "{cmds:?}");
    let message = &app.message.as_ref().expect("a message").text;
    assert_eq!(message, "saved .txt .md .jsonl .note.txt as /saves/session");
}
