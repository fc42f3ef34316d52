//! Hostile input for every parser of outside bytes, and the properties each parser keeps: no
//! panic, bounded output, no control or bidi character unescaped in what is shown. Shared by
//! `tests/properties.rs` and the `fuzz` example (which runs the same cases longer).
#![allow(dead_code)]

use std::io::Write;

use chrono::{TimeZone, Utc};
use mailwiz::session::escape::is_clean;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;

/// What an attacker puts in a field: terminal escapes, C1, bidi controls, separators, quoting.
const NASTY: &[&str] = &[
    "\u{1b}[2J",
    "\u{1b}]0;owned\u{7}",
    "\u{9b}31m",
    "\u{202e}",
    "\u{2066}",
    "\u{2069}",
    "\u{200f}",
    "\u{2028}",
    "\0",
    "\u{7f}",
    "\r",
    "\t",
    "\n",
    "\r\n",
    "\\",
    "\"",
    ",",
    ";",
    "<>",
    "[",
    "]",
    ":",
    "=",
    "{",
    "}",
    "250-",
    "550 5.7.1 ",
    "#Fields: ",
    "\u{feff}",
    "ÿ",
];

/// One edit's worth of bytes: a nasty string, random bytes, or a long run.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => select(NASTY).prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::collection::vec(any::<u8>(), 0..24),
        1 => (any::<u8>(), 0usize..20_000).prop_map(|(b, n)| vec![b; n]),
    ]
}

/// A sample of a real format with random edits: bytes inserted, lines repeated, the end cut.
pub fn mutated(samples: &[&str]) -> impl Strategy<Value = Vec<u8>> + use<> {
    let samples: Vec<String> = samples.iter().map(ToString::to_string).collect();
    (select(samples), prop::collection::vec((any::<Index>(), fragment()), 0..10), 0usize..4, any::<Option<Index>>())
        .prop_map(|(sample, edits, repeat, cut)| {
            let mut bytes = sample.repeat(repeat + 1).into_bytes();
            for (at, fragment) in edits {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, fragment);
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            bytes
        })
}

/// Text made of nasty strings and random characters.
pub fn nasty_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![select(NASTY).prop_map(str::to_string), any::<char>().prop_map(String::from)],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

pub const SMTP: &[&str] = &[
    "220 mx.bank.example ESMTP\r\n",
    "250-mx.bank.example Hello [203.0.113.5]\r\n250-STARTTLS\r\n250 SIZE 1000\r\n",
    "550-5.7.1 [203.0.113.5] Our system has detected\r\n550 5.7.1 an unusual rate https://support.google.com\r\n",
    "421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred\r\n",
    "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org\r\n",
];

/// A Postfix JSON listing of one message queued ten minutes ago, so no run finds it expired.
pub fn postfix_json() -> String {
    let arrival = Utc::now().timestamp() - 600;
    format!(
        r#"{{"queue_name": "deferred", "queue_id": "6978FB4038", "arrival_time": {arrival}, "message_size": 358, "forced_expire": false, "sender": "a@b.example", "recipients": [{{"address": "user@bank.example", "delay_reason": "host mx.bank.example[192.0.2.10] refused to talk to me: 421 4.7.0 Try again later"}}]}}
"#
    )
}

pub const POSTFIX_TEXT: &[&str] = &["-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
6E5A1B4035!     352 Sat Nov 28 17:15:48  lab@lab.mailwiz.test
(host 127.0.0.1[127.0.0.1] said: 421 4.0.0 Server closing connection (in reply to RCPT TO command))
                                         user@rcpt421.test

-- 1 Kbytes in 2 Requests.
", "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
9BBD8401F92      265 Mon Jul 22 14:45:40  root@example.com
(connect to mx.bank.example[192.0.2.10]:25: Connection timed out)
                                         a@bank.example

E8427401F86      265 Mon Jul 22 14:40:03  root@example.com
(host mx.bank.example[2001:db8::10] said: 550-5.7.1 [2001:db8::25] does not meet IPv6 sending guidelines (in reply to end of DATA command))
                                         b@bank.example

-- 1 Kbytes in 2 Requests.
"];

pub const EXIM: &[&str] = &[" 2h   52K 12EwGE-0005jD-00 <sam@vbrew.com>
        D bob@vbrew.com
          harry@example.net

25m  2.9K 10HmaX-000000005vi-0000 <> *** frozen ***
          red.king@looking-glass.example
"];

pub const SENDMAIL: &[&str] = &["                /var/spool/mqueue (1 request)
-----Q-ID----- --Size-- -----Q-Time----- ------------Sender/Recipient-----------
s1AAbb01234567       12 Mon Feb 10 10:00 root
                 (Deferred: Connection refused by [127.0.0.1])
                                         admin@example.com
                Total requests: 1
"];

pub const EXCHANGE: &[&str] = &[
    "Identity          : EX01\\3\\1234
FromAddress       : sender@contoso.example
Status            : Retry
LastError         : 451 4.4.0 Primary target IP address responded with: \"421 4.3.2 Service not
                    available, closing transmission channel.\"
Recipients        : {a@fabrikam.example, b@fabrikam.example}

",
    "\"Identity\",\"DeliveryType\",\"NextHopDomain\",\"Status\",\"MessageCount\",\"LastError\"\r
\"EX01\\4\",\"DnsConnectorDelivery\",\"bank.example\",\"Retry\",\"42\",\"451 4.4.0 Primary target responded: \"\"421 4.4.2 dropped\"\"\"\r
",
];

pub const LOGS: &[&str] = &[
    "Jan 10 08:00:01 mail postfix/smtp[1]: 1A2B3C4D5E: to=<a@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=4.7.0, status=deferred (host mx1.bank.example[192.0.2.10] said: 421 4.7.0 Try again later (in reply to MAIL FROM command))\n",
    "2024-01-10T08:00:01.123456+01:00 mail postfix/smtp[1]: 1A2B3C4D5E: to=<a@bank.example>, relay=none, delay=1, dsn=4.4.1, status=deferred (connect to mx.bank.example[192.0.2.10]:25: Connection refused)\n",
    "2020-06-24 00:20:20 1raAV4-009jr4-9x == jack@bank.example R=dnslookup T=remote_smtp defer (-44) H=(relay.bank.example) [4.4.4.4]: SMTP error from remote mail server after RCPT TO:<jack@bank.example>: 450 4.7.1 Recipient not available\n",
    "#Fields: date time c-ip cs-method cs-uri-query sc-status\n2017-02-09 05:28:28 192.0.2.10 OutboundConnectionResponse 421+4.7.0+[TSS04]+deferred 0\n",
    "205.188.158.121 - OutboundConnectionResponse [11/Oct/2006:13:16:39 -0600] \"- -?421+rly-yi06.mx.bank.example+busy SMTP\" 0 82\n",
    "#Fields: date-time,server-hostname,server-ip,event-id,recipient-address,recipient-status\n2021-01-15T22:06:02.000Z,mx.bank.example,192.0.2.7,DEFER,a@bank.example,\"[{LED=450 4.7.0 Proxy session setup failed};{FQDN=x}]\"\n",
    "2024-01-25T15:14:39.470Z,Internet,08DC1,1,10.0.0.1:50000,192.0.2.25:25,<,421 4.7.0 mx.bank.example busy,\n",
    "Jan 10 08:00:01 mail postfix/smtp[1]: 1A2B3C4D5E: to=<a@bank.example>, relay=mx1.bank.example[2001:db8::10]:25, delay=1, delays=0/0/1/0, dsn=5.7.1, status=bounced (host mx1.bank.example[2001:db8::10] said: 550-5.7.1 [2001:db8::25] Our system has detected that this 550-5.7.1 message does not meet IPv6 sending guidelines regarding PTR records and authentication (in reply to end of DATA command))\nJan 10 08:00:02 mail postfix/smtp[1]: 1A2B3C4D5E: to=<b@bank.example>, relay=mx1.bank.example[192.0.2.10]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n",
];

/// Delay reasons and log fragments that name the peer our MTA tried, over both families.
pub const PEERS: &[&str] = &[
    "host mx.bank.example[2001:db8::10] said: 550-5.7.1 [2001:db8::25] Our system has detected that this message does not meet IPv6 sending guidelines",
    "connect to mx.bank.example[192.0.2.10]:25: Connection timed out",
    "H=mx.bank.example [2001:db8::10]: SMTP error from remote mail server after RCPT TO:<a@bank.example>: 550 5.7.1",
    "lost connection with mx[IPv6:fe80::1%eth0] while receiving the initial server greeting",
    "relay=mx.bank.example[::ffff:192.0.2.10]:25, status=sent (250 ok)",
];

pub const JOURNAL: &[&str] = &[
    "{\"time\":\"2026-01-10T08:00:00Z\",\"kind\":\"start\",\"text\":\"started\",\"data\":{\"target\":\"bank.example\"}}\n",
    "{\"time\":\"2026-01-10T08:00:01Z\",\"kind\":\"received\",\"text\":\"421 4.0.0 Server error\"}\n",
    "{\"time\":\"2026-01-10T08:00:02Z\",\"kind\":\"finding\",\"text\":\"ptr.missing\",\"data\":{\"id\":\"ptr.missing\",\"severity\":\"fail\",\"summary\":\"203.0.113.5 has no PTR\",\"detail\":\"\",\"evidence\":[\"PTR x: NXDOMAIN\"],\"fix\":\"ask\"}}\n",
];

pub const CONFIG: &[&str] = &[
    "timeout = 2.5\n[smtp]\nread_timeout = 3\nconnect_timeout = 1.5\nconcurrency = 3\nmx_address_limit = 5\n",
    "[blocklist]\ndeadline = 4.0\n[queue]\ncommand_timeout = 10.0\nlifetime_days = 5.0\n[dns]\nattempts = 2\n",
];

/// Numbers a config may hold; the edits of [`mutated`] add the rest.
pub fn config_text() -> impl Strategy<Value = Vec<u8>> {
    const KEYS: &[&str] = &[
        "timeout",
        "[smtp]\nread_timeout",
        "[smtp]\nconnect_timeout",
        "[blocklist]\ndeadline",
        "[queue]\ncommand_timeout",
        "[queue]\nlifetime_days",
        "[dns]\nattempts",
        "[smtp]\nmx_address_limit",
        "[smtp]\nconcurrency",
        "[smtp]\nslow_banner_ms",
    ];
    const NUMBERS: &[&str] = &[
        "1e300",
        "inf",
        "-inf",
        "nan",
        "-5",
        "0",
        "0.0",
        "1e-300",
        "18446744073709551615",
        "9223372036854775807",
        "86400.5",
        "3",
        "2.5",
        "-0.0",
    ];
    prop_oneof![(select(KEYS), select(NUMBERS)).prop_map(|(k, v)| format!("{k} = {v}\n").into_bytes()), mutated(CONFIG),]
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if ok { Ok(()) } else { Err(TestCaseError::fail(what())) }
}

fn clean(text: &str, what: &str) -> Result<(), TestCaseError> {
    check(is_clean(text), || format!("{what} holds a raw control or bidi character: {text:?}"))
}

/// Reply bytes through the line reader and the assembler, then every way a reply is shown.
pub fn smtp_reply(bytes: &[u8]) -> Result<(), TestCaseError> {
    use mailwiz::smtp::explain::Explainer;
    use mailwiz::smtp::reply::{LineReader, MAX_LINE, MAX_LINES, ReplyAssembler};
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    let lines = runtime.block_on(async {
        let mut reader = LineReader::new(bytes);
        let mut lines = Vec::new();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.push(line);
        }
        lines
    });
    let mut assembler = ReplyAssembler::default();
    let mut replies: Vec<_> = lines.into_iter().filter_map(|l| assembler.push(l)).collect();
    replies.extend(assembler.finish());
    for reply in &replies {
        check(reply.lines.len() <= MAX_LINES, || format!("{} lines kept", reply.lines.len()))?;
        check(reply.lines.iter().all(|l| l.raw.len() <= MAX_LINE), || "a line over the cap".into())?;
        for line in reply.display_lines() {
            clean(&line, "a reply line")?;
        }
        clean(&reply.one_line(), "a reply")?;
        for ended in [false, true] {
            match reply.protocol_problem(ended) {
                Some(problem) => {
                    let text = problem.to_string();
                    clean(&text, "a protocol problem")?;
                    check(text.len() < 1024, || format!("a protocol problem of {} bytes", text.len()))?;
                }
                // A reply said to be well formed has a code on every line, the same.
                None => check(reply.code.is_some() && reply.lines.iter().all(|l| l.code() == reply.code), || {
                    format!("{:?} passed as SMTP", reply.display_lines())
                })?,
            }
        }
        for line in Explainer::global().explain(reply, mailwiz::smtp::classify::ReplyStage::Rcpt).lines() {
            clean(&line, "an explanation")?;
        }
    }
    Ok(())
}

/// DNS-derived names and texts as shown: records, reply summaries, evidence.
pub fn dns_texts(name: &str, texts: &[String]) -> Result<(), TestCaseError> {
    use mailwiz::dns::resolver::{Answer, DnsOutcome, DnsReply, QueryType, RecordData};
    let records: Vec<Answer> = texts
        .iter()
        .flat_map(|t| {
            [
                RecordData::Txt(vec![t.clone(), name.to_string()]),
                RecordData::Ptr(t.clone()),
                RecordData::Mx { preference: 10, exchange: t.clone() },
                RecordData::Cname(t.clone()),
            ]
        })
        .map(|data| Answer { name: name.to_string(), ttl: 300, data })
        .collect();
    for outcome in [DnsOutcome::Records(records.clone()), DnsOutcome::Failed(name.to_string())] {
        let reply = DnsReply {
            name: name.to_string(),
            qtype: QueryType::Txt,
            server: "192.0.2.53:53".parse().expect("an address"),
            elapsed: std::time::Duration::from_millis(5),
            outcome,
        };
        clean(&reply.summary(), "a DNS summary")?;
        let evidence = mailwiz::dns::ptr::evidence_of(&reply);
        check(evidence.len() <= mailwiz::dns::ptr::MAX_PTR_NAMES + 1, || format!("{} evidence lines", evidence.len()))?;
        for line in evidence {
            clean(&line, "DNS evidence")?;
        }
    }
    for record in &records {
        clean(&record.data.to_string(), "a DNS record")?;
    }
    Ok(())
}

/// A resolver that answers the AD query with our question, QR and AD set, a garbled answer count
/// and `noise` after it: the reply is read or refused within the deadline, never a panic, and a
/// refusal is one clean, short sentence.
pub fn dns_reply(noise: &[u8]) -> Result<(), TestCaseError> {
    use std::time::{Duration, Instant};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("a UDP socket");
        let server = socket.local_addr().expect("an address");
        let noise = noise.to_vec();
        let resolver = tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            if let Ok((n, from)) = socket.recv_from(&mut buf).await {
                let mut reply = buf[..n].to_vec();
                reply[2] |= 0x80;
                reply[3] |= 0x20;
                if let [high, low, ..] = noise[..] {
                    reply[6] = high;
                    reply[7] = low;
                }
                reply.extend_from_slice(&noise);
                let _ = socket.send_to(&reply, from).await;
            }
        });
        let started = Instant::now();
        let deadline = Duration::from_millis(50);
        let got =
            mailwiz::dns::authenticated::ask(server, "mx1.bank.example", hickory_proto::rr::RecordType::TLSA, deadline)
                .await;
        resolver.abort();
        check(started.elapsed() < Duration::from_secs(1), || format!("took {:?}", started.elapsed()))?;
        if let Err(why) = &got {
            clean(why, "an AD query's error")?;
            check(why.len() < 300, || format!("a {}-byte error", why.len()))?;
        }
        Ok(())
    })
}

/// A queue listing through detection (or the given format), grouping and the readable output.
pub fn queue_listing(bytes: &[u8], format: Option<mailwiz::queue::Format>) -> Result<(), TestCaseError> {
    use mailwiz::queue::{Lifetime, Loaded, parse_reader};
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("a time");
    let Ok(parsed) = parse_reader(bytes, format, now) else { return Ok(()) };
    let lines = bytes.split(|b| *b == b'\n').count();
    check(parsed.entries.len() <= lines, || format!("{} entries from {lines} lines", parsed.entries.len()))?;
    let loaded = Loaded { parsed, source: "fuzz".into(), lifetime: Lifetime::default_lifetime(), notes: Vec::new() };
    let report = mailwiz::queue::analyse(loaded, now);
    let text = mailwiz::cli::queue::readable(&report);
    clean(&text, "the queue listing")?;
    check(text.len() <= 64 * 1024 + 64 * bytes.len(), || format!("{} bytes of output", text.len()))?;
    for finding in &report.findings {
        clean(&mailwiz::cli::output::findings_text(std::slice::from_ref(finding)), "a queue finding")?;
    }
    Ok(())
}

/// Log bytes through one format's parser (or detection) and the summary as shown.
pub fn log_lines(bytes: &[u8], format: Option<mailwiz::logs::Format>) -> Result<(), TestCaseError> {
    use mailwiz::logs::{DomainFilter, LogsRequest, analyse};
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(bytes).expect("written");
    let request = LogsRequest {
        paths: vec![file.path().to_path_buf()],
        format,
        filter: Some(DomainFilter::new("bank.example")),
        reference: chrono::NaiveDate::from_ymd_opt(2024, 1, 10),
    };
    let Ok(analysis) = analyse(&request, &|| false, &mut |_| {}) else { return Ok(()) };
    for row in mailwiz::wizard::logs::summary_rows(&analysis.summary) {
        for (_, text) in &row.spans {
            clean(text, "a log summary row")?;
        }
    }
    let text = mailwiz::cli::output::findings_text(&analysis.findings());
    clean(&text, "log findings")?;
    check(text.len() <= 64 * 1024 + 16 * bytes.len(), || format!("{} bytes of findings", text.len()))
}

/// Text through the peer reader: an address found is one bracketed in the text, and its family
/// is the address's own.
pub fn peer(bytes: &[u8]) -> Result<(), TestCaseError> {
    use mailwiz::logs::peer::{literal, remote_address, remote_family};
    let text = String::from_utf8_lossy(bytes);
    let found = remote_address(&text);
    check(found.map(mailwiz::config::Family::of) == remote_family(&text), || "the family disagrees".into())?;
    let Some(ip) = found else { return Ok(()) };
    let bracketed =
        text.split('[').skip(1).filter_map(|rest| rest.split(']').next()).any(|inner| literal(inner) == Some(ip));
    check(bracketed, || format!("{ip} is not between brackets in {text:?}"))
}

/// A journal file through the report reader and every rendering.
pub fn journal(bytes: &[u8]) -> Result<(), TestCaseError> {
    use mailwiz::session::{export, json_report, markdown};
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(bytes).expect("written");
    let Ok((events, _skipped)) = mailwiz::cli::report::read_journal(file.path()) else { return Ok(()) };
    clean(&export::transcript(&events), "the transcript")?;
    clean(&markdown::markdown(&events), "the Markdown report")?;
    let mut json = mailwiz::session::escape::JsonSafe(Vec::new());
    serde_json::to_writer(&mut json, &json_report::json(&events)).expect("JSON");
    clean(&String::from_utf8(json.0).expect("UTF-8"), "the JSON report")
}

/// A config file: parsed and validated, or refused with a sentence naming the setting; what is
/// accepted gives usable deadlines.
pub fn config(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(text) = std::str::from_utf8(bytes) else { return Ok(()) };
    let Ok(config) = toml::from_str::<mailwiz::config::Config>(text) else { return Ok(()) };
    if let Err(err) = config.validate() {
        clean(&err.to_string(), "a config error")
    } else {
        let ctx = mailwiz::context::Context::new(config.clone());
        let _ = (config.timeout(), config.read_timeout(), config.connect_timeout(), config.blocklist_deadline());
        let _ = (config.queue.command_timeout(), mailwiz::dns::resolver::Limits::from_context(&ctx));
        let _ = mailwiz::queue::Lifetime::from_config(config.queue.lifetime_days).warn_after();
        Ok(())
    }
}

pub const SPF: &[&str] = &[
    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:%{d}/24//64 mx:mail.%{o} -all",
    "v=spf1 include:_spf.%{d2} exists:%{ir}.%{v}._spf.%{d} ptr:%{p} ~all exp=explain.%{d}",
    "v=spf1 redirect=%{l1r-}.%{h}. moo.cow-far_out=man:dog/cat ?all",
    "%{S} from %{C} at %{T} via %{R}: see %{d}%%%_%-",
];

/// Bytes as an SPF record and as explanation text: parsed without panic, errors one clean
/// sentence of bounded length, every macro expanded with hostile values to a bounded string.
pub fn spf_record(bytes: &[u8], hostile: &str) -> Result<(), TestCaseError> {
    use mailwiz::auth::spf_macro::{Context, MacroString, Values};
    use mailwiz::auth::spf_record::{Mechanism, Record};
    let text = String::from_utf8_lossy(bytes);
    let values = Values {
        sender: hostile,
        domain: hostile,
        ip: "2001:db8::1".parse().expect("an address"),
        helo: hostile,
        validated: hostile,
        receiver: "mailwiz",
        timestamp: 0,
    };
    let longest = text.len() * (hostile.len() * 3 + 40) + 64;
    let bounded =
        |out: String| check(out.len() <= longest, || format!("{} bytes from {} of text", out.len(), text.len()));
    let sentence = |why: &str| -> Result<(), TestCaseError> {
        clean(why, "an SPF error")?;
        check(!why.contains('\n') && why.len() <= text.len() * 10 + 200, || {
            format!("an SPF error of {} bytes", why.len())
        })
    };
    match Record::parse(&text) {
        Ok(record) => {
            let mut specs: Vec<&MacroString> = record.redirect.iter().chain(record.exp.iter()).collect();
            for directive in &record.directives {
                match &directive.mechanism {
                    Mechanism::Include(spec) | Mechanism::Exists(spec) => specs.push(spec),
                    Mechanism::A(spec, _) | Mechanism::Mx(spec, _) | Mechanism::Ptr(spec) => specs.extend(spec),
                    Mechanism::All | Mechanism::Ip4(..) | Mechanism::Ip6(..) => {}
                }
            }
            for spec in specs {
                bounded(spec.expand(&values))?;
            }
        }
        Err(why) => sentence(&why)?,
    }
    match MacroString::parse(&text, Context::Explanation) {
        Ok(explanation) => bounded(explanation.expand(&values))?,
        Err(why) => sentence(&why)?,
    }
    Ok(())
}
