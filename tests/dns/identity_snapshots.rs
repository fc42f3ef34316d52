//! Steps 5 and 6 in the demo world, drawn on a test terminal: the missing PTR, the HELO
//! mismatch and the Spamhaus listing appear in the pane and in the findings panel.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::{Journal, Session, Target};
use mailwiz::tui::{App, Cmd, Msg, render_to_string, update};
use mailwiz::wizard::job::run_collect;

async fn demo_app() -> (App, Context) {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.expect("the demo world starts");
    let mut session = Session::new(Journal::in_memory());
    session.target = Some(Target::parse("bank.example").unwrap());
    let mut app = App::new(ctx.clone(), session);
    update(&mut app, Msg::Resize(120, 40));
    (app, ctx)
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Presses Enter on the current step and feeds the job's events back, as the runtime would.
async fn run_current_step(app: &mut App, ctx: &Context) {
    let cmds = key(app, KeyCode::Enter);
    let mut ran = 0;
    for cmd in cmds {
        if let Cmd::Spawn(job) = cmd {
            for event in run_collect(job, ctx.clone()).await {
                update(app, Msg::Job(event));
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 1, "Enter runs the step's job");
}

/// The screen with the one figure that changes from run to run (the check's wall time) masked.
fn screen(app: &App) -> String {
    let text = render_to_string(app, 120, 40);
    regex::Regex::new(r"(—|took) \d+\.\d\d s").unwrap().replace_all(&text, "$1 #.## s").into_owned()
}

#[tokio::test]
async fn identity_and_blocklist_steps_in_the_demo_world() {
    let (mut app, ctx) = demo_app().await;

    key(&mut app, KeyCode::Char('5'));
    run_current_step(&mut app, &ctx).await;
    let ids: Vec<&str> = app.session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ptr.missing",
            "helo.mismatch",
            "spf.pass",
            "dmarc.ok",
            "dkim.key_ok",
            "mta_sts.ok",
            "tls_rpt.ok",
            "dane.none",
            "dane.none"
        ]
    );
    assert_eq!(app.session.identity.ip.map(|ip| ip.to_string()).as_deref(), Some("203.0.113.5"));
    let identity = screen(&app);
    assert!(identity.contains("no PTR (NXDOMAIN)"), "{identity}");
    assert!(identity.contains("include:_spf.example.com →"), "{identity}");
    assert!(identity.contains("ip4:203.0.113.0/28 matched"), "{identity}");
    insta::assert_snapshot!("identity_step", identity);

    key(&mut app, KeyCode::Char('6'));
    run_current_step(&mut app, &ctx).await;
    let listed: Vec<&str> =
        app.session.findings.iter().filter(|f| f.id == "dnsbl.listed").map(|f| f.summary.as_str()).collect();
    assert_eq!(listed, ["203.0.113.5 is listed on zen.spamhaus.org: SBL: a known spam source or spam operation"]);
    let blocklists = screen(&app);
    assert!(blocklists.contains("zen.spamhaus.org"), "{blocklists}");
    insta::assert_snapshot!("blocklists_step", blocklists);
}
