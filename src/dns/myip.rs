//! "What is my IP" over DNS: servers that answer a special name with the address asking them
//! (`myip.opendns.com` A at resolver1.opendns.com, `o-o.myaddr.l.google.com` TXT at
//! ns1.google.com). Names and servers come from `identity.myip`; the public defaults are used
//! only when public lookups are allowed, so the demo world and tests answer with their own server.

use std::net::IpAddr;

use serde::Serialize;

use super::resolver::{DnsReply, QueryType, Resolver};
use crate::config::{IdentityConfig, MyIpQuery, parse_server};
use crate::context::Context;

/// One what-is-my-IP query and what it gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MyIpAnswer {
    pub name: String,
    pub record: String,
    pub server: String,
    pub reply: Option<DnsReply>,
    /// The address the server saw.
    pub ip: Option<IpAddr>,
    /// Why no address came back.
    pub error: Option<String>,
}

impl MyIpAnswer {
    /// The candidate source, `dns:myip.opendns.com`.
    pub fn source(&self) -> String {
        format!("dns:{}", self.name)
    }
}

/// The queries this run may make: the configured ones, else the public defaults when public
/// lookups are allowed, else none.
pub fn queries(ctx: &Context) -> Vec<MyIpQuery> {
    match &ctx.config.identity.myip {
        Some(list) => list.clone(),
        None if ctx.public_lookups_allowed() => IdentityConfig::default_myip(),
        None => Vec::new(),
    }
}

/// Asks every query of this run at once.
pub async fn ask_all(ctx: &Context) -> Vec<MyIpAnswer> {
    let asks = queries(ctx).into_iter().map(|q| ask(ctx, q));
    futures::future::join_all(asks).await
}

/// Asks one server.
pub async fn ask(ctx: &Context, query: MyIpQuery) -> MyIpAnswer {
    let mut answer = MyIpAnswer {
        name: query.name.clone(),
        record: query.record.to_ascii_uppercase(),
        server: query.server.clone(),
        reply: None,
        ip: None,
        error: None,
    };
    let server = match parse_server(&query.server) {
        Ok(server) => server,
        Err(err) => {
            answer.error = Some(err.to_string());
            return answer;
        }
    };
    let qtype = match answer.record.as_str() {
        "A" => QueryType::A,
        "AAAA" => QueryType::Aaaa,
        "TXT" => QueryType::Txt,
        other => {
            answer.error = Some(format!("record type {other} cannot carry an address (use A, AAAA or TXT)"));
            return answer;
        }
    };
    let resolver = Resolver::for_server(ctx, server);
    let reply = match resolver.query(&query.name, qtype).await {
        Ok(reply) => reply,
        Err(bad) => {
            answer.error = Some(bad.to_string());
            return answer;
        }
    };
    answer.ip = address_in(&reply);
    if answer.ip.is_none() {
        answer.error = Some(format!("no address in the answer ({})", reply.outcome.label()));
    }
    answer.reply = Some(reply);
    answer
}

/// The first address in an A/AAAA answer or in a TXT string that is an address (Google adds a
/// second string `edns0-client-subnet …` when the query carried one).
fn address_in(reply: &DnsReply) -> Option<IpAddr> {
    reply
        .addresses()
        .into_iter()
        .next()
        .or_else(|| reply.txt_strings().iter().find_map(|t| t.trim().parse::<IpAddr>().ok()))
        .map(|ip| ip.to_canonical())
}
