//! Steps 5 and 6 driven without a UI: Enter spawns a job, the job runs against the in-process
//! DNS server, its events come back into the step, and the session holds the findings.

use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::session::{Journal, Session};
use mailwiz::wizard::blocklists::BlocklistsStep;
use mailwiz::wizard::identity::IdentityStep;
use mailwiz::wizard::job::run_collect;
use mailwiz::wizard::{Effect, Row, SoloStep, Step, StepStatus};

async fn server() -> DnsServer {
    DnsServer::builder()
        .zone("example.com", "mail 300 IN A 203.0.113.5\nother 300 IN A 198.51.100.3\n")
        .zone("113.0.203.in-addr.arpa", "5 300 IN PTR mail.example.com.\n")
        .zone("zen.spamhaus.org", "6.113.0.203 300 IN A 127.0.0.10\n")
        .zone("bl.spamcop.net", "2.0.0.127 300 IN A 127.0.0.2\n")
        .start()
        .await
        .unwrap()
}

fn context(server: &DnsServer, extra: &str) -> Context {
    let toml = format!(
        "dns_servers = [\"{}\"]\ntimeout = 2.0\n{extra}\n[identity]\nask_mta = false\n\
         [blocklist]\nzones = [\"zen.spamhaus.org\", \"bl.spamcop.net\"]\n",
        server.addr()
    );
    let mut ctx = Context::new(toml::from_str::<Config>(&toml).unwrap());
    // The demo world's lists are local; so are these.
    ctx.demo = true;
    ctx
}

async fn run_step<S: Step>(step: &mut SoloStep<S>, session: &mut Session, ctx: &Context) {
    let effects = step.run(session, ctx);
    let [Effect::Spawn(job)] = <[Effect; 1]>::try_from(effects).unwrap() else { panic!("Enter spawns one job") };
    assert_eq!(step.status(), StepStatus::Running);
    for event in run_collect(job, ctx.clone()).await {
        step.on_event(event, session);
    }
    assert_eq!(step.status(), StepStatus::Done);
}

fn text(rows: &[Row]) -> String {
    rows.iter().map(Row::text).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn identity_step_finds_a_missing_ptr_and_a_helo_mismatch() {
    let server = server().await;
    let ctx = context(&server, "ip = \"203.0.113.6\"\nhelo = \"other.example.com\"");
    let mut session = Session::new(Journal::in_memory());
    let mut step = SoloStep::<IdentityStep>::default();
    run_step(&mut step, &mut session, &ctx).await;

    assert_eq!(session.identity.ip, Some("203.0.113.6".parse().unwrap()));
    assert_eq!(session.identity.helo.as_deref(), Some("other.example.com"));
    let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["ptr.missing", "helo.mismatch"]);
    let view = text(&step.view(&session).rows);
    assert!(view.contains("203.0.113.6"), "{view}");
    assert!(view.contains("from --ip/config"), "{view}");
    assert!(view.contains("no PTR (NXDOMAIN)"), "{view}");
    assert!(view.contains("other.example.com → 198.51.100.3"), "{view}");

    // Running again replaces the step's findings instead of piling them up.
    run_step(&mut step, &mut session, &ctx).await;
    assert_eq!(session.findings.len(), 2);
}

#[tokio::test]
async fn identity_step_with_a_good_ptr_and_helo() {
    let server = server().await;
    let ctx = context(&server, "ip = \"203.0.113.5\"\nhelo = \"mail.example.com\"");
    let mut session = Session::new(Journal::in_memory());
    run_step(&mut SoloStep::<IdentityStep>::default(), &mut session, &ctx).await;
    let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["ptr.ok", "helo.ok"]);
    // The job journaled its findings and its DNS exchanges.
    let events = ctx.journal.events();
    assert!(events.iter().any(|e| e.text.starts_with("ptr.ok")));
    assert!(events.iter().any(|e| e.text.contains("5.113.0.203.in-addr.arpa")));
}

#[tokio::test]
async fn blocklist_step_lists_our_address_and_ignores_stale_jobs() {
    let server = server().await;
    let ctx = context(&server, "");
    let mut session = Session::new(Journal::in_memory());
    session.identity.ip = Some("203.0.113.6".parse().unwrap());
    let mut step = SoloStep::<BlocklistsStep>::default();

    // A job the step no longer waits for is ignored.
    let effects = step.run(&mut session, &ctx);
    let [Effect::Spawn(stale)] = <[Effect; 1]>::try_from(effects).unwrap() else { panic!() };
    run_step(&mut step, &mut session, &ctx).await;
    // Were its events taken, the stale job (against a world where nothing is listed) would
    // replace the listing with "clean".
    let clean_world = DnsServer::builder()
        .zone("zen.spamhaus.org", "2.0.0.127 300 IN A 127.0.0.2\n")
        .zone("bl.spamcop.net", "2.0.0.127 300 IN A 127.0.0.2\n")
        .start()
        .await
        .unwrap();
    for event in run_collect(stale, context(&clean_world, "")).await {
        step.on_event(event, &mut session);
    }

    let ids: Vec<&str> = session.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["dnsbl.listed"]);
    assert!(session.findings[0].summary.contains("zen.spamhaus.org: PBL (ISP)"));
    let view = text(&step.view(&session).rows);
    assert!(view.contains("zen.spamhaus.org  listed 127.0.0.10: PBL (ISP)"), "{view}");
    assert!(view.contains("bl.spamcop.net    not listed"), "{view}");
}

#[tokio::test]
async fn blocklist_step_without_an_address_says_so() {
    let mut session = Session::new(Journal::in_memory());
    let mut step = SoloStep::<BlocklistsStep>::default();
    assert!(step.run(&mut session, &Context::default()).is_empty());
    assert_eq!(step.status(), StepStatus::Failed);
    assert!(text(&step.view(&session).rows).contains("Our address is not known"));
}
