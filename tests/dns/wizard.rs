//! Step 2 of the wizard: Enter runs the MX analysis as a job and fills the session (MX targets
//! for the SMTP step, mx.*/dns.* findings); the console runs lookups as jobs; stale events are
//! dropped. Plus a snapshot of the step in the terminal after the analysis.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::session::{Journal, Session, Target};
use mailwiz::tui::{App, Cmd, Msg, render_to_string, update};
use mailwiz::wizard::job::run_collect;
use mailwiz::wizard::mx::MxStep;
use mailwiz::wizard::{Effect, SoloStep, Step, StepId, StepStatus};

const ZONE: &str = "\
@     300 IN MX 10 mx1
@     300 IN MX 20 mx2
@     300 IN MX 30 relay
mx1   300 IN A 192.0.2.10
mx1   300 IN AAAA 2001:db8::10
mx2   300 IN A 192.0.2.20
relay 300 IN CNAME mx1
";

async fn server() -> DnsServer {
    DnsServer::builder().zone("bank.example", ZONE).start().await.unwrap()
}

fn context(server: &DnsServer) -> Context {
    Context::new(Config { dns_servers: vec![server.addr().to_string()], timeout: 2.0, ..Config::default() })
}

fn session(target: Option<&str>) -> Session {
    let mut session = Session::new(Journal::in_memory());
    session.target = target.map(|t| Target::parse(t).unwrap());
    session
}

fn spawned(effects: Vec<Effect>) -> mailwiz::wizard::Job {
    match effects.into_iter().next() {
        Some(Effect::Spawn(job)) => job,
        other => panic!("expected a job, got {other:?}"),
    }
}

#[tokio::test]
async fn enter_runs_the_analysis_and_fills_the_session() {
    let dns = server().await;
    let ctx = context(&dns);
    let mut session = session(Some("bank.example"));
    let mut step = SoloStep::<MxStep>::default();
    let job = spawned(step.run(&mut session, &ctx));
    assert_eq!(step.status(), StepStatus::Running);
    assert_eq!(dns.queries(), 0, "the step itself does no I/O");
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert_eq!(step.status(), StepStatus::Done);
    let exchanges: Vec<&str> = session.mx.iter().map(|m| m.exchange.as_str()).collect();
    assert_eq!(exchanges, ["mx1.bank.example", "mx2.bank.example", "relay.bank.example"]);
    assert_eq!(session.mx[0].addresses.len(), 2);
    let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["mx.cname"]);
    let text: Vec<String> = step.view(&session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(text.iter().any(|t| t.contains("20 mx2.bank.example") && t.contains("192.0.2.20")), "{text:?}");

    // Running again replaces the findings instead of piling them up.
    let job = spawned(step.run(&mut session, &ctx));
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert_eq!(session.findings.len(), 1);
}

#[tokio::test]
async fn after_a_dns_timeout_the_step_is_not_done() {
    // A resolver that never answers: a bound socket nobody reads.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let ctx = Context::new(Config {
        dns_servers: vec![silent.local_addr().unwrap().to_string()],
        timeout: 0.3,
        ..Config::default()
    });
    let mut session = session(Some("bank.example"));
    let mut step = SoloStep::<MxStep>::default();
    let job = spawned(step.run(&mut session, &ctx));
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert!(session.findings.iter().any(|f| f.id == "dns.timeout"), "{:?}", session.findings);
    assert_eq!(step.status(), StepStatus::Failed, "no ✓ without an answer");
    let text: Vec<String> = step.view(&session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(text[0].contains("no usable answer (dns.timeout)"), "{text:?}");
}

#[tokio::test]
async fn stale_and_cancelled_jobs_are_ignored() {
    let dns = server().await;
    let ctx = context(&dns);
    let mut session = session(Some("bank.example"));
    let mut step = SoloStep::<MxStep>::default();
    let first = spawned(step.run(&mut session, &ctx));
    let second = spawned(step.run(&mut session, &ctx));
    for event in run_collect(first, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert!(session.mx.is_empty(), "the first run's answer is stale");
    assert_eq!(step.status(), StepStatus::Running);
    step.cancel(&mut session);
    for event in run_collect(second, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    assert!(session.mx.is_empty(), "a cancelled run's answer is dropped");
    let text: Vec<String> = step.view(&session).rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(text.iter().any(|t| t.contains("cancelled")), "{text:?}");
}

#[tokio::test]
async fn without_a_target_enter_explains_and_the_console_still_works() {
    let dns = server().await;
    let ctx = context(&dns);
    let mut session = session(None);
    let mut step = SoloStep::<MxStep>::default();
    assert!(step.run(&mut session, &ctx).is_empty());
    assert!(step.view(&session).rows[0].text().contains("No target domain yet"));
    assert_eq!(step.prompt().as_deref(), Some("dns> "));

    assert!(step.submit("set type=bogus", &mut session, &ctx).is_empty());
    assert!(step.submit("mx2.bank.example a", &mut session, &ctx).is_empty());
    let job = spawned(step.submit("a mx2.bank.example", &mut session, &ctx));
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, &mut session);
    }
    let view = step.view(&session);
    assert!(view.follow_tail);
    let text: Vec<String> = view.rows.iter().map(mailwiz::wizard::Row::text).collect();
    assert!(text.contains(&"dns> set type=bogus".to_string()), "{text:?}");
    assert!(text.iter().any(|t| t.starts_with("error: \"bogus\" is not a record type")), "{text:?}");
    assert!(text.iter().any(|t| t.starts_with("error: \"mx2.bank.example a\"")), "{text:?}");
    assert!(text.iter().any(|t| t == "mx2.bank.example  ttl=300  address 192.0.2.20"), "{text:?}");
    assert!(session.findings.is_empty(), "console queries make no findings");
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Timings and the test server's random port vary from run to run; the padding after them keeps
/// the frame's columns where they were.
fn redact(screen: &str) -> String {
    let varying = regex::Regex::new(r"(\d+ ms|127\.0\.0\.1:\d+) *").unwrap();
    varying
        .replace_all(screen, |c: &regex::Captures| {
            let stable = if c[1].ends_with("ms") { "N ms" } else { "127.0.0.1:PORT" };
            format!("{stable:<width$}", width = c[0].len())
        })
        .into_owned()
}

/// The app at 120x32 on step 2 for bank.example, after Enter ran the MX analysis.
async fn analysed_app(ctx: &Context) -> App {
    let mut app = App::new(ctx.clone(), session(Some("bank.example")));
    update(&mut app, Msg::Resize(120, 32));
    app.current = StepId::Mx;
    press_and_run(&mut app, ctx, KeyCode::Enter, "Enter spawns the analysis").await;
    app
}

/// Presses `code`, which must spawn one job, and feeds that job's events back to the app.
async fn press_and_run(app: &mut App, ctx: &Context, code: KeyCode, what: &str) {
    let cmds = update(app, key(code));
    let mut jobs: Vec<_> =
        cmds.into_iter().filter_map(|c| if let Cmd::Spawn(job) = c { Some(job) } else { None }).collect();
    assert_eq!(jobs.len(), 1, "{what}");
    for event in run_collect(jobs.remove(0), ctx.clone()).await {
        update(app, Msg::Job(event));
    }
}

#[tokio::test]
async fn snapshot_of_step_2_after_the_analysis() {
    let dns = server().await;
    let ctx = context(&dns);
    let app = analysed_app(&ctx).await;
    insta::assert_snapshot!(redact(&render_to_string(&app, 120, 32)));
}

#[tokio::test]
async fn snapshot_of_step_2_after_the_analysis_in_the_demo_world() {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.unwrap();
    let mut app = analysed_app(&ctx).await;
    let targets: Vec<(&str, String)> =
        app.session.mx.iter().map(|m| (m.exchange.as_str(), m.addresses[0].to_string())).collect();
    assert_eq!(
        targets,
        [("mx1.bank.example", "192.0.2.10".to_string()), ("mx2.bank.example", "192.0.2.20".to_string())]
    );

    // Then the console: the reverse lookup of our own address, typed as in nslookup.
    update(&mut app, key(KeyCode::Char('i')));
    for ch in "203.0.113.5".chars() {
        update(&mut app, key(KeyCode::Char(ch)));
    }
    press_and_run(&mut app, &ctx, KeyCode::Enter, "a console line spawns its lookup").await;

    insta::assert_snapshot!(redact(&render_to_string(&app, 120, 32)));
}
