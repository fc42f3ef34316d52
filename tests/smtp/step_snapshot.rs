//! Step 4 mid-session in the demo world: the MX probe has run (mx1 answers 421, mx2 hangs up
//! before its banner), then the console talks to mx.good.example up to RCPT TO after STARTTLS.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{Journal, MxTarget, Session, Target};
use mailwiz::tui::{App, Cmd, Msg, render_to_string, update};
use mailwiz::wizard::{JobCtx, JobEvent, JobId};
use regex::Regex;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

struct Harness {
    app: App,
    tx: UnboundedSender<JobEvent>,
    rx: UnboundedReceiver<JobEvent>,
    /// The input of each console job, as the runtime holds it.
    inputs: HashMap<JobId, tokio::sync::mpsc::Sender<String>>,
}

impl Harness {
    /// The app in the demo world with `config` and `session`, at step 4.
    async fn at_step_4(config: Config, session: Session) -> Harness {
        let ctx = mailwiz::demo::attach(Context::new(config)).await.expect("the demo world starts");
        let (tx, rx) = unbounded_channel();
        let mut h = Harness { app: App::new(ctx, session), tx, rx, inputs: HashMap::new() };
        update(&mut h.app, Msg::Resize(WIDTH, HEIGHT));
        h.key(KeyCode::Char('4'));
        h
    }

    fn run(&mut self, cmds: Vec<Cmd>) {
        for cmd in cmds {
            match cmd {
                Cmd::Spawn(job) => {
                    let jc =
                        JobCtx::new(job.id, job.step, self.app.ctx.clone(), CancellationToken::new(), self.tx.clone());
                    if let Some(input) = job.input {
                        self.inputs.insert(job.id, input);
                    }
                    tokio::spawn((job.run)(jc));
                }
                Cmd::Send { job, line, .. } => self.inputs[&job].try_send(line).expect("the console takes the line"),
                Cmd::CloseInput(job) => drop(self.inputs.remove(&job)),
                _ => {}
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        let cmds = update(&mut self.app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        self.run(cmds);
    }

    fn type_line(&mut self, line: &str) {
        self.key(KeyCode::Char('i'));
        for c in line.chars() {
            self.key(KeyCode::Char(c));
        }
        self.key(KeyCode::Enter);
        self.key(KeyCode::Esc);
    }

    fn screen(&self) -> String {
        render_to_string(&self.app, WIDTH, HEIGHT)
    }

    /// Feeds job events to the app until no job of step 4 runs.
    async fn until_idle(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.app.step_busy(mailwiz::wizard::StepId::Smtp) {
            let event = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("a job of step 4 still runs:\n{}", self.screen()))
                .expect("job channel open");
            let cmds = update(&mut self.app, Msg::Job(event));
            self.run(cmds);
        }
    }

    /// Feeds job events to the app until the screen shows `needle`.
    async fn until(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while !self.screen().contains(needle) {
            let event = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("\"{needle}\" never appeared:\n{}", self.screen()))
                .expect("job channel open");
            let cmds = update(&mut self.app, Msg::Job(event));
            self.run(cmds);
        }
    }
}

/// The probe's settings in these tests: our HELO name and envelope sender.
fn probe_config() -> Config {
    Config { helo: Some("mail.example.com".into()), from: Some("billing@example.com".into()), ..Config::default() }
}

/// A session for `target` whose MX step found `mx` (exchanger, address), in order of preference.
fn session_for(target: &str, mx: &[(&str, &str)]) -> Session {
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse(target).unwrap());
    session.mx = mx
        .iter()
        .zip((10..).step_by(10))
        .map(|(&(exchange, address), preference)| MxTarget {
            preference,
            exchange: exchange.into(),
            addresses: vec![address.parse().unwrap()],
        })
        .collect();
    session
}

#[tokio::test]
async fn step_4_mid_session_in_the_demo_world() {
    // What the MX step finds in the demo world.
    let session =
        session_for("alice@bank.example", &[("mx1.bank.example", "192.0.2.10"), ("mx2.bank.example", "192.0.2.20")]);
    let mut h = Harness::at_step_4(probe_config(), session).await;
    h.key(KeyCode::Enter);
    h.until("probe: 0 of 2").await;
    h.type_line(":connect mx.good.example");
    h.until("<- 220 mx.good.example ESMTP ready").await;
    h.type_line("EHLO mail.example.com");
    h.until("<- 250 STARTTLS").await;
    h.type_line("STARTTLS");
    h.until("send it again").await;
    h.type_line("EHLO mail.example.com");
    h.until("<~ 250 8BITMIME").await;
    h.type_line("MAIL FROM:<billing@example.com>");
    h.until("<~ 250 2.1.0 Ok").await;
    h.type_line("RCPT TO:<erin@good.example>");
    h.until("<~ 250 2.1.5 Ok").await;

    let screen = h.screen();
    assert!(!screen.contains('\u{1b}'));
    let ids: Vec<&str> = h.app.session.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"smtp.banner_4xx") && ids.contains(&"smtp.closed_before_banner"), "{ids:?}");
    // mx.good.example is not an MX of bank.example: what it answers is an experiment, shown in
    // the console and never one of bank.example's findings.
    assert!(!ids.iter().any(|id| *id == "smtp.tls_cert_invalid" || *id == "smtp.ok"), "{ids:?}");
    assert!(screen.contains("experiment, not counted: ⚠ smtp.tls_cert_invalid"), "{screen}");
    let echoed = h.app.session.identity.ip_candidates.iter().find(|c| c.source == "ehlo:mx.good.example");
    assert_eq!(echoed.map(|c| c.ip), Some("203.0.113.5".parse().unwrap()), "the EHLO echo is a candidate for our IP");
    // Times vary from run to run.
    insta::assert_snapshot!(without_times(&screen));
}

#[tokio::test]
async fn step_4_shows_the_second_vantage_point_beside_here() {
    let Some(via) = common::relay_from("127.0.0.99") else { return };
    let mut config = probe_config();
    config.smtp.via = Some(via);
    let session = session_for("erin@good.example", &[("mx.good.example", "198.51.100.25")]);
    let mut h = Harness::at_step_4(config, session).await;
    h.key(KeyCode::Enter);
    h.until("from here  ·  through socat").await;
    // One row per address: here, then there.
    let rows = smtp_rows(&h);
    let side_by_side =
        "mx.good.example (198.51.100.25): RCPT TO accepted (250 2.1.5 Ok) · RCPT TO accepted (250 2.1.5 Ok)";
    assert!(rows.iter().any(|r| r == side_by_side), "{rows:#?}");
    assert!(!h.app.session.findings.iter().any(|f| f.id == "smtp.vantage_differs"), "both sides agree");
}

#[tokio::test]
async fn step_4_run_first_looks_up_the_mx_itself() {
    let config = Config { helo: Some("mail.example.com".into()), ..Config::default() };
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse("bank.example").unwrap());
    let mut h = Harness::at_step_4(config, session).await;
    h.key(KeyCode::Enter);
    h.until("probe: 0 of 2").await;
    let screen = h.screen();
    assert!(screen.contains("looking up the MX of bank.example"), "{screen}");
    assert!(screen.contains("mx1.bank.example (192.0.2.10:25) banner_4xx"), "{screen}");
    assert!(screen.contains("mx2.bank.example (192.0.2.20:25)"), "{screen}");
}

#[tokio::test]
async fn the_console_ends_when_the_server_hangs_up_after_221() {
    let config = Config { helo: Some("mail.example.com".into()), ..Config::default() };
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse("good.example").unwrap());
    let mut h = Harness::at_step_4(config, session).await;
    h.type_line(":connect mx.good.example");
    h.until("<- 220 mx.good.example ESMTP ready").await;
    h.type_line("QUIT");
    h.until("connection closed").await;
    h.until_idle().await;
    assert!(!h.screen().contains("Esc cancels"), "no spinner once the server has hung up:\n{}", h.screen());
}

#[tokio::test]
async fn step_4_shows_the_servers_words_and_w_repeats_a_probe_refused_at_the_greeting() {
    let session = session_for("alice@bank.example", &[("mx1.bank.example", "192.0.2.10")]);
    let mut h = Harness::at_step_4(probe_config(), session).await;
    h.key(KeyCode::Enter);
    // mx1 refuses at the greeting: its words are under its row, as `mailwiz smtp` prints them.
    h.until("<** 421 4.0.0 Server error").await;
    let cmds = update(&mut h.app, Msg::Key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::NONE)));
    assert!(h.screen().contains("swaks --server mx1.bank.example"), "{}", h.screen());
    // The line is journaled whole (the screen wraps it).
    let line = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::Record(event) if event.text.starts_with("as swaks: ") => Some(event.text.clone()),
            _ => None,
        })
        .expect("journaled");
    assert!(line.contains("--from billing@example.com") && line.contains("--to alice@bank.example"), "{line}");
}

#[tokio::test]
async fn step_4_shows_one_row_per_mx_address_with_its_family() {
    // The demo's dual-stack receiver: one MX with an A and an AAAA record.
    let mut session = session_for("dualstack.example", &[]);
    session.mx = vec![MxTarget {
        preference: 10,
        exchange: "mail.dualstack.example".into(),
        addresses: vec!["192.0.2.70".parse().unwrap(), "2001:db8::70".parse().unwrap()],
    }];
    let mut h = Harness::at_step_4(probe_config(), session).await;
    h.key(KeyCode::Enter);
    h.until_idle().await;
    let rows = smtp_rows(&h);
    let at = rows.iter().position(|r| r.starts_with("Each MX address")).expect("the rows by family");
    assert!(rows[at + 1].starts_with("  ✓ mail.dualstack.example  IPv4 192.0.2.70    RCPT TO accepted"), "{rows:#?}");
    assert!(
        rows[at + 2].starts_with("  ✗ mail.dualstack.example  IPv6 2001:db8::70  RCPT TO rejected (550-5.7.1"),
        "{rows:#?}"
    );
    let differs = h.app.session.findings.iter().find(|f| f.id == "smtp.family_differs").expect("smtp.family_differs");
    assert_eq!(differs.arg("our_ipv6"), Some("2001:db8::5"));
    // The rows open the pane.
    h.key(KeyCode::Home);
    insta::assert_snapshot!(without_times(&h.screen()));
}

/// The screen with its times as `N`, the main pane's padding made up so its border stays put.
/// First-fit wrapping may leave a connect time's "ms" for the next line.
fn without_times(screen: &str) -> String {
    let times = Regex::new(r"\d+ ms|connected in \d+").unwrap();
    let lines = screen.lines().map(|line| {
        let replaced = times.replace_all(line, |c: &regex::Captures| {
            if c[0].starts_with("connected") { "connected in N".to_string() } else { "N ms".to_string() }
        });
        let short = line.chars().count() - replaced.chars().count();
        match replaced.rfind("││") {
            Some(at) if short > 0 => format!("{}{}{}", &replaced[..at], " ".repeat(short), &replaced[at..]),
            _ => replaced.into_owned(),
        }
    });
    lines.collect::<Vec<_>>().join("\n")
}

/// The text of step 4's rows as the wizard shows them.
fn smtp_rows(h: &Harness) -> Vec<String> {
    h.app
        .wizard
        .view(mailwiz::wizard::StepId::Smtp, &h.app.session)
        .rows
        .iter()
        .map(mailwiz::wizard::Row::text)
        .collect()
}
