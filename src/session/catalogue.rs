//! The one place where finding ids are defined: severity, summary template and fix text. The
//! causes of the diagnosis are defined here too, but their explanation and actions are written
//! with their rules (`assets/diagnosis.toml`).
//!
//! Templates use `{name}` placeholders filled by [`fill`]. The TUI, the JSON output and the
//! report all take their wording from here, so they agree.

use super::finding::Severity;
use super::step::StepId;

/// One catalogue entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub fix: &'static str,
}

const fn e(id: &'static str, severity: Severity, summary: &'static str, fix: &'static str) -> Entry {
    Entry { id, severity, summary, fix }
}

/// A cause of the diagnosis (`diagnosis.*`): no fix here, for its explanation and actions are
/// written with its rules in `assets/diagnosis.toml`.
const fn cause(id: &'static str, severity: Severity, summary: &'static str) -> Entry {
    Entry { id, severity, summary, fix: "" }
}

use Severity::{Fail, Info, Ok, Warn};

/// Every finding id mailwiz can report.
pub const CATALOGUE: &[Entry] = &[
    // queue
    e(
        "queue.stuck_domain",
        Warn,
        "{count} message(s) to {domain} stuck for up to {age}: {reason}",
        "Follow the steps for {domain}: MX, SMTP, identity and block lists tell why it is refused.",
    ),
    e(
        "queue.expired_soon",
        Fail,
        "{count} message(s) to {domain} will bounce within a day (oldest {age})",
        "Fix the cause for {domain} now, or tell the senders; the queue lifetime is {lifetime}.",
    ),
    e(
        "queue.parse_skipped",
        Info,
        "{count} queue line(s) could not be read and were skipped",
        "Check that the queue listing is complete and in a supported format.",
    ),
    // bounce
    e(
        "bounce.refused",
        Fail,
        "{address}: {host} refused it: {reply}",
        "{reason}. Follow the steps for {domain}: the diagnosis weighs this reply with what mailwiz sees now.",
    ),
    e(
        "bounce.not_delivered",
        Fail,
        "{address}: not delivered, the receiver gave no reply; our MTA wrote: {reply}",
        "Our MTA could not reach or find {domain}'s mail servers: check the MX (step 2) and port 25 (step 4) from this host.",
    ),
    e(
        "bounce.delayed",
        Warn,
        "{address}: delayed, still being retried: {reply}",
        "{reason}. The MTA keeps trying; follow the steps for {domain} to see whether it will get through.",
    ),
    e("bounce.delivered", Info, "{address}: the report says it was delivered or passed on", ""),
    e(
        "bounce.truncated",
        Info,
        "The bounce was read only in part: text past the caps was cut and {dropped} recipient(s) were left out",
        "Read the rest of the bounce by eye; what was cut is not in the findings.",
    ),
    // dns
    e(
        "dns.nxdomain",
        Fail,
        "{name} does not exist (NXDOMAIN)",
        "Check the spelling of {name}; if it is right, the receiver's DNS is broken and only its owner can fix it.",
    ),
    e(
        "dns.servfail",
        Fail,
        "The resolver could not answer for {name} (SERVFAIL)",
        "Often broken DNSSEC or unreachable name servers at the receiver; compare with a public resolver and tell the receiver.",
    ),
    e(
        "dns.timeout",
        Warn,
        "No DNS answer for {name} within {timeout}",
        "Check that the resolver {server} answers from this host (UDP and TCP); ask another with --dns-server to tell a dead resolver from a broken domain.",
    ),
    e(
        "dns.refused",
        Warn,
        "The resolver {server} refused to answer for {name} (REFUSED)",
        "This resolver does not serve this host (an access list, or no recursion); use one that does with --dns-server. Nothing is known yet about {name}.",
    ),
    e(
        "dns.outside_demo",
        Warn,
        "{name} is not in the demo world",
        "The demo world holds only the names of its story; leave --demo to look at {name}.",
    ),
    e(
        "dns.unreachable",
        Warn,
        "The resolver {server} could not be asked about {name}: {error}",
        "Check the resolver address and that a name server runs there; nothing is known yet about {name}.",
    ),
    e(
        "dns.resolver_disagree",
        Warn,
        "Resolvers disagree about {name}: {left} vs {right}",
        "A stale cache or split DNS: flush the local resolver's cache or ask why it differs.",
    ),
    e(
        "dns.resolver_silent",
        Fail,
        "Our resolver {server} answered none of {count} queries within {timeout}",
        "Check that {server} is reachable from this host over UDP and TCP port 53 (/etc/resolv.conf, or --dns-server); \
         until it answers, nothing mailwiz or the MTA looks up can be trusted.",
    ),
    // mx
    e("mx.ok", Ok, "{domain} has {count} mail exchanger(s), all with addresses", ""),
    e(
        "mx.implicit",
        Warn,
        "{domain} has no MX record; mail goes to its own address (implicit MX)",
        "Works per RFC 5321 §5.1, but most receivers publish MX records; ask the receiver whether {domain} takes mail.",
    ),
    e(
        "mx.null",
        Fail,
        "{domain} publishes a null MX: it accepts no mail (RFC 7505)",
        "Mail to {domain} cannot be delivered; check the address with the recipient.",
    ),
    e(
        "mx.cname",
        Warn,
        "MX {exchange} is a CNAME, which RFC 5321 forbids",
        "Works with most senders; the receiver should point the MX at the canonical name.",
    ),
    e(
        "mx.ip_literal",
        Fail,
        "MX {exchange} is an IP address, not a host name",
        "The receiver must publish a host name in its MX record; many senders will not deliver.",
    ),
    e(
        "mx.unresolvable",
        Fail,
        "MX {exchange} has no address (no A or AAAA)",
        "The receiver's DNS is broken for {exchange}; tell its postmaster.",
    ),
    e(
        "mx.no_ipv4",
        Warn,
        "No MX of {domain} has an IPv4 address",
        "An IPv4-only sender cannot reach {domain}; enable IPv6 outbound or tell the receiver.",
    ),
    // log
    e(
        "log.deferrals",
        Warn,
        "{count} of {attempts} logged attempt(s) to {domain} were deferred{span}",
        "The most frequent reply below says why; follow the matching step.",
    ),
    e(
        "log.bounced",
        Fail,
        "{count} of {attempts} logged attempt(s) to {domain} bounced or expired{span}",
        "These are not retried: fix what the most frequent reply below names, then resend them.",
    ),
    e(
        "log.undelivered",
        Fail,
        "None of the {attempts} logged attempt(s) to {domain} was delivered{span}",
        "Mail to {domain} is not getting through; the most frequent reply below says why.",
    ),
    e("log.reply_code", Info, "Most frequent failure reply for {domain}: {reply} ({count}×)", "{meaning}"),
    e(
        "log.family_differs",
        Warn,
        "{domain} by address family in our MTA's log: over IPv4 {v4}; over IPv6 {v6}",
        "Our MTA takes either path (Postfix and Exim prefer IPv6 when both ends have it): make the failing family's identity right, or send over the working family only.",
    ),
    e(
        "log.new_reason",
        Warn,
        "A new deferral reason for {domain}: {reply}",
        "The receiver now defers for another reason than before; diagnose again with this reply.",
    ),
    // smtp
    e("smtp.ok", Ok, "{host} ({addr}) answered {banner} in {ms} ms", ""),
    e(
        "smtp.refused",
        Fail,
        "{host} ({addr}) refused the connection on port {port}",
        "Nothing listens there, or a firewall rejects it; try the other MX hosts and ask the receiver.",
    ),
    e(
        "smtp.timeout",
        Fail,
        "{host} ({addr}) did not answer on port {port} within {timeout}",
        "A firewall drops the packets: often our own provider blocking outbound port 25; test a known-good host.",
    ),
    e(
        "smtp.no_route",
        Info,
        "{host} ({addr}): not possible from here, this host has no route of that family",
        "Test this path from a host that has it (--via), or give this host that family's connectivity.",
    ),
    e(
        "smtp.family_differs",
        Warn,
        "{host} answers IPv4 and IPv6 differently: {v4} over IPv4 ({v4_addr}), {v6} over IPv6 ({v6_addr})",
        "Our MTA uses either path (Postfix and Exim prefer IPv6 when both ends have it): make the failing family's identity right, or send over the working family only.",
    ),
    e(
        "smtp.unreachable",
        Fail,
        "{host} ({addr}) is unreachable: {error}",
        "Check routing for this address family, or the source address used.",
    ),
    e(
        "smtp.closed_before_banner",
        Fail,
        "{host} ({addr}) closed the connection before sending a banner",
        "Typical of a connection filter at the receiver (missing PTR, block list, reputation).",
    ),
    e(
        "smtp.reset_before_banner",
        Fail,
        "{host} ({addr}) reset the connection before sending a banner",
        "Typical of a connection filter at the receiver (missing PTR, block list, reputation).",
    ),
    e(
        "smtp.banner_4xx",
        Fail,
        "{host} ({addr}) greeted with a temporary refusal: {reply}",
        "The receiver refuses us at connect; read the reply text and check PTR, HELO and block lists.",
    ),
    e(
        "smtp.banner_5xx",
        Fail,
        "{host} ({addr}) greeted with a permanent refusal: {reply}",
        "The receiver refuses us at connect; read the reply text and check PTR, HELO and block lists.",
    ),
    e(
        "smtp.closed_after_banner",
        Warn,
        "{host} ({addr}) closed the connection after its banner",
        "The receiver dropped us after greeting; it may apply a filter at EHLO time.",
    ),
    e(
        "smtp.no_banner",
        Fail,
        "{host} ({addr}) accepted the connection but sent no complete banner within {timeout}",
        "Not a firewall (the connection was accepted): a tarpit or an overloaded server. Retry later; if it lasts, tell the receiver's postmaster.",
    ),
    e(
        "smtp.via_failed",
        Warn,
        "{host} ({addr}) could not be reached through the second vantage point: {error}",
        "The via command failed on its own side (login, forwarding not allowed, a name the jump host cannot resolve); run it by hand to see why. This says nothing about the receiver.",
    ),
    e(
        "smtp.not_smtp",
        Fail,
        "{host} ({addr}) does not speak SMTP on port {port}: {error}",
        "Something other than a mail server answers there (a web server, a TLS-only port, a proxy). Nothing of ours (address, PTR, HELO) is judged by it: check the MX records point at the mail server and tell the receiver's postmaster.",
    ),
    e(
        "smtp.protocol_error",
        Fail,
        "{host} ({addr}) broke the SMTP protocol: {error}",
        "The receiver, or a proxy or firewall inspecting SMTP in front of it, sends replies SMTP does not allow; nothing of ours causes that. Tell the receiver's postmaster, with the transcript.",
    ),
    e(
        "smtp.line_too_long",
        Fail,
        "{host} ({addr}) sent a line too long to be an SMTP reply: {error}",
        "Check that an SMTP server listens on port {port}; if it does, it is broken: tell the receiver's postmaster.",
    ),
    e(
        "smtp.reply_timeout",
        Warn,
        "{host} ({addr}) sent no complete reply to {command} within {timeout}",
        "A tarpit or an overloaded server: it answers slower than senders wait. Retry later; if it lasts, tell the receiver's postmaster.",
    ),
    e(
        "smtp.mx_address_limit",
        Info,
        "Only the first {limit} of {count} MX addresses were probed, in preference order",
        "MTAs stop there too (Postfix smtp_mx_address_limit is 5); raise [smtp] mx_address_limit to probe more.",
    ),
    e(
        "smtp.slow_banner",
        Warn,
        "{host} ({addr}) took {ms} ms to send its banner",
        "A deliberate greeting delay or an overloaded server; keep the sender's timeouts at RFC 5321 values.",
    ),
    e("smtp.starttls_missing", Warn, "{host} does not offer STARTTLS", "Mail to this host travels in clear text."),
    e(
        "smtp.starttls_failed",
        Warn,
        "STARTTLS with {host} failed: {error}",
        "Under opportunistic TLS mail still goes out in plain text; compare the TLS settings of both sides \
         (protocol versions, ciphers) and tell the receiver.",
    ),
    e(
        "smtp.tls_cert_invalid",
        Warn,
        "{host} presents a certificate that does not verify: {error}",
        "Senders that enforce TLS (MTA-STS, DANE) will not deliver; the receiver should fix its certificate.",
    ),
    // The refusals below and the greeting's (`smtp.banner_4xx`, `smtp.banner_5xx`) carry their
    // reply's class; when it names a reason, its remedy (`ReasonClass::remedy`) replaces the fix
    // given here, which stays for replies that do not say why.
    e(
        "smtp.ehlo_rejected",
        Fail,
        "{host} rejected our EHLO {helo}: {reply}",
        "Announce a fully-qualified name that resolves to our IP and matches its PTR.",
    ),
    e(
        "smtp.mail_rejected",
        Fail,
        "{host} rejected MAIL FROM <{from}>: {reply}",
        "The reply names no reason: read its text, and check the sender domain's SPF/DMARC and our reputation.",
    ),
    e(
        "smtp.rcpt_rejected",
        Fail,
        "{host} rejected RCPT TO <{to}>: {reply}",
        "The reply names no reason: read its text, and check the recipient address with its owner.",
    ),
    e(
        "smtp.vantage_differs",
        Warn,
        "{host} ({addr}) answers differently: {here} from here, {there} through {via}",
        "The receiver treats our address differently from the other vantage point's: fix what it holds against \
         our address (PTR, block lists, reputation), or relay through the other vantage point meanwhile.",
    ),
    e("smtp.rcpt_accepted", Ok, "{host} ({addr}) accepted RCPT TO <{to}>: {reply}", ""),
    e("smtp.reply_explained", Info, "{reply}: {meaning}", "{fix}"),
    // identity
    e("ptr.ok", Ok, "{ip} has PTR {name}, which resolves back to it", ""),
    e(
        "ptr.missing",
        Fail,
        "{ip} has no PTR record",
        "Ask the owner of {ip} (your hosting or access provider) to set its PTR to {helo}, then announce that name in HELO.",
    ),
    e(
        "ptr.fcrdns_mismatch",
        Fail,
        "PTR {name} of {ip} does not resolve back to {ip}",
        "Add an A/AAAA record {name} → {ip}, or change the PTR to a name that has one.",
    ),
    e(
        "ptr.generic",
        Warn,
        "PTR {name} of {ip} looks generic or dynamic",
        "Ask the owner of {ip} for a PTR naming your mail server, e.g. {helo}.",
    ),
    e(
        "ptr.unknown",
        Warn,
        "Could not check the PTR of {ip}: {outcome}",
        "Ask again when the resolver answers, or through another one (--dns-server); this says nothing about the PTR itself.",
    ),
    e("helo.ok", Ok, "HELO name {helo} resolves to {ip}{ptr_match}", ""),
    e(
        "helo.mismatch",
        Warn,
        "HELO name {helo} does not match {ip} ({reason})",
        "Announce the PTR name of {ip} in HELO, and make it resolve to {ip}.",
    ),
    e(
        "helo.not_fqdn",
        Fail,
        "HELO name {helo} is not a fully-qualified domain name",
        "Set the MTA's HELO name (Postfix: smtp_helo_name) to the FQDN in the PTR of {ip}.",
    ),
    e(
        "helo.ip_literal",
        Warn,
        "HELO announces an address literal {helo}",
        "Announce a host name whose A record is {ip} and that matches its PTR.",
    ),
    e(
        "helo.unknown",
        Warn,
        "Could not check the HELO name {helo}: {outcome}",
        "Ask again when the resolver answers, or through another one (--dns-server); this says nothing about the name itself.",
    ),
    e(
        "ip.private",
        Warn,
        "Our address {ip} is not public; receivers see another address",
        "Give the public address with --ip, or let mailwiz find it with a what-is-my-IP query.",
    ),
    e(
        "ip.unknown",
        Warn,
        "Our public IP address is not known",
        "Give it with --ip; identity and block-list checks need it.",
    ),
    e(
        "ip.candidates_disagree",
        Warn,
        "Our address candidates disagree: {candidates}",
        "Mail may leave through another address than you think (NAT, a second uplink, a relay); check the address \
         receivers see (the one echoed in EHLO) and fix PTR and block listings for that one.",
    ),
    // authentication of our mail
    e("spf.pass", Ok, "SPF of {domain} passes for {ip}: {path}", ""),
    e(
        "spf.fail",
        Fail,
        "SPF of {domain} fails for {ip}: {path}",
        "Add {mechanism} to the SPF record of {domain}: \"{proposed}\"",
    ),
    e(
        "spf.softfail",
        Warn,
        "SPF of {domain} soft-fails for {ip}: {path}",
        "Add {mechanism} to the SPF record of {domain}: \"{proposed}\"",
    ),
    e(
        "spf.neutral",
        Warn,
        "SPF of {domain} is neutral for {ip}: {path}",
        "Add {mechanism} to the SPF record of {domain}: \"{proposed}\"",
    ),
    e(
        "spf.none",
        Warn,
        "SPF of {domain} finds no record: {reason}",
        "Publish a TXT record at {domain}: \"{proposed}\" (add the other hosts that send for {domain}).",
    ),
    e(
        "spf.permerror",
        Fail,
        "SPF of {domain} has a permanent error: {reason}",
        "Fix the SPF record of {domain}; receivers treat a permanent error like a fail. Too many lookups: replace \
         include/a/mx terms by ip4/ip6 ranges.",
    ),
    e(
        "spf.temperror",
        Warn,
        "SPF of {domain} could not be checked: {reason}",
        "A DNS lookup failed, so the result is unknown, not a failure; retry, and check the name servers of the \
         domain named.",
    ),
    e("dmarc.ok", Ok, "DMARC of {domain}: p={p}, sp={sp}, pct={pct}, reports to {rua} (record at {at})", ""),
    e(
        "dmarc.none",
        Warn,
        "{domain} publishes no DMARC record (looked at {looked})",
        "Publish a TXT record at _dmarc.{org}: \"v=DMARC1; p=none; rua=mailto:dmarc-reports@{org}\"; Gmail, Yahoo \
         and Microsoft require one from bulk senders.",
    ),
    e(
        "dmarc.invalid",
        Fail,
        "The DMARC record at {at} is not valid: {reason}",
        "Fix the record; receivers ignore a DMARC record they cannot read, as if there were none.",
    ),
    e(
        "dmarc.unknown",
        Warn,
        "DMARC of {domain} could not be checked: {reason}",
        "A DNS lookup failed, so whether {domain} has a DMARC record is unknown; retry.",
    ),
    e(
        "dmarc.spf_unaligned",
        Warn,
        "SPF of the envelope domain {envelope} does not align with the From domain {domain} (aspf={aspf})",
        "Send with an envelope sender in {org}, or make sure DKIM signs with d={domain}: DMARC passes only with an \
         aligned SPF or DKIM result.",
    ),
    e("dkim.key_ok", Ok, "DKIM key {name}: {type}, {bits} bits", ""),
    e(
        "dkim.key_missing",
        Fail,
        "No DKIM key at {name} ({outcome})",
        "Publish the public key of selector {selector} as a TXT record at {name}, or make the signer use a selector \
         whose key is published.",
    ),
    e(
        "dkim.key_revoked",
        Fail,
        "DKIM key {name} is revoked (empty p=)",
        "Sign with a selector whose key is published, or publish the key of {selector} again.",
    ),
    e(
        "dkim.key_weak",
        Warn,
        "DKIM key {name} is {type} with only {bits} bits",
        "Generate a 2048-bit key under a new selector, publish it, then switch the signer to it.",
    ),
    e(
        "dkim.key_invalid",
        Fail,
        "DKIM key record {name} is not valid: {reason}",
        "Publish the record as the signer prints it: \"v=DKIM1; k=rsa; p=<base64 public key>\".",
    ),
    e(
        "dkim.key_testing",
        Info,
        "DKIM key {name} is in testing mode (t=y)",
        "Remove t=y once signing works; some receivers treat signatures of a test key as absent.",
    ),
    e(
        "dkim.key_unknown",
        Warn,
        "DKIM key {name} could not be looked up: {reason}",
        "A DNS lookup failed, so whether the key exists is unknown; retry.",
    ),
    e(
        "dkim.no_selector",
        Info,
        "No DKIM selector of {domain} is known, so no key was checked",
        "Give the selectors with --selector or config [auth] selectors (OpenDKIM, rspamd and Exim configurations \
         are read when readable).",
    ),
    // the receiver's TLS policy
    e(
        "mta_sts.ok",
        Ok,
        "{domain} publishes MTA-STS in {mode} mode (max_age {max_age} s); every MX matches {patterns}",
        "",
    ),
    e("mta_sts.none", Info, "{domain} publishes no MTA-STS policy", ""),
    e(
        "mta_sts.mx_mismatch",
        Fail,
        "MX {exchange} of {domain} matches no mx pattern of its MTA-STS policy ({mode} mode: {patterns})",
        "Senders that honour MTA-STS in enforce mode will not deliver to {exchange}; the receiver must add it to \
         the policy at {url}.",
    ),
    e(
        "mta_sts.invalid",
        Warn,
        "The MTA-STS {what} of {domain} is not valid: {reason}",
        "Senders ignore an MTA-STS policy they cannot read; tell the receiver ({url}).",
    ),
    e(
        "mta_sts.fetch_failed",
        Warn,
        "The MTA-STS policy of {domain} could not be fetched: {reason}",
        "Senders that find the record but no policy deliver as without MTA-STS, or defer; tell the receiver ({url}).",
    ),
    e(
        "mta_sts.unknown",
        Warn,
        "MTA-STS of {domain} could not be checked: {reason}",
        "A DNS lookup failed, so whether {domain} has a policy is unknown; retry.",
    ),
    e("tls_rpt.ok", Ok, "{domain} asks for TLS reports at {rua}", ""),
    e("tls_rpt.none", Info, "{domain} publishes no TLS-RPT record", ""),
    e(
        "tls_rpt.unknown",
        Info,
        "TLS-RPT of {domain} could not be checked: {reason}",
        "A DNS lookup failed, so whether {domain} asks for TLS reports is unknown; only reporting depends on it.",
    ),
    e(
        "tls_rpt.invalid",
        Info,
        "The TLS-RPT record of {domain} could not be used: {reason}",
        "Only reporting is affected; delivery does not depend on it.",
    ),
    e("dane.ok", Ok, "TLSA of {host} ({record}) matches the certificate it presented", ""),
    e(
        "dane.mismatch",
        Fail,
        "No TLSA record at {name} matches the certificate {host} presented",
        "Senders that use DANE will not deliver to {host}; the receiver must publish TLSA for its current \
         certificate (or key) before rolling it.",
    ),
    e("dane.none", Info, "{host} publishes no TLSA record at {name} (no DANE)", ""),
    e(
        "dane.unchecked",
        Info,
        "{host} publishes TLSA at {name}, but no certificate was seen to compare it with",
        "Run the SMTP probe with STARTTLS, then check again.",
    ),
    e(
        "dane.unknown",
        Warn,
        "TLSA of {host} could not be looked up: {reason}",
        "A DNS lookup failed, so whether {host} uses DANE is unknown; retry.",
    ),
    // dnsbl
    e("dnsbl.clean", Ok, "{ip} is on none of the {count} block lists checked", ""),
    e(
        "dnsbl.listed",
        Fail,
        "{ip} is listed on {zone}: {meaning}",
        "Remove the cause (open relay, compromised account, spam), then request delisting at {delist}.",
    ),
    e(
        "dnsbl.query_refused",
        Warn,
        "{zone} refused the query ({code}): {reason}",
        "Query the list through your own resolver, not a public one, or register for access.",
    ),
    e(
        "dnsbl.not_ipv6",
        Info,
        "{count} block list(s) list IPv4 addresses only and were not asked about {ip}: {zones}",
        "Whether {ip} is listed there cannot be known from these lists; it is not \"clean\".",
    ),
    e("dnsbl.timeout", Warn, "{zone} did not answer within {timeout}", "Try again later; the list may be down."),
    // diagnosis
    cause("diagnosis.ipv6_refused", Fail, "{host} refuses us over IPv6 and accepts us over IPv4: our IPv6 path fails"),
    cause("diagnosis.ipv4_refused", Fail, "{host} refuses us over IPv4 and accepts us over IPv6: our IPv4 path fails"),
    cause("diagnosis.missing_ptr", Fail, "The receiver refuses us because {ip} has no reverse DNS"),
    cause(
        "diagnosis.fcrdns_mismatch",
        Fail,
        "The PTR of {ip} does not resolve back, so the receiver does not trust it",
    ),
    cause("diagnosis.blocklisted", Fail, "{ip} is on a block list the receiver uses ({list})"),
    cause("diagnosis.helo_mismatch", Fail, "Our HELO name {helo} does not match our address"),
    cause(
        "diagnosis.receiver_filter",
        Fail,
        "The receiver refuses us by a filter of its own, although PTR, HELO and block lists are in order",
    ),
    cause("diagnosis.firewall", Fail, "Outbound port 25 is blocked on our side"),
    cause("diagnosis.dns_broken", Fail, "The receiver's DNS does not let mail be delivered to {domain}"),
    cause("diagnosis.tls_problem", Fail, "TLS with the receiver fails or is required and not possible"),
    cause("diagnosis.recipient_rejected", Fail, "The receiver rejects the recipient address"),
    cause("diagnosis.receiver_down", Fail, "Every mail exchanger of {domain} refuses connections"),
    cause(
        "diagnosis.receiver_blocklist",
        Fail,
        "The receiver's own block list or reputation system refuses us ({system})",
    ),
    cause("diagnosis.rate_limited", Fail, "The receiver defers us for our sending rate or reputation"),
    cause("diagnosis.greylisted", Info, "The receiver greylists us: a first-time deferral the next retry passes"),
    cause("diagnosis.authentication", Fail, "The receiver refuses our mail as unauthenticated (SPF, DKIM, DMARC)"),
    cause("diagnosis.dynamic_ip", Fail, "The receiver treats {ip} as a dynamic or residential address"),
    cause(
        "diagnosis.our_dns",
        Fail,
        "Our own resolver does not answer, so the receiver's DNS and ours could not be checked",
    ),
    cause("diagnosis.mailbox_full", Fail, "The recipient's mailbox is full"),
    cause("diagnosis.message_too_big", Fail, "The receiver refuses the message as too big"),
    cause("diagnosis.relay_denied", Fail, "The receiving host does not accept mail for {domain} (relaying denied)"),
    cause("diagnosis.sender_rejected", Fail, "The receiver refuses our envelope sender"),
    cause("diagnosis.address_refused", Fail, "The receiver refuses our address, not our software or the message"),
    cause("diagnosis.recipient_disabled", Fail, "The recipient's account is disabled: it takes no mail"),
    cause("diagnosis.receiver_system", Fail, "The receiver's own mail system is out of storage or failing"),
    cause("diagnosis.message_content", Fail, "The receiver refuses the message itself (content, headers or encoding)"),
    cause("diagnosis.unexplained_refusal", Fail, "The receiver refused us at {at} without a reason mailwiz can read"),
    cause("diagnosis.deliverable", Ok, "{domain} accepts us now{recipient_scope}: mail to {domain} should flow"),
];

/// The steps (by title, the diagnosis left out) none of whose findings is among `findings`:
/// they have not run, so nothing is known of what they check.
pub fn steps_without_findings(findings: &[super::Finding]) -> Vec<String> {
    StepId::looking()
        .filter(|step| !findings.iter().any(|f| StepId::of_finding(&f.id) == Some(*step)))
        .map(|step| step.title().to_string())
        .collect()
}

/// The entry for `id`, or `None` for an unknown id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|entry| entry.id == id)
}

/// Replaces each `{name}` in `template` with its value from `args`; unknown placeholders stay.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for entry in CATALOGUE {
            assert!(seen.insert(entry.id), "duplicate id {}", entry.id);
            assert!(entry.id.contains('.'), "{} is not dotted", entry.id);
            assert_eq!(entry.id, entry.id.to_lowercase());
        }
    }

    #[test]
    fn causes_carry_no_fix_text_for_their_rules_write_it() {
        for entry in CATALOGUE.iter().filter(|e| e.id.starts_with("diagnosis.")) {
            assert!(entry.fix.is_empty(), "{}: its actions belong in assets/diagnosis.toml", entry.id);
        }
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        let text = fill("{ip} has no PTR; ask for {helo}", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]);
        assert_eq!(text, "203.0.113.5 has no PTR; ask for mail.example.com");
    }
}
