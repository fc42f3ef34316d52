//! Authentication against real peers: the in-process DNS server serving SPF, DMARC, DKIM,
//! MTA-STS, TLS-RPT and TLSA records, an in-process HTTPS server with a CA made for the test,
//! scripted SMTP servers with STARTTLS, and a diagnosis scenario on the demo world.

#[path = "common/mod.rs"]
mod common;
#[path = "auth/spf_suite.rs"]
mod spf_suite;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use mailwiz::auth::dkim::{self, KeyStatus, Selector};
use mailwiz::auth::dmarc::{self, DmarcStatus};
use mailwiz::auth::mta_sts::{self, Mode, MtaStsStatus};
use mailwiz::auth::spf::{self, SpfReport, SpfRequest, SpfResult};
use mailwiz::auth::{self, PeerCertificates, SenderRequest};
use mailwiz::config::Config;
use mailwiz::context::{ConnectMap, Context};
use mailwiz::demo::dns_server::DnsServer;
use mailwiz::demo::https_server::{self, Page};
use mailwiz::demo::smtp_server::{self, ServerScript};
use mailwiz::dns::Resolver;
use mailwiz::dns::resolver::Limits;
use mailwiz::session::{Journal, Severity};
use mailwiz::smtp::tls_policy::TlsPolicy;

/// TXT record data in zone-file form, split into strings of at most 200 characters.
fn txt(text: &str) -> String {
    let parts: Vec<String> =
        text.as_bytes().chunks(200).map(|c| format!("\"{}\"", String::from_utf8_lossy(c))).collect();
    parts.join(" ")
}

fn resolver(server: &DnsServer) -> Resolver {
    Resolver::with_servers(
        &[server.addr()],
        Limits { timeout: Duration::from_millis(800), attempts: 1 },
        Journal::in_memory(),
    )
}

const EXAMPLE_COM: &str = r#"
@             300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
ip6           300 IN TXT "v=spf1 ip6:2001:db8:1::/48 -all"
a             300 IN TXT "v=spf1 a:host.example.com/30 -all"
host          300 IN A 198.51.100.8
host          300 IN AAAA 2001:db8:2::8
abare         300 IN TXT "v=spf1 a -all"
abare         300 IN A 203.0.113.9
mx            300 IN TXT "v=spf1 mx -all"
mx            300 IN MX 10 mxhost.example.com.
mxhost        300 IN A 203.0.113.20
ptr           300 IN TXT "v=spf1 ptr:example.com -all"
out           300 IN A 203.0.113.30
exists        300 IN TXT "v=spf1 exists:%{i}._spf.%{d} -all"
203.0.113.40._spf.exists 300 IN A 127.0.0.2
inc           300 IN TXT "v=spf1 include:_spf.example.net ~all"
chain         300 IN TXT "v=spf1 include:inc.example.com -all"
redir         300 IN TXT "v=spf1 redirect=_spf.example.net"
two           300 IN TXT "v=spf1 -all"
two           300 IN TXT "v=spf1 +all"
loop          300 IN TXT "v=spf1 include:loop2.example.com -all"
loop2         300 IN TXT "v=spf1 include:loop.example.com -all"
voids         300 IN TXT "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all"
exp           300 IN TXT "v=spf1 -all exp=explain.example.com"
explain       300 IN TXT "%{i} is not one of %{d}'s senders"
bad           300 IN TXT "v=spf1 ip4:192.0.2.1 frobnicate:x -all"
soft          300 IN TXT "v=spf1 ~all"
neutral       300 IN TXT "v=spf1 ?all"
nospf         300 IN TXT "google-site-verification=abc"
broken        300 IN TXT "v=spf1 include:sub.broken.example.org -all"
"#;

async fn world() -> DnsServer {
    let mut example_com = EXAMPLE_COM.to_string();
    let includes: Vec<String> = (1..=11).map(|n| format!("include:l{n}.example.com")).collect();
    example_com.push_str(&format!("many 300 IN TXT {}\n", txt(&format!("v=spf1 {} -all", includes.join(" ")))));
    for n in 1..=11 {
        example_com.push_str(&format!("l{n} 300 IN TXT \"v=spf1 ip4:192.0.2.{n} -all\"\n"));
    }
    DnsServer::builder()
        .zone("example.com", &example_com)
        .zone("example.net", "_spf 300 IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n")
        .zone("113.0.203.in-addr.arpa", "30 300 IN PTR out.example.com.\n")
        .servfail("broken.example.org")
        .start()
        .await
        .expect("dns server")
}

async fn spf_of(dns: &DnsServer, domain: &str, ip: &str) -> SpfReport {
    let request = SpfRequest::mail_from(&format!("billing@{domain}"), Some("mail.example.com"), ip.parse().unwrap());
    spf::evaluate(&resolver(dns), &request).await
}

#[tokio::test]
async fn spf_mechanisms_decide_with_their_path() {
    let dns = world().await;
    let cases: &[(&str, &str, SpfResult, &str)] = &[
        ("example.com", "192.0.2.77", SpfResult::Pass, "ip4:192.0.2.0/24 matched"),
        ("ip6.example.com", "2001:db8:1::25", SpfResult::Pass, "ip6:2001:db8:1::/48 matched"),
        ("a.example.com", "198.51.100.9", SpfResult::Pass, "a:host.example.com/30 matched"),
        ("a.example.com", "2001:db8:2::8", SpfResult::Pass, "a:host.example.com/30 matched"),
        ("abare.example.com", "203.0.113.9", SpfResult::Pass, "a matched"),
        ("mx.example.com", "203.0.113.20", SpfResult::Pass, "mx matched"),
        ("ptr.example.com", "203.0.113.30", SpfResult::Pass, "ptr:example.com matched"),
        ("exists.example.com", "203.0.113.40", SpfResult::Pass, "exists:%{i}._spf.%{d} matched"),
        ("inc.example.com", "198.51.100.7", SpfResult::Pass, "include:_spf.example.net → ip4:198.51.100.0/24 matched"),
        (
            "chain.example.com",
            "198.51.100.7",
            SpfResult::Pass,
            "include:inc.example.com → include:_spf.example.net → ip4:198.51.100.0/24 matched",
        ),
        (
            "redir.example.com",
            "198.51.100.7",
            SpfResult::Pass,
            "redirect=_spf.example.net → ip4:198.51.100.0/24 matched",
        ),
        ("redir.example.com", "203.0.113.5", SpfResult::Fail, "redirect=_spf.example.net → -all matched"),
        ("inc.example.com", "203.0.113.5", SpfResult::SoftFail, "~all matched"),
        ("soft.example.com", "203.0.113.5", SpfResult::SoftFail, "~all matched"),
        ("neutral.example.com", "203.0.113.5", SpfResult::Neutral, "?all matched"),
        ("mx.example.com", "203.0.113.21", SpfResult::Fail, "-all matched"),
        ("ptr.example.com", "203.0.113.31", SpfResult::Fail, "-all matched"),
        ("exists.example.com", "203.0.113.41", SpfResult::Fail, "-all matched"),
    ];
    for (domain, ip, result, path) in cases {
        let report = spf_of(&dns, domain, ip).await;
        assert_eq!((report.result, report.decided_by().as_str()), (*result, *path), "{domain} for {ip}: {report:?}");
    }
}

#[tokio::test]
async fn a_fail_names_the_mechanism_to_add() {
    let dns = world().await;
    let report = spf_of(&dns, "example.com", "203.0.113.5").await;
    assert_eq!(report.result, SpfResult::Fail);
    assert_eq!(report.mechanism_to_add.as_deref(), Some("ip4:203.0.113.5"));
    assert_eq!(report.proposed_record.as_deref(), Some("v=spf1 ip4:203.0.113.5 ip4:192.0.2.0/24 -all"));
    let finding = spf::spf_finding(&report);
    assert_eq!((finding.id.as_str(), finding.severity), ("spf.fail", Severity::Fail));
    assert!(finding.fix.contains("Add ip4:203.0.113.5 to the SPF record of example.com"), "{}", finding.fix);

    let v6 = spf_of(&dns, "ip6.example.com", "2001:db8:9::1").await;
    assert_eq!(v6.result, SpfResult::Fail);
    assert_eq!(v6.mechanism_to_add.as_deref(), Some("ip6:2001:db8:9::1"));
    let pass = spf_of(&dns, "example.com", "192.0.2.1").await;
    assert_eq!((pass.mechanism_to_add.as_deref(), spf::spf_finding(&pass).severity), (None, Severity::Ok));
}

#[tokio::test]
async fn exp_text_is_expanded_on_fail() {
    let dns = world().await;
    let report = spf_of(&dns, "exp.example.com", "203.0.113.5").await;
    assert_eq!(report.result, SpfResult::Fail);
    assert_eq!(report.explanation.as_deref(), Some("203.0.113.5 is not one of exp.example.com's senders"));
}

#[tokio::test]
async fn spf_errors_are_permanent_or_temporary_never_fail() {
    let dns = world().await;
    let cases: &[(&str, SpfResult, &str)] = &[
        ("two.example.com", SpfResult::PermError, "2 SPF records"),
        (
            "loop.example.com",
            SpfResult::PermError,
            "include loop: loop.example.com → loop2.example.com → loop.example.com",
        ),
        ("many.example.com", SpfResult::PermError, "more than 10 DNS lookups"),
        ("voids.example.com", SpfResult::PermError, "more than 2 lookups found nothing"),
        ("bad.example.com", SpfResult::PermError, "\"frobnicate:x\" is not an SPF mechanism"),
        ("broken.example.com", SpfResult::TempError, "SERVFAIL"),
        ("nospf.example.com", SpfResult::None, "no SPF record"),
        ("missing.example.com", SpfResult::None, "does not exist"),
    ];
    for (domain, result, reason) in cases {
        let report = spf_of(&dns, domain, "203.0.113.5").await;
        assert_eq!(report.result, *result, "{domain}: {report:?}");
        assert!(report.reason.contains(reason), "{domain}: {}", report.reason);
    }
    let many = spf_of(&dns, "many.example.com", "203.0.113.5").await;
    assert_eq!(many.lookups, 11, "the 11th include is the one past the limit");
    let voids = spf_of(&dns, "voids.example.com", "203.0.113.5").await;
    assert_eq!(voids.void_lookups, 3);
    let temp = spf_of(&dns, "broken.example.com", "203.0.113.5").await;
    let finding = spf::spf_finding(&temp);
    assert_eq!((finding.id.as_str(), finding.severity), ("spf.temperror", Severity::Warn));
    assert_eq!(temp.mechanism_to_add, None, "an unknown result proposes no change");
}

#[tokio::test]
async fn a_silent_server_is_a_temperror() {
    let dns = DnsServer::builder().silent().start().await.unwrap();
    let report = spf_of(&dns, "example.com", "203.0.113.5").await;
    assert_eq!(report.result, SpfResult::TempError, "{report:?}");
    assert!(report.reason.contains("timeout"), "{}", report.reason);
}

const DMARC_ZONES: &[(&str, &str)] = &[
    (
        "example.com",
        "_dmarc 300 IN TXT \"v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:agg@example.com; ruf=mailto:forensic@example.com\"\n",
    ),
    ("example.org", "_dmarc 300 IN TXT \"v=DMARC1; p=maybe\"\n"),
    ("example.net", "@ 300 IN A 192.0.2.1\n"),
];

async fn dmarc_world() -> DnsServer {
    let mut builder = DnsServer::builder();
    for (origin, text) in DMARC_ZONES {
        builder = builder.zone(origin, text);
    }
    builder.start().await.unwrap()
}

#[tokio::test]
async fn dmarc_present_subdomain_absent_invalid() {
    let dns = dmarc_world().await;
    let r = resolver(&dns);
    let present = dmarc::check(&r, "example.com").await;
    assert_eq!(present.status, DmarcStatus::Ok);
    assert_eq!(
        (present.p.as_deref(), present.sp.as_deref(), present.pct, present.adkim.as_deref(), present.aspf.as_deref()),
        (Some("reject"), Some("quarantine"), Some(50), Some("s"), Some("r"))
    );
    assert_eq!(
        (present.rua.as_slice(), present.ruf.as_slice()),
        (&["agg@example.com".to_string()][..], &["forensic@example.com".to_string()][..])
    );

    let sub = dmarc::check(&r, "news.mail.example.com").await;
    assert_eq!((sub.status, sub.org_domain.as_str()), (DmarcStatus::Ok, "example.com"));
    assert_eq!(sub.record_at.as_deref(), Some("_dmarc.example.com"), "found at the organizational domain");
    assert_eq!(sub.sp.as_deref(), Some("quarantine"), "the subdomain policy applies");

    let absent = dmarc::check(&r, "example.net").await;
    assert_eq!(absent.status, DmarcStatus::None);
    let findings = dmarc::dmarc_findings(&absent);
    assert_eq!((findings[0].id.as_str(), findings[0].severity), ("dmarc.none", Severity::Warn));

    let invalid = dmarc::check(&r, "example.org").await;
    assert_eq!(invalid.status, DmarcStatus::Invalid);
    assert!(invalid.reason.contains("p=maybe"), "{}", invalid.reason);
    assert_eq!(dmarc::dmarc_findings(&invalid)[0].id, "dmarc.invalid");
}

#[tokio::test]
async fn spf_alignment_follows_aspf() {
    let dns = dmarc_world().await;
    let r = resolver(&dns);
    let mut relaxed = dmarc::check(&r, "example.com").await;
    dmarc::judge_alignment(&mut relaxed, "bounce.example.com", SpfResult::Pass);
    assert!(relaxed.spf_alignment.as_ref().unwrap().aligned, "relaxed: same organizational domain");
    dmarc::judge_alignment(&mut relaxed, "esp.example.net", SpfResult::Pass);
    assert!(!relaxed.spf_alignment.as_ref().unwrap().aligned);
    let findings = dmarc::dmarc_findings(&relaxed);
    assert!(findings.iter().any(|f| f.id == "dmarc.spf_unaligned"), "{findings:?}");
}

fn rsa_key(bits: usize) -> String {
    use rsa::pkcs8::EncodePublicKey as _;
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), bits).expect("rsa key");
    let der = key.to_public_key().to_public_key_der().expect("der");
    base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
}

#[tokio::test]
async fn dkim_keys_present_missing_revoked_short() {
    let ed = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let ed = base64::engine::general_purpose::STANDARD.encode(ed.public_key_raw());
    let zone = format!(
        "ed._domainkey 300 IN TXT {}\nmid._domainkey 300 IN TXT {}\nshort._domainkey 300 IN TXT {}\n\
         old._domainkey 300 IN TXT \"v=DKIM1; k=rsa; p=\"\ntest._domainkey 300 IN TXT {}\n",
        txt(&format!("v=DKIM1; k=ed25519; p={ed}")),
        txt(&format!("v=DKIM1; k=rsa; p={}", rsa_key(1024))),
        txt(&format!("v=DKIM1; k=rsa; p={}", rsa_key(512))),
        txt(&format!("v=DKIM1; k=ed25519; t=y; p={ed}")),
    );
    let dns = DnsServer::builder().zone("example.com", &zone).start().await.unwrap();
    let selectors: Vec<Selector> = ["ed", "mid", "short", "old", "test", "gone"]
        .iter()
        .map(|name| Selector { name: name.to_string(), source: "test".into() })
        .collect();
    let request =
        SenderRequest { domain: "example.com".into(), selectors: selectors.clone(), ..SenderRequest::default() };
    let report = auth::check_sender(&resolver(&dns), &request).await;
    let status: HashMap<&str, &KeyStatus> = report.dkim.iter().map(|k| (k.selector.name.as_str(), &k.status)).collect();
    assert_eq!(status["ed"], &KeyStatus::Ok { key_type: "ed25519".into(), bits: 256, testing: false });
    assert_eq!(status["mid"], &KeyStatus::Ok { key_type: "rsa".into(), bits: 1024, testing: false });
    assert_eq!(status["short"], &KeyStatus::Ok { key_type: "rsa".into(), bits: 512, testing: false });
    assert_eq!(status["old"], &KeyStatus::Revoked);
    assert_eq!(status["test"], &KeyStatus::Ok { key_type: "ed25519".into(), bits: 256, testing: true });
    assert!(matches!(status["gone"], KeyStatus::Missing { .. }));

    let findings = dkim::dkim_findings("example.com", &report.dkim);
    let of = |name: &str, id: &str| {
        findings.iter().find(|f| f.id == id && f.summary.contains(&format!("{name}._domainkey"))).map(|f| f.severity)
    };
    assert_eq!(of("ed", "dkim.key_ok"), Some(Severity::Ok));
    assert_eq!(of("mid", "dkim.key_weak"), Some(Severity::Info), "1024 bits is a note");
    assert_eq!(of("short", "dkim.key_weak"), Some(Severity::Warn), "512 bits is a warning");
    assert_eq!(of("old", "dkim.key_revoked"), Some(Severity::Fail));
    assert_eq!(of("test", "dkim.key_testing"), Some(Severity::Info));
    assert_eq!(of("gone", "dkim.key_missing"), Some(Severity::Fail));
    assert!(report.spf.is_none(), "no address, no SPF");
}

/// A context whose connections to `routes` go to loopback servers, trusting `ca_pem`.
fn context(
    dns: &DnsServer,
    routes: &[(SocketAddr, SocketAddr)],
    ca_pem: Option<&str>,
    dir: &tempfile::TempDir,
) -> Context {
    let mut config = Config { dns_servers: vec![dns.addr().to_string()], timeout: 3.0, ..Config::default() };
    config.identity.ask_mta = false;
    if let Some(pem) = ca_pem {
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, pem).unwrap();
        config.auth.ca_file = Some(path);
    }
    let mut map = ConnectMap::default();
    for (from, to) in routes {
        map.insert(*from, *to);
    }
    map.seal();
    Context { connect_map: Arc::new(map), ..Context::new(config) }
}

const POLICY_HOST: &str = "192.0.2.44:443";

async fn mta_sts_case(policy: &str, mx: &[&str], trust: bool) -> mta_sts::MtaStsReport {
    let dns = DnsServer::builder()
        .zone("bank.example", "_mta-sts 300 IN TXT \"v=STSv1; id=2026a\"\nmta-sts 300 IN A 192.0.2.44\n")
        .start()
        .await
        .unwrap();
    let pages = HashMap::from([("/.well-known/mta-sts.txt".to_string(), Page::text(policy))]);
    let server = https_server::start("mta-sts.bank.example", pages).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dns, &[(POLICY_HOST.parse().unwrap(), server.addr())], trust.then(|| server.ca_pem()), &dir);
    let mx: Vec<String> = mx.iter().map(ToString::to_string).collect();
    let peers: Vec<PeerCertificates> =
        mx.iter().map(|host| PeerCertificates { host: host.clone(), chain: Vec::new() }).collect();
    let report = auth::check_receiver(&ctx, &resolver(&dns), "bank.example", &peers).await;
    assert_eq!(report.tls_rpt.domain, "bank.example");
    report.mta_sts
}

#[tokio::test]
async fn mta_sts_policies_in_every_mode() {
    let policy = |mode: &str| {
        format!("version: STSv1\nmode: {mode}\nmx: mx1.bank.example\nmx: *.mail.bank.example\nmax_age: 86400\n")
    };
    let covered = ["mx1.bank.example", "in.mail.bank.example"];
    for (mode, expected) in [("enforce", Mode::Enforce), ("testing", Mode::Testing), ("none", Mode::None)] {
        let report = mta_sts_case(&policy(mode), &covered, true).await;
        match &report.status {
            MtaStsStatus::Policy { policy, unmatched, .. } => {
                assert_eq!((policy.mode, policy.max_age, unmatched.len()), (expected, 86400, 0), "{mode}");
            }
            other => panic!("{mode}: {other:?}"),
        }
        assert_eq!(mta_sts::mta_sts_findings(&report)[0].id, "mta_sts.ok");
    }
    let stray = ["mx1.bank.example", "backup.other.example"];
    for (mode, severity) in [("enforce", Severity::Fail), ("testing", Severity::Warn)] {
        let report = mta_sts_case(&policy(mode), &stray, true).await;
        let findings = mta_sts::mta_sts_findings(&report);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!((findings[0].id.as_str(), findings[0].severity), ("mta_sts.mx_mismatch", severity));
        assert!(findings[0].summary.contains("backup.other.example"));
    }
}

#[tokio::test]
async fn every_mx_line_of_a_policy_within_its_size_cap_counts() {
    // 200 patterns (about 5 KiB); ours is the last one.
    let mut policy = String::from("version: STSv1\nmode: enforce\n");
    for n in 0..199 {
        policy.push_str(&format!("mx: mx{n}.other-provider.example\n"));
    }
    policy.push_str("mx: mx1.bank.example\nmax_age: 86400\n");
    let report = mta_sts_case(&policy, &["mx1.bank.example"], true).await;
    match &report.status {
        MtaStsStatus::Policy { policy, unmatched, .. } => assert_eq!((policy.mx.len(), unmatched.len()), (200, 0)),
        other => panic!("{other:?}"),
    }
    assert_eq!(mta_sts::mta_sts_findings(&report)[0].id, "mta_sts.ok");
    // Past the 64 KiB cap the policy is not read, never read in part.
    let long = format!("{policy}{}", "mx: filler.example\n".repeat(4000));
    assert!(mta_sts::parse_policy(&long).unwrap_err().contains("longer than 64 KiB"));
}

#[tokio::test]
async fn an_untrusted_policy_server_is_a_fetch_failure_not_a_mismatch() {
    let report = mta_sts_case(
        "version: STSv1\nmode: enforce\nmx: mx1.bank.example\nmax_age: 60\n",
        &["mx1.bank.example"],
        false,
    )
    .await;
    assert!(
        matches!(&report.status, MtaStsStatus::FetchFailed { reason } if reason.contains("TLS")),
        "{:?}",
        report.status
    );
    let findings = mta_sts::mta_sts_findings(&report);
    assert_eq!((findings[0].id.as_str(), findings[0].severity), ("mta_sts.fetch_failed", Severity::Warn));
}

fn tls_config(host: &str) -> (Arc<rustls::ServerConfig>, Vec<u8>) {
    let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    (Arc::new(config), cert.der().to_vec())
}

fn spki_sha256(cert: &[u8]) -> String {
    use x509_parser::prelude::FromDer as _;
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(cert).unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, parsed.tbs_certificate.subject_pki.raw);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn dane_compares_tlsa_with_the_certificate_the_probe_saw() {
    let (good_tls, good_cert) = tls_config("mx1.dane.example");
    let (bad_tls, _) = tls_config("mx2.dane.example");
    let script = |host: &str| ServerScript { hostname: host.into(), ..ServerScript::default() };
    let mx1 = smtp_server::start(script("mx1.dane.example").with_tls(good_tls)).await.unwrap();
    let mx2 = smtp_server::start(script("mx2.dane.example").with_tls(bad_tls)).await.unwrap();
    let zone = format!(
        "@ 300 IN MX 10 mx1\n@ 300 IN MX 20 mx2\nmx1 300 IN A 192.0.2.61\nmx2 300 IN A 192.0.2.62\n\
         _25._tcp.mx1 300 IN TLSA 3 1 1 {}\n_25._tcp.mx2 300 IN TLSA 3 1 1 {}\n",
        spki_sha256(&good_cert),
        "00".repeat(32),
    );
    // Our resolver validates the signed zone: it sets AD when asked.
    let dns = DnsServer::builder().zone("dane.example", &zone).validated("dane.example").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let routes = [("192.0.2.61:25".parse().unwrap(), mx1.addr()), ("192.0.2.62:25".parse().unwrap(), mx2.addr())];
    // Our Postfix uses DANE.
    let ours = TlsPolicy::from_postfix_level("dane");
    let ctx = Context {
        tls_policy: Arc::new(tokio::sync::OnceCell::new_with(Some(ours.clone()))),
        ..context(&dns, &routes, None, &dir)
    };
    let r = resolver(&dns);
    let hosts = auth::mx_hosts(&r, "dane.example").await;
    assert_eq!(hosts, ["mx1.dane.example", "mx2.dane.example"]);
    let peers = auth::probe_certificates(&ctx, &r, &hosts, "mail.example.com").await;
    assert!(peers.iter().all(|p| !p.chain.is_empty()), "the probe recorded both certificates");
    let report = auth::check_receiver(&ctx, &r, "dane.example", &peers).await;
    let probed = auth::check_receiver_probing(&ctx, &r, "dane.example", &hosts, "mail.example.com").await;
    assert_eq!(probed.dane, report.dane, "TLSA published: the receiver check probes for the certificates");
    let dane: HashMap<&str, (&str, Severity)> = report
        .findings
        .iter()
        .filter(|f| f.family() == "dane")
        .map(|f| (if f.summary.contains("mx1") { "mx1" } else { "mx2" }, (f.id.as_str(), f.severity)))
        .collect();
    assert_eq!(dane["mx1"], ("dane.ok", Severity::Ok));
    assert_eq!(dane["mx2"], ("dane.mismatch", Severity::Fail), "validated TLSA, and our MTA uses DANE");
    let validated = format!("validated by the resolver {} (AD bit set)", dns.addr());
    assert!(
        report.findings.iter().filter(|f| f.family() == "dane").all(|f| f.detail.contains(&validated)),
        "{:#?}",
        report.findings
    );
    assert_eq!(report.mta_sts.status, MtaStsStatus::None);
    let without_cert = mailwiz::auth::dane::check(&r, "mx1.dane.example", 25, &[]).await;
    assert_eq!(mailwiz::auth::dane::dane_finding(&without_cert, &ours).id, "dane.unchecked");
    let validated_mismatch = report.dane.iter().find(|d| d.host == "mx2.dane.example").unwrap();
    let opportunistic = mailwiz::auth::dane::dane_finding(validated_mismatch, &TlsPolicy::from_postfix_level("may"));
    assert_eq!(opportunistic.severity, Severity::Warn, "our MTA does not use DANE: others are stopped, not us");
    assert!(opportunistic.detail.contains("Our MTA does not use DANE"), "{}", opportunistic.detail);

    // The same records from a resolver that vouches for nothing (an unsigned zone, or a resolver
    // that does not validate): a sender using it ignores TLSA, so the mismatch is only a warning.
    let unsigned = DnsServer::builder().zone("dane.example", &zone).start().await.unwrap();
    let mismatch = mailwiz::auth::dane::check(&resolver(&unsigned), "mx2.dane.example", 25, &peers[1].chain).await;
    let finding = mailwiz::auth::dane::dane_finding(&mismatch, &ours);
    assert_eq!((finding.id.as_str(), finding.severity), ("dane.mismatch", Severity::Warn));
    assert!(finding.detail.contains("not validated by the resolver"), "{}", finding.detail);
}

#[tokio::test]
async fn sender_check_ties_spf_dmarc_and_dkim_together() {
    let dns = DnsServer::builder()
        .zone(
            "example.com",
            "@ 300 IN TXT \"v=spf1 include:_spf.example.net -all\"\n_dmarc 300 IN TXT \"v=DMARC1; p=none\"\n",
        )
        .zone("example.net", "_spf 300 IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n")
        .start()
        .await
        .unwrap();
    let request = SenderRequest {
        domain: "example.com".into(),
        sender: Some("billing@example.com".into()),
        ip: Some(IpAddr::from([203, 0, 113, 5])),
        ..SenderRequest::default()
    };
    let report = auth::check_sender(&resolver(&dns), &request).await;
    let ids: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["spf.fail", "dmarc.ok", "dkim.no_selector"]);
    let fail = &report.findings[0];
    assert_eq!(fail.arg("auth_fix"), Some(fail.fix.as_str()), "the diagnosis can quote the fix");
    assert!(report.describe().iter().any(|l| l.contains("to pass, add ip4:203.0.113.5")), "{:?}", report.describe());
}

/// Gmail's end-of-DATA rejection of unauthenticated mail, as Postfix logs it.
const GMAIL_5726: &str = "550-5.7.26 This mail is unauthenticated, which poses a security risk to the 550-5.7.26 sender and \
Gmail users, and has been blocked. The sender must 550-5.7.26 authenticate with at least one of SPF or DKIM. For this message, \
550-5.7.26 DKIM checks did not pass and SPF check for [example.com] did not 550-5.7.26 pass with ip: [203.0.113.5]. The sender \
should visit 550-5.7.26 https://support.google.com/mail/answer/81126#authentication for 550 5.7.26 instructions on setting up \
authentication.";

#[tokio::test]
async fn an_unauthenticated_rejection_with_a_failing_spf_points_at_the_spf_record() {
    use mailwiz::demo::world::{File, FileRole, SmtpServer, World};
    let mut world = World::bundled();
    world.identity.helo = "mail.example.com".into();
    for zone in &mut world.zones {
        match zone.origin.as_str() {
            "example.com" => {
                zone.text =
                    "@ 300 IN MX 10 mail\n@ 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\nmail 300 IN A 203.0.113.5\n"
                        .into();
            }
            "113.0.203.in-addr.arpa" => zone.text = "5 300 IN PTR mail.example.com.\n".into(),
            "zen.spamhaus.org" => zone.text = "2.0.0.127 300 IN A 127.0.0.2\n".into(),
            _ => {}
        }
    }
    world.smtp.retain(|s| !["192.0.2.10:25", "192.0.2.20:25"].contains(&s.address.to_string().as_str()));
    for (address, host) in [("192.0.2.10:25", "mx1.bank.example"), ("192.0.2.20:25", "mx2.bank.example")] {
        let script = ServerScript {
            hostname: host.into(),
            client_ip: Some("203.0.113.5".parse().unwrap()),
            ..ServerScript::default()
        };
        world.smtp.push(SmtpServer { address: address.parse().unwrap(), tls: false, script });
    }
    world.files = vec![File {
        name: "maillog".into(),
        role: FileRole::Log,
        text: format!(
            "{{{{rfc3339-600}}}} mail postfix/smtp[2601]: 5B2C1A0D44: to=<alice@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, \
             delay=1.2, delays=0.01/0/0.4/0.8, dsn=5.7.26, status=bounced (host mx1.bank.example[192.0.2.10] said: {GMAIL_5726} \
             (in reply to end of DATA command))\n"
        ),
    }];
    let mut config = Config { timeout: 2.0, ..Config::default() };
    config.smtp.connect_timeout = Some(0.5);
    config.smtp.read_timeout = Some(2.0);
    let ctx = mailwiz::demo::attach_world(Context::new(config), world).await.expect("the world starts");
    let target = mailwiz::session::Target::parse("bank.example").unwrap();
    let options = mailwiz::check::CheckOptions { from: Some("billing@example.com".into()), ..Default::default() };
    let report = tokio::time::timeout(Duration::from_secs(30), mailwiz::check::run(&ctx, &target, &options))
        .await
        .expect("the check ends")
        .expect("the check runs");
    let spf = report.auth.as_ref().and_then(|a| a.spf.as_ref()).expect("SPF was judged for --from");
    assert_eq!(spf.result, SpfResult::Fail);
    let cause = report.causes.first().unwrap_or_else(|| panic!("no cause; findings: {:#?}", report.findings));
    assert_eq!(
        cause.id,
        "diagnosis.authentication",
        "ranked: {:?}",
        report.causes.iter().map(|c| &c.id).collect::<Vec<_>>()
    );
    assert!(cause.finding_ids.contains(&"spf.fail".to_string()), "{:?}", cause.finding_ids);
    assert!(cause.finding_ids.iter().any(|id| id.starts_with("log.")), "{:?}", cause.finding_ids);
    assert!(cause.explanation.contains("SPF of example.com fails for 203.0.113.5"), "{}", cause.explanation);
    assert!(
        cause.actions[0].contains("Add ip4:203.0.113.5 to the SPF record of example.com")
            && cause.actions[0].contains("v=spf1 ip4:203.0.113.5 ip4:192.0.2.0/24 -all"),
        "{:?}",
        cause.actions
    );
    assert!(report.causes.iter().all(|c| c.id != "diagnosis.missing_ptr"), "PTR is in order here");
}

fn mailwiz(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mailwiz"))
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-mailwiz-config")
        .output()
        .expect("mailwiz runs")
}

#[test]
fn the_auth_command_on_the_demo_world() {
    let out = mailwiz(&["--demo", "auth", "billing@example.com", "--receiver", "bank.example", "--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly one JSON object");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((json["command"].as_str(), json["target"].as_str()), (Some("auth"), Some("billing@example.com")));
    assert_eq!(json["spf"]["result"], "pass");
    assert_eq!(json["spf"]["path"], serde_json::json!(["include:_spf.example.com", "ip4:203.0.113.0/28 matched"]));
    assert_eq!(json["dmarc"]["p"], "quarantine");
    assert_eq!(json["dkim"][0]["bits"], 2048);
    assert_eq!(json["receiver"]["mta_sts"]["policy"]["mode"], "enforce");
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    for id in ["spf.pass", "dmarc.ok", "dkim.key_ok", "mta_sts.ok", "tls_rpt.ok", "dane.none"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn the_auth_command_exit_codes() {
    let fail = mailwiz(&["--demo", "auth", "example.com", "--selector", "nope"]);
    assert_eq!(fail.status.code(), Some(1), "a missing DKIM key is a fail");
    assert!(String::from_utf8_lossy(&fail.stdout).contains("dkim.key_missing"));
    let no_ip = mailwiz(&["auth", "example.com", "--dns-server", "127.0.0.1:9"]);
    assert_eq!(no_ip.status.code(), Some(2));
    let stderr = String::from_utf8(no_ip.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--ip"), "{stderr}");
    let bad = mailwiz(&["--demo", "auth", "example.com", "--selector", "bad selector\u{1b}[31m"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(stderr.contains("--selector") && !stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn the_authentication_cause_needs_both_a_rejection_and_a_failing_spf() {
    use mailwiz::diagnosis::{Facts, diagnose, rule};
    use mailwiz::session::Finding;
    use mailwiz::smtp::classify::Classifier;
    let said = |reply: &str| Classifier::bundled().classify_text(reply).args();
    let rejection = Finding::new(
        "log.reply_code",
        &[
            ("domain", "bank.example"),
            ("reply", "550 5.7.26 This mail is unauthenticated"),
            ("count", "3"),
            ("meaning", ""),
        ],
    )
    .with_args(said(
        "host mx[192.0.2.10] said: 550 5.7.26 This mail is unauthenticated (in reply to end of DATA command)",
    ));
    let spf = |id: &str, summary: &str| {
        let mut finding = Finding::new(id, &[("domain", "example.com"), ("ip", "203.0.113.5"), ("path", summary)]);
        finding.args.push(("auth_fix".into(), "Add ip4:203.0.113.5 to the SPF record of example.com".into()));
        finding.args.push(("auth_problem".into(), finding.summary.clone()));
        finding
    };
    let fails = spf("spf.fail", "-all matched");
    let passes = spf("spf.pass", "ip4:203.0.113.0/24 matched");
    let facts = Facts { domain: Some("bank.example".into()), ..Facts::default() };
    let causes = |findings: &[Finding]| -> Vec<String> {
        diagnose(&rule::bundled(), findings, &facts).into_iter().map(|c| c.id).collect()
    };
    assert_eq!(causes(&[rejection.clone(), fails.clone()]), ["diagnosis.authentication"]);
    let with_spf = diagnose(&rule::bundled(), &[rejection.clone(), fails.clone()], &facts);
    assert_eq!(with_spf[0].actions[0], "Add ip4:203.0.113.5 to the SPF record of example.com");
    // SPF passes: the receiver's words still name authentication, but not the SPF record.
    let without = diagnose(&rule::bundled(), &[rejection, passes], &facts);
    assert_eq!(without.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["diagnosis.authentication"]);
    assert!(!without[0].actions.iter().any(|a| a.contains("Add ip4:")), "{:?}", without[0].actions);
    assert!(causes(&[fails]).is_empty(), "no receiver complained");
    let cause = &diagnose(
        &rule::bundled(),
        &[
            spf("spf.softfail", "~all matched"),
            Finding::new(
                "smtp.mail_rejected",
                &[("host", "mx"), ("from", "a@example.com"), ("reply", "550 5.7.23 SPF validation failed")],
            )
            .with_args(said("550 5.7.23 SPF validation failed")),
        ],
        &facts,
    )[0];
    assert_eq!(cause.actions[0], "Add ip4:203.0.113.5 to the SPF record of example.com");
}

/// The `mailwiz` binary asked through `dns`, from a blocking thread so the server keeps running.
async fn mailwiz_with(dns: &DnsServer, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut full: Vec<String> = vec!["--dns-server".into(), dns.addr().to_string(), "--timeout".into(), "2".into()];
    full.extend(args.iter().map(|a| (*a).to_string()));
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = full.iter().map(String::as_str).collect();
        mailwiz(&args)
    })
    .await
    .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

async fn identity_world() -> DnsServer {
    DnsServer::builder()
        .zone(
            "example.net",
            "@ 300 IN TXT \"v=spf1 -all exp=why.example.net\"\nwhy 300 IN TXT \"%{l} may not send from %{i}\"\n",
        )
        .zone("example.com", "mail 300 IN TXT \"v=spf1 a -all\"\nmail 300 IN A 192.0.2.1\n")
        .start()
        .await
        .expect("dns server")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_auth_command_reads_senders_as_rfc7208_does_and_checks_the_helo_name() {
    let dns = identity_world().await;
    let common = ["--ip", "192.0.2.1", "--helo", "mail.example.com", "--json", "auth"];
    let run = |extra: &'static str| {
        let mut args = common.to_vec();
        args.push(extra);
        args
    };
    // No local part: postmaster; the explanation receivers quote comes with the fail.
    let (code, json, stderr) = mailwiz_with(&dns, &run("@example.net")).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(json["spf"]["result"], "fail");
    assert_eq!(json["spf"]["explanation"], "postmaster may not send from 192.0.2.1");
    assert_eq!(json["helo_spf"]["identity"], "helo");
    assert_eq!(json["helo_spf"]["result"], "pass");
    let helo = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"][0].as_str().is_some_and(|e| e.contains("the HELO name mail.example.com")));
    assert!(helo.is_some_and(|f| f["id"] == "spf.pass"), "{}", json["findings"]);
    // A domain literal and a 64-character label: no SPF lookup can be made, the result is none.
    let long = format!("lyme@{}.example.com", "a".repeat(64));
    for sender in ["foo@[1.2.3.5]", long.as_str()] {
        let mut args = common.to_vec();
        args.push(sender);
        let (code, json, stderr) = mailwiz_with(&dns, &args).await;
        assert_ne!(code, Some(2), "{sender}: {stderr}");
        assert_eq!(json["spf"]["result"], "none", "{sender}");
    }
    // The HELO identity alone.
    let (code, json, stderr) =
        mailwiz_with(&dns, &["--ip", "192.0.2.9", "--helo", "mail.example.com", "--json", "auth"]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!((json["identity"].as_str(), json["spf"]["result"].as_str()), (Some("helo"), Some("fail")));
    assert_eq!(json["spf"]["proposed_record"], "v=spf1 ip4:192.0.2.9 a -all");
    // Neither an address nor a HELO name: one sentence, exit 2.
    let (code, _, stderr) = mailwiz_with(&dns, &["--ip", "192.0.2.9", "auth"]).await;
    assert_eq!(code, Some(2));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--helo"), "{stderr}");
}

/// Records of every shape the proposal has to keep valid.
const PROPOSAL_RECORDS: &[&str] = &[
    "v=spf1",
    "v=spf1 -all",
    "v=spf1  mx   ~all ",
    "v=spf1 a:mail.example.org -all exp=why.example.org",
    "v=spf1 redirect=base.example.org",
    "v=spf1 include:base.example.org ?all unknown-mod=x",
    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all",
];

#[tokio::test]
async fn the_proposed_record_passes_the_walk_it_was_proposed_by() {
    let base = "base 300 IN TXT \"v=spf1 ip4:198.51.100.1 -all\"\nwhy 300 IN TXT \"not %{i}\"\n";
    let zone = |records: &[String]| {
        let mut text = base.to_string();
        for (n, record) in records.iter().enumerate() {
            text.push_str(&format!("r{n} 300 IN TXT \"{record}\"\n"));
        }
        text
    };
    let published: Vec<String> = PROPOSAL_RECORDS.iter().map(|r| (*r).to_string()).collect();
    let dns = DnsServer::builder().zone("example.org", &zone(&published)).start().await.unwrap();
    let mut proposed = Vec::new();
    for (n, record) in published.iter().enumerate() {
        let report = spf_of(&dns, &format!("r{n}.example.org"), "203.0.113.7").await;
        assert_ne!(report.result, SpfResult::PermError, "{record}: {}", report.reason);
        proposed.push(report.proposed_record.clone().unwrap_or_else(|| panic!("{record}: no proposal")));
    }
    let dns = DnsServer::builder().zone("example.org", &zone(&proposed)).start().await.unwrap();
    for (n, record) in proposed.iter().enumerate() {
        let report = spf_of(&dns, &format!("r{n}.example.org"), "203.0.113.7").await;
        assert_eq!(report.result, SpfResult::Pass, "the proposal \"{record}\": {}", report.reason);
    }
}
