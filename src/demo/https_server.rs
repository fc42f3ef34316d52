//! An HTTPS server in the process, for the demo world and the tests: fixed answers by path,
//! with a certificate issued by a CA made on the spot, whose PEM the client is given to trust.
//! It serves the MTA-STS policy of the demo receiver.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// One fixed answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Page {
    /// A 200 answer with `text/plain` content.
    pub fn text(body: &str) -> Page {
        Page { status: 200, content_type: "text/plain".into(), body: body.into() }
    }
}

/// A running server; dropping it stops it.
#[derive(Debug)]
pub struct HttpsServer {
    addr: SocketAddr,
    ca_pem: String,
    task: tokio::task::JoinHandle<()>,
}

impl HttpsServer {
    /// Where it listens (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM of the CA that issued its certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[error("the HTTPS server for {host} could not start: {message}")]
pub struct HttpsServerError {
    host: String,
    message: String,
}

/// Serves `pages` (path → answer) over HTTPS for `host`, with a certificate for `host` from a
/// fresh CA; every other path is a 404.
pub async fn start<S>(host: &str, pages: HashMap<String, Page, S>) -> Result<HttpsServer, HttpsServerError>
where
    S: BuildHasher + Send + Sync + 'static,
{
    let fail = |message: String| HttpsServerError { host: host.to_string(), message };
    let ca_key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
    let mut ca_params = CertificateParams::new(Vec::new()).map_err(|e| fail(e.to_string()))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(|e| fail(e.to_string()))?;
    let key = KeyPair::generate().map_err(|e| fail(e.to_string()))?;
    let cert = CertificateParams::new(vec![host.to_string()])
        .and_then(|params| params.signed_by(&key, &ca))
        .map_err(|e| fail(e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()))
        .map_err(|e| fail(e.to_string()))?;
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| fail(e.to_string()))?;
    let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let pages = Arc::new(pages);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, pages) = (acceptor.clone(), pages.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let path = text.split_whitespace().nth(1).unwrap_or("/");
                let page = pages.get(path).cloned().unwrap_or(Page {
                    status: 404,
                    content_type: "text/plain".into(),
                    body: "not found\n".into(),
                });
                let answer = format!(
                    "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    page.status,
                    page.content_type,
                    page.body.len(),
                    page.body
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Ok(HttpsServer { addr, ca_pem: ca.pem(), task })
}
