//! Shared by the SMTP integration tests: contexts with short deadlines and rcgen certificates.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use mailwiz::config::Config;
use mailwiz::context::Context;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, date_time_ymd};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A context with short deadlines (connect 1 s, read 2 s) and only `ca` as extra trust root.
pub fn ctx_with(ca_file: Option<PathBuf>) -> Context {
    let mut config = Config::default();
    config.smtp.connect_timeout = Some(1.0);
    config.smtp.read_timeout = Some(2.0);
    config.smtp.ca_file = ca_file;
    config.smtp.native_roots = false;
    config.timeout = 2.0;
    Context::new(config)
}

/// The probe the tests send: EHLO mail.sender.example, MAIL FROM a@sender.example, RCPT TO
/// b@bank.example, STARTTLS when offered.
pub fn request() -> mailwiz::smtp::probe::ProbeRequest {
    mailwiz::smtp::probe::ProbeRequest {
        ehlo: "mail.sender.example".into(),
        from: "a@sender.example".into(),
        to: Some("b@bank.example".into()),
        starttls: true,
        quit_after: None,
        implicit_tls: false,
    }
}

/// A context with short deadlines.
pub fn ctx() -> Context {
    ctx_with(None)
}

/// A test CA, written as PEM into a temporary directory.
pub struct TestCa {
    pub issuer: Issuer<'static, KeyPair>,
    pub pem_path: PathBuf,
    pub _dir: tempfile::TempDir,
}

/// Which certificate a test server presents.
#[derive(Debug, Clone, Copy)]
pub enum CertKind {
    /// Signed by the test CA, valid now, for the name.
    Valid,
    /// Self-signed for the name.
    SelfSigned,
    /// Signed by the test CA, expired in 2020.
    Expired,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "mailwiz test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem_path = dir.path().join("ca.pem");
        std::fs::write(&pem_path, cert.pem()).unwrap();
        TestCa { issuer: Issuer::new(params, key), pem_path, _dir: dir }
    }

    /// A rustls server configuration presenting a certificate of `kind` for `name`.
    pub fn server_config(&self, name: &str, kind: CertKind) -> Arc<rustls::ServerConfig> {
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = match kind {
            CertKind::Valid => params.signed_by(&key, &self.issuer).unwrap(),
            CertKind::SelfSigned => params.self_signed(&key).unwrap(),
            CertKind::Expired => {
                params.not_before = date_time_ymd(2019, 1, 1);
                params.not_after = date_time_ymd(2020, 1, 1);
                params.signed_by(&key, &self.issuer).unwrap()
            }
        };
        let chain = vec![CertificateDer::from(cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}

/// Runs `fut`, failing the test when it outlives `secs` seconds.
pub async fn within<T>(secs: u64, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(secs), fut).await.expect("the test outlived its deadline")
}

/// No journal event text holds a raw ESC or other control byte.
pub fn journal_is_clean(ctx: &Context) {
    for event in ctx.journal.events() {
        assert!(!event.text.chars().any(char::is_control), "raw control byte in journal: {:?}", event.text);
    }
}

/// Types `lines` into a raw console connected to `addr` (in lock-step, EHLO name and envelope of
/// the tests) and gathers its events once the console ends.
pub async fn converse(
    ctx: &Context,
    addr: std::net::SocketAddr,
    lines: &[&str],
) -> Vec<mailwiz::smtp::session::ConsoleEvent> {
    use mailwiz::smtp::session::{self, ConsoleOptions};
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    for line in lines {
        tx.send(line.to_string()).await.unwrap();
    }
    drop(tx);
    let options = ConsoleOptions { port: addr.port(), probe: request(), mx: Vec::new(), lockstep: true, scope: None };
    let start = mailwiz::smtp::target::HostPort { host: addr.ip().to_string(), port: addr.port() };
    let console = session::run(
        ctx.clone(),
        options,
        Some(session::Start::host(start, false)),
        rx,
        events_tx,
        tokio_util::sync::CancellationToken::new(),
    );
    within(60, console).await;
    let mut events = Vec::new();
    while let Ok(event) = events_rx.try_recv() {
        events.push(event);
    }
    events
}
