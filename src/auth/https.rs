//! A bounded HTTPS GET for the MTA-STS policy: the host is resolved with our resolver, the
//! connection honours the context's connect map, the certificate is verified against the web
//! roots plus a configurable CA file, the whole exchange has a deadline and the body a size cap.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::context::Context;
use crate::dns::Resolver;

/// Bytes of headers and body read at most; an MTA-STS policy is a few hundred bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A response with status 200 and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

/// Fetches `https://HOST/PATH` on port 443 (or `port`), following no redirect.
pub async fn get(
    ctx: &Context,
    resolver: &Resolver,
    host: &str,
    port: u16,
    path: &str,
    ca_file: Option<&Path>,
    deadline: Duration,
) -> Result<Response, String> {
    match tokio::time::timeout(deadline, fetch(ctx, resolver, host, port, path, ca_file)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no complete answer from https://{host}{path} within {} s", deadline.as_secs_f64())),
    }
}

async fn fetch(
    ctx: &Context,
    resolver: &Resolver,
    host: &str,
    port: u16,
    path: &str,
    ca_file: Option<&Path>,
) -> Result<Response, String> {
    let (v4, v6) = resolver.lookup_ip(host).await.map_err(|e| e.to_string())?;
    let ip = v4
        .addresses()
        .into_iter()
        .chain(v6.addresses())
        .next()
        .ok_or_else(|| format!("{host} has no address ({} / {})", v4.outcome.label(), v6.outcome.label()))?;
    let addr = SocketAddr::new(ip, port);
    if ctx.connect_map.blocked(addr) {
        return Err(format!("{addr} is outside the demo world"));
    }
    let tcp = tokio::net::TcpStream::connect(ctx.connect_map.route(addr))
        .await
        .map_err(|e| format!("cannot connect to {host} ({addr}): {e}"))?;
    let config = client_config(ca_file)?;
    let name = ServerName::try_from(host.to_string()).map_err(|_| format!("\"{host}\" is not a server name"))?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host} failed: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mailwiz\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.map_err(|e| format!("cannot send the request to {host}: {e}"))?;
    let mut bytes = Vec::new();
    let read = (&mut tls).take(MAX_RESPONSE_BYTES as u64 + 1).read_to_end(&mut bytes).await;
    // A peer that closes without close_notify still sent what it sent.
    if let Err(err) = read
        && bytes.is_empty()
    {
        return Err(format!("cannot read the answer of {host}: {err}"));
    }
    if bytes.len() > MAX_RESPONSE_BYTES {
        return Err(format!("the answer of {host} is larger than {} KiB", MAX_RESPONSE_BYTES / 1024));
    }
    parse_response(&bytes)
}

/// Parses a whole HTTP/1.1 response; a status other than 200 is an error (RFC 8461 §3.3 says
/// redirects must not be followed).
pub fn parse_response(bytes: &[u8]) -> Result<Response, String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Err("the HTTP answer ended inside its headers".into()),
        Err(err) => return Err(format!("the HTTP answer is not valid: {err}")),
    };
    let status = response.code.unwrap_or(0);
    if status != 200 {
        return Err(format!(
            "HTTP status {status} {}",
            crate::session::escape::escape_str(response.reason.unwrap_or(""))
        ));
    }
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let content_type = header("content-type");
    let rest = &bytes[head_len..];
    let body = if header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        dechunk(rest)?
    } else if let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        rest.get(..length).ok_or("the HTTP body is shorter than its Content-Length")?.to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, content_type, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Decodes a chunked body.
pub fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or("a chunk size line is not terminated")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "a chunk size is not a hexadecimal number")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("a chunk is shorter than its size")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

fn client_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs: Result<Vec<CertificateDer<'static>>, _> = rustls::pki_types::pem::PemObject::pem_file_iter(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?
            .collect();
        let certs = certs.map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
        roots.add_parsable_certificates(certs);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn responses_are_read() {
        let ok =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello").unwrap();
        assert_eq!((ok.status, ok.body.as_str(), ok.content_type.as_deref()), (200, "hello", Some("text/plain")));
        let chunked =
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
                .unwrap();
        assert_eq!(chunked.body, "abcde");
        assert!(parse_response(b"HTTP/1.1 301 Moved\r\nLocation: x\r\n\r\n").unwrap_err().contains("301"));
    }

    proptest! {
        #[test]
        fn any_answer_parses_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            answer.extend_from_slice(&bytes);
            if let Ok(response) = parse_response(&answer) {
                prop_assert!(response.body.len() <= answer.len() * 3);
            }
            let _ = parse_response(&bytes);
        }
    }
}
