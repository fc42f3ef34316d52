//! Acting on the queue: retry (deliver now), hold, release and delete, with each MTA's own
//! commands. A [`Plan`] lists the exact command lines before anything runs; [`run::run`]
//! executes them one by one as argv (never through a shell) under a timeout. Exchange commands
//! are PowerShell lines for the admin to run; mailwiz never runs them.

pub mod exchange;
pub mod exim;
pub mod id;
pub mod postfix;
pub mod run;
pub mod sendmail;

use serde::Serialize;

use super::entry::QueueName;
use super::source::{LoadRequest, SourceError};
use super::store::{Entries, EntryRef};
use crate::context::Context;
use crate::mta_command;
use crate::session::escape::escape_str;

pub use id::BadId;
pub use run::{Done, NotDone, RunReport, execute, run};

/// What to do to the selected messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueOp {
    /// Deliver now.
    Retry,
    /// Put aside: no delivery until released.
    Hold,
    /// Undo a hold.
    Release,
    /// Remove from the queue for good.
    Delete,
}

impl QueueOp {
    /// The word used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            QueueOp::Retry => "retry",
            QueueOp::Hold => "hold",
            QueueOp::Release => "release",
            QueueOp::Delete => "delete",
        }
    }
}

/// The MTA whose commands act on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mta {
    Postfix,
    Exim,
    Sendmail,
    Exchange,
}

impl Mta {
    /// The MTA's name in sentences.
    pub fn name(self) -> &'static str {
        match self {
            Mta::Postfix => "Postfix",
            Mta::Exim => "Exim",
            Mta::Sendmail => "Sendmail",
            Mta::Exchange => "Exchange",
        }
    }

    /// The MTA installed here, told by its programs: `postqueue` (Postfix), `exim`/`exim4`,
    /// else `sendmail` (Sendmail).
    pub fn local() -> Option<Mta> {
        if mta_command::find("postqueue").is_some() {
            Some(Mta::Postfix)
        } else if mta_command::find("exim").is_some() || mta_command::find("exim4").is_some() {
            Some(Mta::Exim)
        } else if mta_command::find("sendmail").is_some() {
            Some(Mta::Sendmail)
        } else {
            None
        }
    }
}

/// Which messages: those to one domain, or some queue ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Domain(String),
    Ids(Vec<String>),
}

/// One command line of a plan and the queue ids it acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueCommand {
    /// Program and arguments, run as they are (no shell).
    pub argv: Vec<String>,
    pub ids: Vec<String>,
    /// True for lines the admin runs elsewhere (Exchange PowerShell); mailwiz never runs them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub print_only: bool,
}

impl QueueCommand {
    fn new(argv: &[&str], ids: &[&str]) -> QueueCommand {
        QueueCommand {
            argv: argv.iter().map(ToString::to_string).collect(),
            ids: ids.iter().map(ToString::to_string).collect(),
            print_only: false,
        }
    }

    /// The command as shown before it runs, arguments escaped.
    pub fn line(&self) -> String {
        self.argv.iter().map(|a| escape_str(a)).collect::<Vec<_>>().join(" ")
    }
}

/// What will be done: the command lines, and what cannot be done and why, decided before
/// anything runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub action: QueueOp,
    pub mta: Mta,
    pub commands: Vec<QueueCommand>,
    pub not_done: Vec<NotDone>,
    /// How many messages the commands touch (Exim's `-R` and Sendmail's `-qR`: those the listing
    /// shows for the domain).
    pub messages: usize,
}

impl Plan {
    /// The command (the first, and how many more) and the message count:
    /// `postqueue -i B9E43CC097 for 1 message(s)`.
    pub fn what(&self) -> String {
        let command = match self.commands.as_slice() {
            [] => "nothing".to_string(),
            [one] => one.line(),
            [first, rest @ ..] => format!("{} and {} more like it", first.line(), rest.len()),
        };
        format!("{command} for {} message(s)", self.messages)
    }

    /// The confirmation question: `Retry: run postqueue -i B9E43CC097 for 1 message(s)?`.
    pub fn question(&self) -> String {
        format!("{}: run {}?", capital(self.action.as_str()), self.what())
    }
}

fn capital(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Plans `action` on `selection` for `mta`. `entries` is the parsed queue: a domain is turned
/// into the ids of its messages from it, and ids are checked against it when it is given. An
/// id named more than once is acted on once.
/// Ids that do not fit the MTA's syntax are refused here, before any command line is built.
pub fn plan(mta: Mta, action: QueueOp, selection: &Selection, entries: Option<&Entries>) -> Plan {
    let mut not_done = Vec::new();
    let (ids, domain) = match selection {
        Selection::Domain(domain) => {
            let ids = entries
                .into_iter()
                .flat_map(Entries::iter)
                .filter(|e| e.pending().any(|r| r.domain().eq_ignore_ascii_case(domain)))
                .map(|e| (e.id().to_string(), Some(e.queue())));
            (ids.collect::<Vec<_>>(), Some(domain.as_str()))
        }
        Selection::Ids(ids) => {
            let queue_of = |id: &str| entries.and_then(|es| es.iter().find(|e| e.id() == id)).map(EntryRef::queue);
            (ids.iter().map(|id| (id.clone(), queue_of(id))).collect(), None)
        }
    };
    // The same id named twice is acted on once.
    let mut seen = std::collections::HashSet::new();
    let ids: Vec<(String, Option<QueueName>)> = ids.into_iter().filter(|(id, _)| seen.insert(id.clone())).collect();
    let mut checked = Vec::new();
    for (id, queue) in ids {
        match id::check(mta, &id) {
            Err(err) => not_done.push(NotDone { id: escape_str(&id), reason: err.to_string() }),
            Ok(id) => match skip_reason(action, queue, entries.is_some()) {
                Some(reason) => not_done.push(NotDone { id, reason: reason.into() }),
                None => checked.push(id),
            },
        }
    }
    let ids: Vec<&str> = checked.iter().map(String::as_str).collect();
    let commands = match mta {
        Mta::Postfix => postfix::commands(action, &ids),
        Mta::Exim => exim::commands(action, domain, &ids),
        Mta::Sendmail => sendmail::commands(action, domain, &ids, &mut not_done),
        Mta::Exchange => exchange::commands(action, domain, &ids),
    };
    Plan { action, mta, commands, not_done, messages: checked.len() }
}

/// Reads the queue listing `request` names (the local MTA's, or a file) and plans `action` on
/// `selection` from it, with the commands of the listing's MTA (an Exim listing gets Exim's
/// commands, whatever is installed here). Exchange (`--format exchange` without a file) needs
/// no listing to plan.
pub async fn prepare(
    ctx: &Context,
    action: QueueOp,
    selection: &Selection,
    request: &LoadRequest,
) -> Result<Plan, SourceError> {
    let now = chrono::Utc::now();
    let loaded = match (request.format, &request.file) {
        (Some(super::Format::Exchange), None) if ctx.config.queue.file.is_none() => None,
        _ => Some(super::source::load(ctx, request, now).await?),
    };
    let mta = loaded.as_ref().map_or(Mta::Exchange, |l| l.parsed.format.spec().mta);
    let entries = loaded.as_ref().map(|l| &l.parsed.entries);
    let mut plan = plan(mta, action, selection, entries);
    if let (Selection::Domain(domain), true) = (selection, plan.commands.is_empty() && plan.not_done.is_empty()) {
        plan.not_done.push(NotDone { id: domain.clone(), reason: format!("no message to {domain} is in the queue") });
    }
    Ok(plan)
}

/// Why a message is left alone, from the queue it sits in (when the listing is known).
fn skip_reason(action: QueueOp, queue: Option<QueueName>, listed: bool) -> Option<&'static str> {
    match (action, queue) {
        (_, None) if listed => Some("not in the queue (already delivered, deleted or bounced?)"),
        (QueueOp::Retry, Some(QueueName::Hold | QueueName::Frozen)) => Some("on hold: release it first, then retry"),
        (QueueOp::Retry, Some(QueueName::Active)) => Some("being delivered right now"),
        (QueueOp::Release, Some(q)) if !matches!(q, QueueName::Hold | QueueName::Frozen) => Some("not on hold"),
        (QueueOp::Hold, Some(QueueName::Hold | QueueName::Frozen)) => Some("already on hold"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::queue::{QueueEntry, Recipient};

    fn entry(id: &str, queue: QueueName, domain: &str) -> QueueEntry {
        QueueEntry {
            id: id.into(),
            queue,
            arrival: None,
            size: None,
            sender: "a@b.example".into(),
            recipients: vec![Recipient {
                address: format!("u@{domain}"),
                domain: Arc::from(domain),
                reason: None,
                delivered: false,
            }],
            messages: 1,
        }
    }

    fn lines(plan: &Plan) -> Vec<String> {
        plan.commands.iter().map(QueueCommand::line).collect()
    }

    #[test]
    fn a_domain_becomes_its_messages_and_held_ones_are_said_not_retried() {
        let queue: Entries = [
            entry("AAAA11111", QueueName::Deferred, "bank.example"),
            entry("BBBB22222", QueueName::Hold, "bank.example"),
            entry("CCCC33333", QueueName::Deferred, "other.example"),
        ]
        .into_iter()
        .collect();
        let domain = Selection::Domain("bank.example".into());
        let plan = plan(Mta::Postfix, QueueOp::Retry, &domain, Some(&queue));
        assert_eq!(lines(&plan), ["postqueue -i AAAA11111"]);
        assert_eq!(plan.not_done[0].id, "BBBB22222");
        assert!(plan.not_done[0].reason.contains("on hold"));
        assert_eq!(plan.question(), "Retry: run postqueue -i AAAA11111 for 1 message(s)?");
        let exim_queue: Entries =
            [entry("1raAO5-0091Cv-IH", QueueName::Deferred, "bank.example")].into_iter().collect();
        let exim = super::plan(Mta::Exim, QueueOp::Retry, &domain, Some(&exim_queue));
        assert_eq!(lines(&exim), ["exim -R bank.example"]);
        assert_eq!(exim.messages, 1);
        let sendmail = super::plan(Mta::Sendmail, QueueOp::Retry, &domain, Some(&queue));
        assert_eq!(lines(&sendmail), ["sendmail -qR@bank.example"]);
        let exchange = super::plan(Mta::Exchange, QueueOp::Retry, &domain, None);
        assert_eq!(
            lines(&exchange),
            ["Get-Queue | Where-Object { $_.NextHopDomain -eq 'bank.example' } | Retry-Queue"]
        );
        assert!(exchange.commands[0].print_only);
    }

    #[test]
    fn each_action_uses_the_mtas_own_command_and_bad_ids_never_reach_one() {
        let ids = Selection::Ids(vec!["B9E43CC097".into(), "-d".into(), "ALL".into()]);
        let hold = plan(Mta::Postfix, QueueOp::Hold, &ids, None);
        assert_eq!(lines(&hold), ["postsuper -h B9E43CC097"]);
        assert_eq!(hold.not_done.len(), 2);
        assert!(hold.not_done[0].reason.contains("is not a Postfix queue id"));
        let one = Selection::Ids(vec!["B9E43CC097".into()]);
        assert_eq!(lines(&plan(Mta::Postfix, QueueOp::Release, &one, None)), ["postsuper -H B9E43CC097"]);
        assert_eq!(lines(&plan(Mta::Postfix, QueueOp::Delete, &one, None)), ["postsuper -d B9E43CC097"]);
        let exim = Selection::Ids(vec!["1raAO5-0091Cv-IH".into()]);
        assert_eq!(lines(&plan(Mta::Exim, QueueOp::Retry, &exim, None)), ["exim -M 1raAO5-0091Cv-IH"]);
        assert_eq!(lines(&plan(Mta::Exim, QueueOp::Hold, &exim, None)), ["exim -Mf 1raAO5-0091Cv-IH"]);
        assert_eq!(lines(&plan(Mta::Exim, QueueOp::Release, &exim, None)), ["exim -Mt 1raAO5-0091Cv-IH"]);
        assert_eq!(lines(&plan(Mta::Exim, QueueOp::Delete, &exim, None)), ["exim -Mrm 1raAO5-0091Cv-IH"]);
        let sm = Selection::Ids(vec!["t9P1AbcD012345".into()]);
        assert_eq!(lines(&plan(Mta::Sendmail, QueueOp::Retry, &sm, None)), ["sendmail -qIt9P1AbcD012345"]);
        let deleted = plan(Mta::Sendmail, QueueOp::Delete, &sm, None);
        assert!(deleted.commands.is_empty());
        assert!(deleted.not_done[0].reason.contains("no command"));
        let ex = Selection::Ids(vec![r"EX01\1234\5678".into()]);
        assert_eq!(
            lines(&plan(Mta::Exchange, QueueOp::Delete, &ex, None)),
            [r"Remove-Message -Identity 'EX01\1234\5678' -WithNDR $false -Confirm:$false"]
        );
        assert_eq!(
            lines(&plan(Mta::Exchange, QueueOp::Hold, &ex, None)),
            [r"Suspend-Message -Identity 'EX01\1234\5678' -Confirm:$false"]
        );
        assert_eq!(
            lines(&plan(Mta::Exchange, QueueOp::Release, &ex, None)),
            [r"Resume-Message -Identity 'EX01\1234\5678'"]
        );
        assert_eq!(lines(&plan(Mta::Exchange, QueueOp::Retry, &ex, None)), [r"Retry-Queue -Identity 'EX01\1234'"]);
    }
}
