//! Diagnosis: rules that turn findings into ranked likely causes, each with the evidence it rests
//! on and the next actions. It knows findings and their vocabulary (`session`), not the engines
//! that make them; `check` runs those.

mod also_fix;
pub mod note;
pub mod rule;

use crate::config::Family;
use crate::session::{Finding, Session, Severity};
use crate::session::{catalogue, vocabulary};

pub use also_fix::also_fix;
pub use rule::{Condition, Defects, Rule, Stage};

/// One likely cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// `diagnosis.*`.
    pub id: String,
    /// 0 to 1; causes are ranked by it.
    pub score: f64,
    pub summary: String,
    pub explanation: String,
    /// The findings the cause rests on, as `id: summary`.
    pub evidence: Vec<String>,
    /// The ids of those findings.
    pub finding_ids: Vec<String>,
    /// Each of those findings as its id and the address family of the path it is about, so our
    /// IPv4 address's defect is not taken as cited by a cause about our IPv6 address.
    pub cited_paths: Vec<(String, Option<Family>)>,
    pub actions: Vec<String>,
}

impl Cause {
    /// The cause as a finding (`diagnosis.*`, with the catalogue's severity: fail for a cause,
    /// ok for the verdict that mail flows) for the panel, the JSON and the report.
    pub fn to_finding(&self) -> Finding {
        Finding {
            id: self.id.clone(),
            severity: catalogue::entry(&self.id).map_or(Severity::Fail, |e| e.severity),
            summary: self.summary.clone(),
            detail: self.explanation.clone(),
            evidence: self.evidence.clone(),
            fix: self.actions.join(" "),
            args: vec![("score".into(), format!("{:.2}", self.score))],
        }
    }
}

/// What the templates of a cause are filled with besides the findings' own values.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub ip: Option<String>,
    pub helo: Option<String>,
    pub domain: Option<String>,
    /// A name that resolves to our address, to propose for the PTR and HELO.
    pub mail_name: Option<String>,
    /// The address families the receiver's mail exchangers have; empty when not known.
    pub receiver_families: Vec<Family>,
    /// Our addresses; the first of each family is `our_ipv4`, `our_ipv6` in templates.
    pub ours: Vec<std::net::IpAddr>,
}

impl Facts {
    /// The facts a session knows.
    pub fn from_session(session: &Session) -> Facts {
        Facts {
            ip: session.identity.ip.map(|ip| ip.to_string()),
            helo: session.identity.helo.clone(),
            domain: session.target.as_ref().map(|t| t.domain.clone()),
            mail_name: None,
            receiver_families: receiver_families(session.mx.iter().flat_map(|m| m.addresses.iter().copied())),
            ours: session.identity.ip.into_iter().chain(session.identity.ip_candidates.iter().map(|c| c.ip)).collect(),
        }
    }

    /// False for a finding about our address of a family the receiver has no address of: it
    /// never sees that address, so that address's PTR, HELO, SPF or listing neither explains its
    /// refusal nor is to be fixed for it.
    pub fn concerns(&self, finding: &Finding) -> bool {
        if self.receiver_families.is_empty() || !OUR_IDENTITY.contains(&finding.family()) {
            return true;
        }
        let ours = finding.arg("ip").and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
        ours.is_none_or(|ip| self.receiver_families.contains(&Family::of(ip)))
    }
}

/// The families of `addresses` (a receiver's MX addresses), IPv4 first.
pub fn receiver_families(addresses: impl IntoIterator<Item = std::net::IpAddr>) -> Vec<Family> {
    let mut families: Vec<Family> = addresses.into_iter().map(Family::of).collect();
    families.sort_by_key(|f| *f == Family::V6);
    families.dedup();
    families
}

/// The finding families about our own identity (the address the receiver sees).
const OUR_IDENTITY: [&str; 5] = ["ptr", "helo", "spf", "dnsbl", "ip"];

/// The verdict that the receiver accepts us now.
pub const DELIVERABLE: &str = "diagnosis.deliverable";

/// The causes that say one address family is refused while the other is accepted.
pub const ONE_PATH: [&str; 2] = ["diagnosis.ipv6_refused", "diagnosis.ipv4_refused"];

/// A cause that explains no refusal: a receiver refused us and no rule reads why.
pub const UNEXPLAINED: &str = "diagnosis.unexplained_refusal";

/// Evaluates `rules` over `findings` and returns the causes that apply, most likely first; a
/// cause several rules give counts once, with its best score. When the verdict
/// [`DELIVERABLE`] holds it stands alone: what refused us before no longer stops the mail.
/// A refusal no other rule explains gives [`UNEXPLAINED`] with the receiver's words.
/// Findings of the `diagnosis` family itself are ignored.
pub fn diagnose(rules: &[Rule], findings: &[Finding], facts: &Facts) -> Vec<Cause> {
    let findings: Vec<Finding> =
        findings.iter().filter(|f| f.family() != "diagnosis" && facts.concerns(f)).cloned().collect();
    let reached = receiver_reached(&findings);
    let mut causes: Vec<Cause> = rules
        .iter()
        .filter(|rule| reached || rule.seen_from.is_none())
        .filter_map(|rule| apply(rule, &findings, facts))
        .collect();
    causes.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    let mut seen = std::collections::HashSet::new();
    causes.retain(|c| seen.insert(c.id.clone()));
    if let Some(verdict) = causes.iter().position(|c| c.id == DELIVERABLE) {
        // One address family refused: our MTA may take that path, whatever the other accepts.
        if !causes.iter().any(|c| ONE_PATH.contains(&c.id.as_str())) {
            return vec![causes.swap_remove(verdict)];
        }
        causes.remove(verdict);
    }
    // Read refusals leave nothing unexplained.
    if causes.iter().any(|c| c.id != UNEXPLAINED) {
        causes.retain(|c| c.id != UNEXPLAINED);
    }
    causes
}

/// False when the receiver cannot have judged us: its MX could not be looked up, or every
/// connection to it failed before a byte came back. Then no defect of ours is a cause.
fn receiver_reached(findings: &[Finding]) -> bool {
    const NO_LOOKUP: [&str; 8] = [
        "dns.nxdomain",
        "dns.servfail",
        "dns.timeout",
        "dns.refused",
        "dns.outside_demo",
        "dns.unreachable",
        "mx.null",
        "mx.unresolvable",
    ];
    const NO_CONNECTION: [&str; 3] = ["smtp.timeout", "smtp.refused", "smtp.unreachable"];
    if findings.iter().any(|f| NO_LOOKUP.contains(&f.id.as_str()) || f.id == "dns.resolver_silent") {
        return false;
    }
    let outcomes: Vec<&Finding> = findings.iter().filter(|f| vocabulary::is_connection_outcome(&f.id)).collect();
    outcomes.is_empty() || !outcomes.iter().all(|f| NO_CONNECTION.contains(&f.id.as_str()))
}

/// The one-line answer to the question mailwiz asks, for the top of a report. Steps that did
/// not run (`not_checked`) never let it say that nothing was found.
pub fn headline(causes: &[Cause], findings: &[Finding], domain: &str, not_checked: &[String]) -> String {
    if let Some(verdict) = causes.first().filter(|c| c.id == DELIVERABLE) {
        if verdict.summary.contains(vocabulary::POSTMASTER_ONLY) {
            format!(
                "Mail to {domain} should flow now: the receiver accepts postmaster@ (not tried with a real recipient)"
            )
        } else {
            format!("Mail to {domain} should flow now: the receiver accepts us")
        }
    } else if !causes.is_empty() {
        format!("Why mail to {domain} is stuck")
    } else if !not_checked.is_empty() {
        format!("Mail to {domain}: no verdict yet, not checked: {}", not_checked.join(", "))
    } else if findings.iter().any(|f| f.severity == Severity::Fail) {
        format!("Mail to {domain}: no refusal seen, but our own defects are listed to fix")
    } else {
        format!("Nothing found that stops mail to {domain}")
    }
}

/// When the verdict is that mail flows, a failure found on the way (our missing PTR, an MX that
/// refused while another accepted) does not stop mail to `domain` now: it is kept as a warning
/// that says so, and the exit code tells the truth.
pub fn soften_when_deliverable(findings: &mut [Finding], causes: &[Cause], domain: &str) {
    if !causes.iter().any(|c| c.id == DELIVERABLE) {
        return;
    }
    for finding in findings.iter_mut().filter(|f| f.severity == Severity::Fail) {
        finding.severity = Severity::Warn;
        let note = format!(
            "An MX of {domain} accepted our RCPT TO anyway, so this does not stop mail to {domain} now; other receivers may still refuse it."
        );
        finding.detail = if finding.detail.is_empty() { note } else { format!("{} {note}", finding.detail) };
    }
}

/// Convenience: the bundled rules over a session's findings.
pub fn diagnose_session(session: &Session) -> Vec<Cause> {
    diagnose(&rule::bundled(), &session.findings, &Facts::from_session(session))
}

fn apply(rule: &Rule, findings: &[Finding], facts: &Facts) -> Option<Cause> {
    let mut cited: Vec<&Finding> = Vec::new();
    for condition in &rule.all {
        let first = condition.matching(findings).next()?;
        cited.push(first);
    }
    let mut symptoms: Vec<&Finding> = rule.any.iter().flat_map(|c| c.matching(findings)).collect();
    if let Some(seen_from) = rule.seen_from {
        // Our defect explains only a refusal given once the receiver could see it.
        symptoms.retain(|f| names_its_reason(f) || refusal_stage(f) >= seen_from);
    }
    if !rule.any.is_empty() && symptoms.is_empty() {
        return None;
    }
    if rule.none.iter().any(|c| c.matching(findings).next().is_some()) {
        return None;
    }
    if !rule.every_outcome.is_empty() {
        let outcomes: Vec<&Finding> = findings.iter().filter(|f| vocabulary::is_connection_outcome(&f.id)).collect();
        if outcomes.is_empty() || !outcomes.iter().all(|f| rule.every_outcome.contains(&f.id)) {
            return None;
        }
        cited.extend(outcomes);
    }
    let boosts: Vec<&rule::Boost> = rule.boost.iter().filter(|b| b.holds(findings)).collect();
    let boost: f64 = boosts.iter().map(|b| b.add).sum();
    // The explanation of a reply that a rejection finding already quotes adds nothing.
    let explained_elsewhere = |f: &Finding, among: &[&Finding]| {
        f.id == "smtp.reply_explained"
            && among.iter().any(|o| o.id != f.id && o.arg("reply").is_some() && o.arg("reply") == f.arg("reply"))
    };
    let symptoms: Vec<&Finding> = symptoms.iter().copied().filter(|f| !explained_elsewhere(f, &symptoms)).collect();
    let boosted: Vec<&Finding> =
        boosts.iter().filter_map(|b| b.when.iter().find_map(|c| c.matching(findings).next())).collect();
    for finding in symptoms.iter().copied().chain(boosted.iter().copied()) {
        if !cited.iter().any(|c| std::ptr::eq(*c, finding)) && !explained_elsewhere(finding, &cited) {
            cited.push(finding);
        }
    }
    // A rule without symptoms (the verdict) is told by what it requires.
    let symptoms = if symptoms.is_empty() { cited.clone() } else { symptoms };

    // Our defects a boost found: what is wrong with the identity of the path the rule is about.
    let ours: Vec<&Finding> = boosted
        .iter()
        .copied()
        .filter(|f| OUR_IDENTITY.contains(&f.family()) && matches!(f.severity, Severity::Fail | Severity::Warn))
        .collect();
    let args = template_args(&cited, &symptoms, &ours, facts);
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let entry = catalogue::entry(&rule.cause)?;
    Some(Cause {
        id: rule.cause.clone(),
        score: (rule.confidence + boost).min(1.0),
        summary: catalogue::fill(entry.summary, &args),
        explanation: catalogue::fill(&rule.explanation, &args),
        evidence: cited.iter().map(|f| format!("{}: {}", f.id, f.summary)).collect(),
        finding_ids: cited.iter().map(|f| f.id.clone()).collect(),
        cited_paths: cited.iter().map(|f| (f.id.clone(), f.path_family())).collect(),
        actions: rule.actions.iter().map(|a| catalogue::fill(a, &args)).collect(),
    })
}

/// True when the finding carries a reply whose class names the reason: the receiver said it.
fn names_its_reason(finding: &Finding) -> bool {
    finding.arg("class").is_some_and(|c| !["unknown", "other_policy", "receiver_trouble"].contains(&c))
}

/// The stage of the dialogue a refusal came at: the reply's own, else what the finding says;
/// a drop or a refusal of unknown stage counts as the greeting.
fn refusal_stage(finding: &Finding) -> Stage {
    let name = finding.arg("stage").filter(|s| *s != "unknown").unwrap_or(match finding.id.as_str() {
        "smtp.ehlo_rejected" => "ehlo",
        "smtp.mail_rejected" => "mail",
        "smtp.rcpt_rejected" => "rcpt",
        _ => "greeting",
    });
    Stage::named(name).unwrap_or_default()
}

/// Placeholder values: the facts, then the values of the cited findings, then `symptoms`, our
/// defects the rule's boosts found (`path_defects`, `path_fixes`), then words that stand for what
/// is not known.
fn template_args(cited: &[&Finding], symptoms: &[&Finding], ours: &[&Finding], facts: &Facts) -> Vec<(String, String)> {
    fn put(args: &mut Vec<(String, String)>, key: &str, value: &str) {
        if !args.iter().any(|(k, _)| k == key) {
            args.push((key.to_string(), value.to_string()));
        }
    }
    let mut args: Vec<(String, String)> = Vec::new();
    // Our address a cited finding is about, else ours of the family of the path it is about (a
    // refusal over IPv6 is about our IPv6 address), before the one the facts hold.
    let ours_on_path = || {
        let family = cited.iter().find_map(|f| f.path_family())?;
        facts.ours.iter().find(|ip| family.contains(**ip)).map(ToString::to_string)
    };
    if let Some(ip) = cited.iter().find_map(|f| f.arg("ip")).map(str::to_string).or_else(ours_on_path) {
        put(&mut args, "ip", &ip);
    }
    for (key, value) in
        [("ip", &facts.ip), ("helo", &facts.helo), ("domain", &facts.domain), ("mail_name", &facts.mail_name)]
    {
        if let Some(value) = value {
            put(&mut args, key, value);
        }
    }
    for family in [Family::V4, Family::V6] {
        if let Some(ours) = facts.ours.iter().find(|ip| family.contains(**ip)) {
            let key = if family == Family::V4 { "our_ipv4" } else { "our_ipv6" };
            put(&mut args, key, &ours.to_string());
        }
    }
    for finding in cited {
        for (key, value) in &finding.args {
            put(&mut args, key, value);
        }
    }
    // A cause read from the MTA's record names no host: the receiving domain stands for it.
    if let Some(domain) = &facts.domain {
        put(&mut args, "host", domain);
    }
    let mut summaries: Vec<&str> = symptoms.iter().map(|f| f.summary.as_str()).collect();
    summaries.dedup();
    summaries.truncate(3);
    put(&mut args, "symptoms", &summaries.join("; "));
    if !ours.is_empty() {
        let defects: Vec<&str> = ours.iter().map(|f| f.summary.as_str()).collect();
        let fixes: Vec<&str> = ours.iter().map(|f| f.fix.as_str()).filter(|f| !f.is_empty()).collect();
        put(&mut args, "path_defects", &defects.join("; "));
        put(&mut args, "path_fixes", &fixes.join(" "));
    }
    let list = args.iter().find(|(k, _)| k == "zone" || k == "system").map(|(_, v)| v.clone());
    put(&mut args, "list", list.as_deref().unwrap_or("a block list"));
    for (key, unknown) in [
        ("system", "named in the reply"),
        ("delist", "the list's own site"),
        ("at", "an unknown stage"),
        ("ip", "our address"),
        ("helo", "the name in its PTR"),
        ("mail_name", "your mail server's host name"),
        ("domain", "the receiving domain"),
        ("host", "the receiver"),
        ("our_ipv4", "our IPv4 address"),
        ("our_ipv6", "our IPv6 address"),
        ("path_defects", "our lookups found nothing wrong with it (PTR, HELO, SPF, block lists)"),
        ("path_fixes", "ask the receiver's postmaster what it holds against that address, quoting its reply."),
    ] {
        put(&mut args, key, unknown);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::classify::ReplyStage;
    use crate::smtp::explain::Explainer;
    use crate::smtp::reply::Reply;

    fn f(id: &str, args: &[(&str, &str)]) -> Finding {
        Finding::new(id, args)
    }

    /// The finding the probe makes of a reply, with its class.
    fn said(reply: &str, stage: ReplyStage) -> Finding {
        Explainer::global().finding(&Reply::parse(reply), stage).expect("a failure reply")
    }

    fn facts() -> Facts {
        Facts {
            ip: Some("203.0.113.5".into()),
            helo: Some("mail.example.com".into()),
            domain: Some("bank.example".into()),
            mail_name: Some("mail.example.com".into()),
            receiver_families: Vec::new(),
            ours: Vec::new(),
        }
    }

    #[test]
    fn bundled_rules_load() {
        assert!(rule::bundled().len() >= 10);
    }

    #[test]
    fn a_refusal_at_the_greeting_blames_the_ptr_and_the_listing_never_the_helo() {
        let findings = vec![
            f(
                "smtp.banner_4xx",
                &[("host", "mx1.bank.example"), ("addr", "192.0.2.10"), ("reply", "421 4.0.0 Server error")],
            )
            .with_args(said("421 4.0.0 Server error", ReplyStage::Greeting).args.into_iter().skip(3)),
            said("421 4.0.0 Server error", ReplyStage::Greeting),
            f("smtp.closed_before_banner", &[("host", "mx2.bank.example"), ("addr", "192.0.2.11")]),
            f("ptr.missing", &[("ip", "203.0.113.5"), ("helo", "mail.example.com")]),
            f("helo.mismatch", &[("helo", "host1.internal"), ("ip", "203.0.113.5"), ("reason", "no A record")]),
            f(
                "dnsbl.listed",
                &[
                    ("ip", "203.0.113.5"),
                    ("zone", "dnsbl.demo.example"),
                    ("meaning", "spam source"),
                    ("delist", "https://dnsbl.demo.example/remove"),
                ],
            ),
        ];
        let causes = diagnose(&rule::bundled(), &findings, &facts());
        let ids: Vec<&str> = causes.iter().map(|c| c.id.as_str()).collect();
        // Refused at the greeting, before any HELO: the HELO name is no cause, but left to fix.
        assert_eq!(ids, ["diagnosis.missing_ptr", "diagnosis.blocklisted"]);
        let also = also_fix(rule::bundled_defects(), &findings, &causes, &facts());
        assert_eq!(also.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["helo.mismatch"]);
        assert!(also[0].why.contains("stopped us at the greeting") && also[0].why.contains("EHLO"), "{}", also[0].why);
        assert!(causes[0].finding_ids.contains(&"ptr.missing".to_string()));
        assert!(causes[0].finding_ids.contains(&"smtp.banner_4xx".to_string()));
        assert!(causes[0].actions[0].contains("203.0.113.5") && causes[0].actions[0].contains("mail.example.com"));
        assert!(!ids.contains(&"diagnosis.receiver_filter"), "ruled out by ptr.missing");
        let blocklisted = causes.iter().find(|c| c.id == "diagnosis.blocklisted").unwrap();
        assert!(blocklisted.actions[1].contains("https://dnsbl.demo.example/remove"));
    }

    #[test]
    fn a_reply_naming_the_list_puts_the_listing_first() {
        let findings = vec![
            f(
                "smtp.banner_5xx",
                &[
                    ("host", "mx"),
                    ("addr", "192.0.2.10"),
                    ("reply", "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"),
                ],
            ),
            said("554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org", ReplyStage::Greeting),
            f("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]),
            f(
                "dnsbl.listed",
                &[
                    ("ip", "203.0.113.5"),
                    ("zone", "zen.spamhaus.org"),
                    ("meaning", "SBL"),
                    ("delist", "https://check.spamhaus.org/"),
                ],
            ),
        ];
        let causes = diagnose(&rule::bundled(), &findings, &facts());
        assert_eq!(causes[0].id, "diagnosis.blocklisted");
    }

    #[test]
    fn timeouts_everywhere_mean_a_firewall_but_one_answer_does_not() {
        let timeout = f("smtp.timeout", &[("host", "mx"), ("addr", "192.0.2.10"), ("port", "25"), ("timeout", "10 s")]);
        let causes = diagnose(&rule::bundled(), std::slice::from_ref(&timeout), &facts());
        assert_eq!(causes[0].id, "diagnosis.firewall");
        let ok = f("smtp.ok", &[("host", "mx2"), ("addr", "192.0.2.11"), ("banner", "220 hi"), ("ms", "12")]);
        let causes = diagnose(&rule::bundled(), &[timeout, ok], &facts());
        assert!(causes.iter().all(|c| c.id != "diagnosis.firewall"));
    }

    #[test]
    fn our_address_of_a_family_the_receiver_lacks_is_neither_cause_nor_to_fix() {
        let findings = vec![
            f("smtp.closed_before_banner", &[("host", "mx2"), ("addr", "192.0.2.11")]),
            f("ptr.missing", &[("ip", "2001:db8::5"), ("helo", "mail.example.com")]),
            f("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]),
        ];
        let ipv4_only = Facts { receiver_families: vec![Family::V4], ..facts() };
        let causes = diagnose(&rule::bundled(), &findings, &ipv4_only);
        assert!(causes.iter().all(|c| c.id != "diagnosis.missing_ptr"), "{causes:?}");
        assert!(also_fix(rule::bundled_defects(), &findings, &causes, &ipv4_only).is_empty());
        // A receiver with an IPv6 address sees it.
        let dual = Facts { receiver_families: vec![Family::V4, Family::V6], ..facts() };
        let causes = diagnose(&rule::bundled(), &findings, &dual);
        let missing = causes.iter().find(|c| c.id == "diagnosis.missing_ptr").expect("the IPv6 PTR is blamed");
        assert!(missing.summary.contains("2001:db8::5"), "{}", missing.summary);
    }

    #[test]
    fn nothing_wrong_gives_no_cause() {
        let findings = vec![
            f("mx.ok", &[("domain", "good.example"), ("count", "1")]),
            f("smtp.ok", &[("host", "mx"), ("addr", "192.0.2.20"), ("banner", "220 hi"), ("ms", "3")]),
            f("ptr.ok", &[("ip", "203.0.113.5"), ("name", "mail.example.com")]),
            f("helo.ok", &[("helo", "mail.example.com"), ("ip", "203.0.113.5")]),
            f("dnsbl.clean", &[("ip", "203.0.113.5"), ("count", "12")]),
        ];
        assert!(diagnose(&rule::bundled(), &findings, &facts()).is_empty());
    }
}
