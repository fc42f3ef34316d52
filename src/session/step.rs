//! The seven steps, in the order an admin works, as one list: each step's id, its names, the key
//! that goes to it, the finding families it reports and the command that runs its automatic part
//! headless. The wizard, the TUI's keys, the catalogue's grouping and `check` all read it.

use strum::{EnumCount, VariantArray};

use super::vocabulary::variant_array;

/// A step of the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumCount, VariantArray)]
pub enum StepId {
    Queue,
    Mx,
    Logs,
    Smtp,
    Identity,
    Blocklists,
    Diagnosis,
}

/// What the list says of one step.
#[derive(Debug)]
pub struct StepInfo {
    pub id: StepId,
    /// The name in reports, `not_checked` and the catalogue's grouping.
    pub title: &'static str,
    /// The name in the wizard's step list and pane titles, which fits its 15 columns.
    pub label: &'static str,
    /// The key that goes to the step in the wizard.
    pub key: char,
    /// The first part of the ids of the findings the step reports (`ptr` for `ptr.missing`).
    pub families: &'static [&'static str],
    /// The `mailwiz` command that runs the step's automatic part headless.
    pub command: &'static str,
}

/// Every step, in order.
pub const STEPS: [StepInfo; StepId::COUNT] = [
    StepInfo {
        id: StepId::Queue,
        title: "Queue",
        label: "Queue",
        key: '1',
        families: &["queue", "bounce"],
        command: "queue",
    },
    StepInfo { id: StepId::Mx, title: "MX", label: "MX", key: '2', families: &["mx", "dns"], command: "mx" },
    StepInfo { id: StepId::Logs, title: "Logs", label: "Logs", key: '3', families: &["log"], command: "logs" },
    StepInfo { id: StepId::Smtp, title: "SMTP", label: "SMTP", key: '4', families: &["smtp"], command: "smtp" },
    StepInfo {
        id: StepId::Identity,
        title: "Identity",
        label: "Identity",
        key: '5',
        families: &["ip", "ptr", "helo", "spf", "dmarc", "dkim", "mta_sts", "tls_rpt", "dane"],
        command: "auth",
    },
    StepInfo {
        id: StepId::Blocklists,
        title: "Block lists",
        label: "Blocklists",
        key: '6',
        families: &["dnsbl"],
        command: "blocklist",
    },
    StepInfo {
        id: StepId::Diagnosis,
        title: "Diagnosis",
        label: "Diagnosis",
        key: '7',
        families: &["diagnosis"],
        command: "check",
    },
];

impl StepId {
    /// All steps in order.
    pub const ALL: [StepId; StepId::COUNT] = variant_array!(StepId);

    /// The steps that look at something; the diagnosis reads what they found.
    pub fn looking() -> impl Iterator<Item = StepId> {
        StepId::ALL.into_iter().filter(|step| *step != StepId::Diagnosis)
    }

    /// Its entry in [`STEPS`].
    pub fn info(self) -> &'static StepInfo {
        &STEPS[self.index()]
    }

    /// Position in [`StepId::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The step after this one, wrapping around.
    pub fn next(self) -> StepId {
        StepId::ALL[(self.index() + 1) % StepId::ALL.len()]
    }

    /// The step before this one, wrapping around.
    pub fn prev(self) -> StepId {
        StepId::ALL[(self.index() + StepId::ALL.len() - 1) % StepId::ALL.len()]
    }

    /// The name in reports (see [`StepInfo::title`]).
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// The name in the wizard (see [`StepInfo::label`]).
    pub fn label(self) -> &'static str {
        self.info().label
    }

    /// The step whose key is `key`.
    pub fn from_key(key: char) -> Option<StepId> {
        STEPS.iter().find(|info| info.key == key).map(|info| info.id)
    }

    /// The step that reports findings of `id`'s family, or `None` (notes).
    pub fn of_finding(id: &str) -> Option<StepId> {
        let family = id.split('.').next().unwrap_or(id);
        STEPS.iter().find(|info| info.families.contains(&family)).map(|info| info.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_in_order_with_one_key_and_one_family_each() {
        for (index, (step, info)) in StepId::ALL.into_iter().zip(&STEPS).enumerate() {
            assert_eq!(info.id, step);
            assert_eq!(step.index(), index);
            assert_eq!(StepId::from_key(info.key), Some(step));
        }
        let families: Vec<&str> = STEPS.iter().flat_map(|info| info.families.iter().copied()).collect();
        let mut unique = families.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), families.len(), "a family belongs to one step: {families:?}");
    }

    #[test]
    fn every_catalogued_finding_belongs_to_a_step() {
        for entry in super::super::catalogue::CATALOGUE {
            assert!(StepId::of_finding(entry.id).is_some(), "{} belongs to no step", entry.id);
        }
        assert_eq!(StepId::of_finding("dnsbl.listed"), Some(StepId::Blocklists));
        assert_eq!(StepId::of_finding("note"), None);
    }
}
