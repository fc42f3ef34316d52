//! The probe against scripted ESMTP servers: STARTTLS with valid, self-signed and expired
//! certificates, multi-line replies, refusals at each stage, and the MX walk.

use crate::common;

use std::collections::BTreeMap;

use crate::support::{CertKind, TestCa, ctx, ctx_with, journal_is_clean, request, within};
use mailwiz::context::Context;
use mailwiz::demo::smtp_server::{self, ScriptedReply, ServerScript};
use mailwiz::session::{MxTarget, Severity};
use mailwiz::smtp::connection::ConnectOutcome;
use mailwiz::smtp::probe::{self, ProbeResult, Stage};

fn ids(result: &ProbeResult) -> Vec<&str> {
    result.findings.iter().map(|f| f.id.as_str()).collect()
}

fn stages(result: &ProbeResult) -> Vec<&str> {
    result.stages.iter().map(|s| s.stage.as_str()).collect()
}

async fn probe_script(script: ServerScript, ctx: &Context) -> (ProbeResult, Vec<String>) {
    let server = smtp_server::start(script).await.unwrap();
    let result = within(15, probe::probe(ctx, "mx.test", server.addr(), &request(), None)).await;
    journal_is_clean(ctx);
    (result, server.commands())
}

#[tokio::test]
async fn esmtp_with_starttls_and_a_valid_certificate() {
    let ca = TestCa::new();
    let script = ServerScript {
        client_ip: Some("203.0.113.5".parse().unwrap()),
        ..ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::Valid))
    };
    let ctx = ctx_with(Some(ca.pem_path.clone()));
    let (result, commands) = probe_script(script, &ctx).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    assert_eq!(stages(&result), ["ehlo", "starttls", "tls", "ehlo", "mail", "rcpt", "rset", "quit"]);
    let tls = result.tls.as_ref().unwrap();
    assert!(tls.verified, "{tls:?}");
    assert!(tls.subject.contains("mx.test"));
    assert!(tls.issuer.contains("mailwiz test CA"));
    assert_eq!(tls.sans, vec!["mx.test".to_string()]);
    assert!(tls.protocol.starts_with("TLSv1_"));
    assert_eq!(result.echoed_ip, Some("203.0.113.5".parse().unwrap()));
    assert!(!ids(&result).contains(&"smtp.tls_cert_invalid"));
    assert_eq!(result.findings.iter().filter(|f| f.severity <= Severity::Warn).count(), 0, "{:?}", result.findings);
    assert!(commands.iter().all(|c| !c.eq_ignore_ascii_case("DATA")), "the probe never sends DATA");
    let port = result.connect.addr.port();
    assert_eq!(
        mailwiz::smtp::swaks::from_result(&result).unwrap(),
        format!(
            "swaks --server mx.test --port {port} --ehlo mail.sender.example --from a@sender.example --to b@bank.example \
             --quit-after RCPT --tls"
        ),
        "the probe that ran, as swaks repeats it"
    );
    assert_eq!(commands.first().map(String::as_str), Some("EHLO mail.sender.example"));
    assert!(commands.contains(&"RSET".to_string()) && commands.last().map(String::as_str) == Some("QUIT"));
    let kinds: Vec<_> = ctx.journal.events().iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&mailwiz::session::EventKind::TlsSent));
    assert!(kinds.contains(&mailwiz::session::EventKind::TlsReceived));
}

#[tokio::test]
async fn self_signed_and_expired_certificates_are_reported_and_the_session_goes_on() {
    let ca = TestCa::new();
    for (kind, expect) in [(CertKind::SelfSigned, "unknownissuer"), (CertKind::Expired, "expired")] {
        let script = ServerScript::default().with_tls(ca.server_config("mx.test", kind));
        let ctx = ctx_with(Some(ca.pem_path.clone()));
        let (result, _) = probe_script(script, &ctx).await;
        let invalid = result.findings.iter().find(|f| f.id == "smtp.tls_cert_invalid").expect("cert finding");
        assert!(invalid.summary.to_lowercase().contains(expect), "{}", invalid.summary);
        assert!(!result.tls.as_ref().unwrap().verified);
        assert!(stages(&result).contains(&"rcpt"), "the session continued after the certificate");
    }
}

#[tokio::test]
async fn wrong_name_is_a_certificate_problem() {
    let ca = TestCa::new();
    let script = ServerScript::default().with_tls(ca.server_config("other.test", CertKind::Valid));
    let (result, _) = probe_script(script, &ctx_with(Some(ca.pem_path.clone()))).await;
    assert!(ids(&result).contains(&"smtp.tls_cert_invalid"));
}

#[tokio::test]
async fn reached_by_address_only_the_chain_is_judged() {
    let ca = TestCa::new();
    for (kind, verified) in [(CertKind::Valid, true), (CertKind::Expired, false), (CertKind::SelfSigned, false)] {
        let server =
            smtp_server::start(ServerScript::default().with_tls(ca.server_config("mx.test", kind))).await.unwrap();
        let ctx = ctx_with(Some(ca.pem_path.clone()));
        let result = within(15, probe::probe(&ctx, "127.0.0.1", server.addr(), &request(), None)).await;
        let tls = result.tls.as_ref().expect("TLS came up");
        assert_eq!(tls.verified, verified, "{kind:?}: {tls:?}");
        assert_eq!(ids(&result).contains(&"smtp.tls_cert_invalid"), !verified, "{kind:?}");
        if verified {
            assert!(!tls.name_checked);
            assert!(tls.describe().iter().any(|l| l.contains("name not checked (reached by address)")));
        }
    }
}

#[tokio::test]
async fn no_starttls_offered() {
    let (result, commands) = probe_script(ServerScript::default(), &ctx()).await;
    assert!(ids(&result).contains(&"smtp.starttls_missing"));
    assert!(!commands.contains(&"STARTTLS".to_string()));
}

#[tokio::test]
async fn starttls_refused_with_454() {
    let ca = TestCa::new();
    let script = ServerScript {
        starttls: Some(ScriptedReply::new(454, ["4.7.0 TLS not available due to local problem"])),
        ..ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::Valid))
    };
    let (result, _) = probe_script(script, &ctx()).await;
    let failed = result.findings.iter().find(|f| f.id == "smtp.starttls_failed").unwrap();
    assert_eq!(failed.evidence, vec!["454 4.7.0 TLS not available due to local problem".to_string()]);
    assert!(stages(&result).contains(&"mail"), "the probe goes on in clear text");
}

#[tokio::test]
async fn a_refused_starttls_is_journaled_as_our_policy_judges_it() {
    let ca = TestCa::new();
    let script = ServerScript {
        starttls: Some(ScriptedReply::new(454, ["4.7.0 TLS not available due to local problem"])),
        ..ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::Valid))
    };
    let mut ctx = ctx();
    std::sync::Arc::make_mut(&mut ctx.config).smtp.require_tls = Some(true);
    let (result, _) = probe_script(script, &ctx).await;
    let failed = result.findings.iter().find(|f| f.id == "smtp.starttls_failed").unwrap();
    assert_eq!(failed.severity, Severity::Fail);
    let journaled: Vec<_> = ctx
        .journal
        .events()
        .iter()
        .filter_map(mailwiz::session::Event::finding)
        .filter(|f| f.id == "smtp.starttls_failed")
        .collect();
    assert_eq!(journaled.len(), 1, "journaled once");
    assert_eq!(journaled[0].severity, Severity::Fail, "the journal keeps the judged severity");
    assert!(journaled[0].detail.contains("requires TLS"), "{}", journaled[0].detail);
}

#[tokio::test]
async fn rcpt_refusals_421_450_550() {
    let mut by_domain = BTreeMap::new();
    by_domain.insert(
        "bank.example".to_string(),
        ScriptedReply::new(421, ["4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred"]),
    );
    let (result, _) = probe_script(ServerScript { rcpt_by_domain: by_domain, ..ServerScript::default() }, &ctx()).await;
    let rejected = result.findings.iter().find(|f| f.id == "smtp.rcpt_rejected").unwrap();
    assert_eq!(rejected.severity, Severity::Warn);
    let explained = result.findings.iter().find(|f| f.id == "smtp.reply_explained").unwrap();
    assert!(explained.detail.contains("Yahoo"), "{}", explained.detail);
    assert!(!stages(&result).contains(&"rset"), "a 421 ends the session");

    let (result, _) = probe_script(
        ServerScript {
            rcpt: ScriptedReply::new(450, ["4.2.0 Greylisted, try again later"]),
            ..ServerScript::default()
        },
        &ctx(),
    )
    .await;
    let rejected = result.findings.iter().find(|f| f.id == "smtp.rcpt_rejected").unwrap();
    assert_eq!(rejected.severity, Severity::Warn);
    assert!(stages(&result).contains(&"rset"));

    let lines = [
        "5.7.25 [203.0.113.5] The IP address sending this message does not have a",
        "5.7.25 PTR record setup. As a policy, Gmail does not accept messages",
        "5.7.25 from IPs with missing PTR records. - gsmtp",
    ];
    let (result, _) =
        probe_script(ServerScript { rcpt: ScriptedReply::new(550, lines), ..ServerScript::default() }, &ctx()).await;
    let rejected = result.findings.iter().find(|f| f.id == "smtp.rcpt_rejected").unwrap();
    assert_eq!(rejected.severity, Severity::Fail);
    assert_eq!(rejected.evidence.len(), 3, "every line of the multi-line reply is evidence");
    assert!(rejected.evidence[0].starts_with("550-5.7.25"));
    assert!(rejected.evidence[2].starts_with("550 5.7.25"));
    let rcpt = result.stages.iter().find(|s| s.stage == "rcpt").unwrap();
    let explanation = rcpt.explanation.as_ref().unwrap();
    assert!(explanation.providers.iter().any(|p| p.key.starts_with("Gmail")));
    // A policy refusal at RCPT TO is not the recipient's address: the fix follows the class.
    assert!(rejected.fix.contains("PTR") && !rejected.fix.contains("recipient address"), "{}", rejected.fix);
}

#[tokio::test]
async fn a_rcpt_refusal_is_fixed_by_what_its_reply_names() {
    let fix_for = |code, line: &'static str| async move {
        let script = ServerScript { rcpt: ScriptedReply::new(code, [line]), ..ServerScript::default() };
        let (result, _) = probe_script(script, &ctx()).await;
        result.findings.iter().find(|f| f.id == "smtp.rcpt_rejected").unwrap().fix.clone()
    };
    let fix = fix_for(550, "5.1.1 <erin@good.example>: Recipient address rejected: User unknown").await;
    assert!(fix.starts_with("Check the recipient address with its owner"), "{fix}");
    let fix = fix_for(554, "5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org").await;
    assert!(fix.contains("delisting") && !fix.contains("recipient address"), "{fix}");
    let fix = fix_for(452, "4.5.3 Too many recipients").await;
    assert!(fix.contains("rate"), "{fix}");
    // A reply that names no reason keeps the command's own advice.
    let fix = fix_for(550, "go away").await;
    assert!(fix.starts_with("The reply names no reason") && fix.contains("recipient address"), "{fix}");
}

#[tokio::test]
async fn ehlo_refused_falls_back_to_helo() {
    let script = ServerScript {
        ehlo: Some(ScriptedReply::new(502, ["5.5.2 Error: command not recognized"])),
        ..ServerScript::default()
    };
    let (result, commands) = probe_script(script, &ctx()).await;
    assert_eq!(stages(&result)[..2], ["ehlo", "helo"]);
    assert!(commands.contains(&"HELO mail.sender.example".to_string()));
    assert!(!ids(&result).contains(&"smtp.ehlo_rejected"));

    let script = ServerScript {
        ehlo: Some(ScriptedReply::new(550, ["5.7.1 Helo command rejected: need fully-qualified hostname"])),
        helo: Some(ScriptedReply::new(550, ["5.7.1 Helo command rejected: need fully-qualified hostname"])),
        ..ServerScript::default()
    };
    let (result, _) = probe_script(script, &ctx()).await;
    assert!(ids(&result).contains(&"smtp.ehlo_rejected"));
    assert!(!stages(&result).contains(&"mail"));
}

#[tokio::test]
async fn mail_from_rejected() {
    let script = ServerScript {
        mail: ScriptedReply::new(553, ["5.1.8 Sender address rejected: Domain not found"]),
        ..ServerScript::default()
    };
    let (result, _) = probe_script(script, &ctx()).await;
    let finding = result.findings.iter().find(|f| f.id == "smtp.mail_rejected").unwrap();
    assert!(finding.summary.contains("a@sender.example"));
}

#[tokio::test]
async fn quit_after_stops_early() {
    let server = smtp_server::start(ServerScript::default()).await.unwrap();
    let ctx = ctx();
    let mut req = request();
    req.quit_after = Some(Stage::Mail);
    let result = within(10, probe::probe(&ctx, "mx.test", server.addr(), &req, None)).await;
    assert_eq!(stages(&result), ["ehlo", "mail", "quit"]);
    assert!(!server.commands().iter().any(|c| c.starts_with("RCPT")));
    req.quit_after = Some(Stage::Banner);
    let result = within(10, probe::probe(&ctx, "mx.test", server.addr(), &req, None)).await;
    assert_eq!(stages(&result), ["quit"]);
}

#[tokio::test]
async fn implicit_tls() {
    let ca = TestCa::new();
    let script = ServerScript {
        implicit_tls: true,
        ..ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::Valid))
    };
    let server = smtp_server::start(script).await.unwrap();
    let ctx = ctx_with(Some(ca.pem_path.clone()));
    let mut req = request();
    req.implicit_tls = true;
    let result = within(10, probe::probe(&ctx, "mx.test", server.addr(), &req, None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok);
    assert!(result.tls.as_ref().unwrap().verified);
    assert!(!ids(&result).contains(&"smtp.starttls_missing"));
}

#[tokio::test]
async fn every_address_of_every_mx_in_preference_order() {
    let good = smtp_server::start(ServerScript { hostname: "mx2.bank.example".into(), ..ServerScript::default() })
        .await
        .unwrap();
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_addr = refused.local_addr().unwrap();
    drop(refused);
    // Both servers share one port number only in the demo world; here each MX gets its own
    // loopback address on the scripted server's port, and the refused one a closed port.
    let mut map = mailwiz::context::ConnectMap::default();
    map.insert("192.0.2.1:25".parse().unwrap(), refused_addr);
    map.insert("192.0.2.2:25".parse().unwrap(), good.addr());
    let mut ctx = ctx();
    ctx.connect_map = std::sync::Arc::new(map);
    let mx = vec![
        MxTarget { preference: 20, exchange: "mx2.bank.example".into(), addresses: vec!["192.0.2.2".parse().unwrap()] },
        MxTarget { preference: 10, exchange: "mx1.bank.example".into(), addresses: vec!["192.0.2.1".parse().unwrap()] },
    ];
    let results = within(15, probe::probe_mx(&ctx, &mx, 25, &request())).await;
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].connect.host, "mx1.bank.example");
    assert_eq!(results[0].connect.outcome, ConnectOutcome::Refused);
    assert_eq!(results[1].connect.outcome, ConnectOutcome::Ok);
    assert_eq!(results[1].connect.addr, "192.0.2.2:25".parse().unwrap());
}

#[tokio::test]
async fn a_thousand_mx_hosts_mean_five_connections_and_a_note() {
    let server = smtp_server::start(ServerScript::default()).await.unwrap();
    let mut map = mailwiz::context::ConnectMap::default();
    let mx: Vec<MxTarget> = (0..1000u16)
        .map(|n| {
            let ip: std::net::IpAddr = format!("198.51.{}.{}", n / 250, n % 250 + 1).parse().unwrap();
            map.insert(std::net::SocketAddr::new(ip, 25), server.addr());
            MxTarget { preference: n, exchange: format!("mx{n}.bank.example"), addresses: vec![ip] }
        })
        .collect();
    let mut ctx = ctx();
    ctx.connect_map = std::sync::Arc::new(map);
    let results = within(15, probe::probe_mx(&ctx, &mx, 25, &request())).await;
    assert_eq!(results.len(), 5);
    assert_eq!(results[0].connect.host, "mx0.bank.example");
    let note = results[0].findings.iter().find(|f| f.id == "smtp.mx_address_limit").expect("said");
    assert!(note.summary.contains("first 5 of 1000"), "{}", note.summary);
}

#[tokio::test]
async fn a_real_ssh_jump_carries_the_probe_with_starttls_and_names_its_own_refusal() {
    let Some(via) = common::ssh_jump() else { return };
    let ca = TestCa::new();
    let server = smtp_server::start(ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::Valid)))
        .await
        .unwrap();
    let there = Context { via: Some(via.clone()), ..ctx_with(Some(ca.pem_path.clone())) };
    let result = within(30, probe::probe(&there, "mx.test", server.addr(), &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok, "{:#?}", result.connect);
    assert_eq!(result.connect.via.as_deref(), Some(via.as_str()));
    assert!(result.tls.as_ref().is_some_and(|tls| tls.verified), "{:?}", result.tls);
    assert!(ids(&result).contains(&"smtp.rcpt_accepted"), "{:?}", ids(&result));
    assert!(server.commands().contains(&"RCPT TO:<b@bank.example>".to_string()));

    // sshd's own connection is refused. At ssh's default log level it says why, and the outcome
    // is named from its words; quieter, it says only that forwarding failed, which tells nothing
    // of the receiver: the via command failed, never "the receiver closed the connection".
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let talkative = Context { via: Some(via.replace(" -o LogLevel=ERROR", "")), ..there.clone() };
    let result = within(30, probe::probe(&talkative, "mx.test", closed, &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Refused, "{:#?}", result.connect);
    let error = result.connect.error.as_deref().unwrap_or("");
    assert!(error.contains("the via command said") && error.contains("Connection refused"), "{error}");

    let result = within(30, probe::probe(&there, "mx.test", closed, &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::ViaFailed, "{:#?}", result.connect);
    assert!(ids(&result).contains(&"smtp.via_failed"), "{:?}", ids(&result));
    let error = result.connect.error.as_deref().unwrap_or("");
    assert!(error.contains("stdio forwarding failed"), "{error}");
}

#[tokio::test]
async fn a_second_vantage_point_reaches_what_refuses_us_here_and_speaks_tls_through_it() {
    let Some(via) = common::relay_from("127.0.0.99") else { return };
    let ca = TestCa::new();
    let mut script = ServerScript::default().with_tls(ca.server_config("mx.test", CertKind::Valid));
    script
        .banner_by_client
        .insert("127.0.0.1".parse().unwrap(), ScriptedReply::new(554, ["5.7.1 Client host [127.0.0.1] blocked"]));
    let server = smtp_server::start(script).await.unwrap();
    let here = ctx_with(Some(ca.pem_path.clone()));
    let result = within(15, probe::probe(&here, "mx.test", server.addr(), &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Banner5xx, "refused from here");

    let there = Context { via: Some(via.clone()), ..ctx_with(Some(ca.pem_path.clone())) };
    let result = within(15, probe::probe(&there, "mx.test", server.addr(), &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Ok, "{:#?}", result.connect);
    assert_eq!(result.connect.via.as_deref(), Some(via.as_str()));
    let tls = result.tls.as_ref().expect("STARTTLS through the relay");
    assert!(tls.verified, "{tls:?}");
    assert!(ids(&result).contains(&"smtp.rcpt_accepted"), "{:?}", ids(&result));

    // A relay whose own connection is refused says so, and the outcome is named from its words.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let result = within(15, probe::probe(&there, "mx.test", closed, &request(), None)).await;
    assert_eq!(result.connect.outcome, ConnectOutcome::Refused, "{:#?}", result.connect);
    assert!(result.connect.error.as_deref().unwrap_or("").contains("the via command said"), "{:?}", result.connect);
}
