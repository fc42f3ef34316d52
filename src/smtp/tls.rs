//! TLS for SMTP (STARTTLS and implicit TLS) with rustls and the ring provider.
//!
//! The certificate is verified against webpki-roots, the system's certificates and an optional CA
//! file, but a failed verification does not abort the handshake: it is recorded and reported
//! (`smtp.tls_cert_invalid`) so the admin still sees what the server does next.

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::transport::Transport;
use crate::context::Context;

/// What the handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsInfo {
    /// `TLSv1_3`, `TLSv1_2`.
    pub protocol: String,
    pub cipher: String,
    /// The name sent as SNI and verified against; `None` for an IP literal.
    pub server_name: Option<String>,
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_after: Option<DateTime<Utc>>,
    /// True when the chain and the name verified.
    pub verified: bool,
    /// False when the server was reached by address and its certificate names no address: the
    /// chain was then checked against the certificate's own name.
    pub name_checked: bool,
    /// Why verification failed.
    pub verify_error: Option<String>,
    /// The certificates the peer sent, end entity first, in DER; DANE compares TLSA records
    /// with them.
    #[serde(skip)]
    pub chain: Vec<Vec<u8>>,
}

impl TlsInfo {
    /// Readable lines: protocol, certificate, verification.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![
            format!("TLS {} {}", self.protocol, self.cipher),
            format!("certificate subject: {}", self.subject),
            format!("issuer: {}", self.issuer),
        ];
        if !self.sans.is_empty() {
            lines.push(format!("names: {}", self.sans.join(", ")));
        }
        if let Some(not_after) = self.not_after {
            lines.push(format!("valid until {}", not_after.format("%Y-%m-%d %H:%M UTC")));
        }
        lines.push(match (&self.verify_error, self.name_checked) {
            (None, true) => "certificate verified".to_string(),
            (None, false) => "certificate chain verified; name not checked (reached by address)".to_string(),
            (Some(err), _) => format!("certificate NOT verified: {err}"),
        });
        lines
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("\"{0}\" is not a valid TLS server name")]
    Name(String),
    #[error("cannot read the CA file {path}: {message}")]
    CaFile { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
}

/// Runs the client handshake on the transport, naming `host` as SNI when it is a DNS name.
pub async fn handshake(tcp: Transport, host: &str, ctx: &Context) -> Result<(TlsStream<Transport>, TlsInfo), TlsError> {
    let recorded = Arc::new(Mutex::new(Verdict::default()));
    let config = client_config(ctx, recorded.clone())?;
    let name = server_name(host)?;
    let sni = match &name {
        ServerName::DnsName(d) => Some(d.as_ref().to_string()),
        _ => None,
    };
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|err| TlsError::Handshake(err.to_string()))?;
    let verdict = std::mem::take(&mut *recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let info = describe(&stream, sni, verdict);
    Ok((stream, info))
}

fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(bare.to_string()).map_err(|_| TlsError::Name(host.to_string()))
}

fn describe(stream: &TlsStream<Transport>, server_name: Option<String>, verdict: Verdict) -> TlsInfo {
    let (_, conn) = stream.get_ref();
    let protocol = conn.protocol_version().map(|v| v.as_str().unwrap_or("unknown").to_string()).unwrap_or_default();
    let cipher =
        conn.negotiated_cipher_suite().map(|s| s.suite().as_str().unwrap_or("unknown").to_string()).unwrap_or_default();
    let mut info = TlsInfo {
        protocol,
        cipher,
        server_name,
        subject: String::new(),
        issuer: String::new(),
        sans: Vec::new(),
        not_before: None,
        not_after: None,
        verified: verdict.error.is_none(),
        name_checked: !verdict.by_address,
        verify_error: verdict.error,
        chain: conn.peer_certificates().unwrap_or_default().iter().map(|c| c.as_ref().to_vec()).collect(),
    };
    if let Some(cert) = conn.peer_certificates().and_then(|c| c.first()) {
        fill_certificate(&mut info, cert);
    }
    info
}

fn fill_certificate(info: &mut TlsInfo, der: &CertificateDer<'_>) {
    use x509_parser::extensions::GeneralName;
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der.as_ref()) else {
        info.subject = "(certificate not readable)".into();
        return;
    };
    info.subject = crate::session::escape::escape_str(&cert.subject().to_string());
    info.issuer = crate::session::escape::escape_str(&cert.issuer().to_string());
    info.not_before = DateTime::from_timestamp(cert.validity().not_before.timestamp(), 0);
    info.not_after = DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0);
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => info.sans.push(crate::session::escape::escape_str(dns)),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                        _ => None,
                    };
                    info.sans.extend(ip.map(|ip| ip.to_string()));
                }
                _ => {}
            }
        }
    }
}

/// The certificate's first DNS name, as a server name to verify against (a wildcard stands
/// for one of the names it covers).
fn first_dns_name(der: &CertificateDer<'_>) -> Option<ServerName<'static>> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let san = cert.subject_alternative_name().ok()??;
    san.value.general_names.iter().find_map(|name| match name {
        GeneralName::DNSName(dns) => {
            let name = dns.strip_prefix("*.").map_or_else(|| dns.to_string(), |rest| format!("mx.{rest}"));
            ServerName::try_from(name).ok()
        }
        _ => None,
    })
}

/// The system and webpki roots, loaded once per process.
fn base_roots(native: bool) -> &'static RootCertStore {
    static WITH_NATIVE: OnceLock<RootCertStore> = OnceLock::new();
    static WEBPKI_ONLY: OnceLock<RootCertStore> = OnceLock::new();
    let init = move || {
        let mut store = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if native {
            // Unreadable system certificates only shrink the store; webpki-roots remain.
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        store
    };
    if native { WITH_NATIVE.get_or_init(init) } else { WEBPKI_ONLY.get_or_init(init) }
}

fn roots(ctx: &Context) -> Result<RootCertStore, TlsError> {
    let mut store = base_roots(ctx.config.smtp.native_roots).clone();
    if let Some(path) = &ctx.config.smtp.ca_file {
        store.add_parsable_certificates(read_pem(path)?);
    }
    Ok(store)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let err = |message: String| TlsError::CaFile { path: path.display().to_string(), message };
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path).map_err(|e| err(e.to_string()))?.collect();
    let certs = certs.map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no PEM certificate in it".into()));
    }
    Ok(certs)
}

fn client_config(ctx: &Context, recorded: Arc<Mutex<Verdict>>) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(ctx)?), provider.clone())
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let verifier = Arc::new(RecordingVerifier { inner, recorded });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// What certificate verification found.
#[derive(Debug, Default)]
struct Verdict {
    error: Option<String>,
    /// Reached by address, the chain checked against the certificate's own name.
    by_address: bool,
}

/// Verifies like webpki but records a failure instead of aborting the handshake. Handshake
/// signatures are still checked, so the peer must hold the key of the certificate it shows.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    recorded: Arc<Mutex<Verdict>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut verdict = Verdict::default();
        let mut result = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        if let (Err(rustls::Error::InvalidCertificate(err)), ServerName::IpAddress(_)) = (&result, server_name)
            && matches!(err, CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. })
            && let Some(own) = first_dns_name(end_entity)
        {
            // An MX is reached by name; probed by address, only the chain can be judged.
            result = self.inner.verify_server_cert(end_entity, intermediates, &own, ocsp_response, now);
            verdict.by_address = result.is_ok();
        }
        verdict.error = result.err().map(|err| err.to_string());
        *self.recorded.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = verdict;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
