//! Figures for the terminal front end and the journal exports; prints, asserts nothing.
//!
//! `cargo run --release --example bench -- tui`

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::context::Context;
use mailwiz::session::{Event, EventKind, Finding, Journal, Session, export, markdown};
use mailwiz::tui::{App, Msg, render_to_string, update};

pub fn run() {
    // One frame of the shell with many findings, and the update of a keypress.
    let mut app = App::new(Context::default(), Session::new(Journal::in_memory()));
    update(&mut app, Msg::Resize(120, 40));
    for i in 0..500 {
        app.session.push_finding(Finding::note(&format!("note number {i} about bank.example")));
    }
    let per_frame = super::time_each(2_000, || {
        std::hint::black_box(render_to_string(&app, 120, 40));
    });
    let per_key = super::time_each(2_000, || {
        update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    });
    println!("shell 120x40, 500 findings: {per_frame:?} per frame (TestBackend), {per_key:?} per update(Tab)");

    // A paste of 1 MiB into the note input of a fresh app, then a frame and Esc.
    let mut app = App::new(Context::default(), Session::new(Journal::in_memory()));
    update(&mut app, Msg::Resize(120, 40));
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)));
    let pasted = "x".repeat(1 << 20);
    let start = Instant::now();
    update(&mut app, Msg::Paste(pasted));
    let paste_ms = ms(start);
    let kept = app.input.value().len();
    let start = Instant::now();
    std::hint::black_box(render_to_string(&app, 120, 40));
    update(&mut app, Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    println!(
        "paste of 1 MiB into an input: {paste_ms:.2} ms ({} KiB kept), then a frame and Esc: {:.2} ms",
        kept / 1024,
        ms(start)
    );

    // Exports and the atomic save of a long session.
    let journal = Journal::in_memory();
    for i in 0..100_000 {
        let kind = [EventKind::Sent, EventKind::Received, EventKind::DnsQuery, EventKind::TlsReceived][i % 4];
        journal.record(Event::new(kind, format!("250-line {i} of a long session with mx1.bank.example")));
    }
    journal.finding(&Finding::new("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]));
    let events = journal.events();
    for (name, render) in [
        ("transcript", export::transcript as fn(&[Event]) -> String),
        ("markdown", markdown::markdown),
        ("jsonl", export::jsonl),
    ] {
        let start = Instant::now();
        let out = render(&events);
        println!("{name:<10} of 100,001 events: {:>8.1} ms, {:>6.1} MiB", ms(start), out.len() as f64 / 1_048_576.0);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let start = Instant::now();
    export::save(&dir.path().join("bench"), &events).expect("the save works");
    println!("save (3 files, temp + fsync + rename): {:.1} ms", ms(start));
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}
