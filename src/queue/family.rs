//! Which path the queue's delay reasons name: a reason such as `host mx[2a00:1450::1b] said: …`
//! or `connect to mx[192.0.2.1]:25: …` tells the address family of the peer our MTA last
//! tried, so a domain's stuck messages can be told apart by family.

use crate::config::Family;
use crate::logs::peer;

use hashbrown::HashMap;

use super::group::Group;
use super::store::Entries;

/// Messages of one domain group whose reasons name a peer of one family, with one such reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyShare {
    pub messages: u64,
    /// A reason as the MTA wrote it.
    pub example: Option<String>,
}

/// A domain group's messages by the family of the peer their reasons name: IPv4, then IPv6.
/// A message whose recipients name both counts in both; one naming no address in neither.
pub fn split(entries: &Entries, group: &Group) -> [FamilyShare; 2] {
    let mut out: [FamilyShare; 2] = Default::default();
    // Many recipients share one reason's words: each is read once.
    let mut family_of: HashMap<u32, Option<Family>> = HashMap::new();
    for &index in &group.entries {
        let Some(entry) = entries.get(index as usize) else { continue };
        let mut seen = [false; 2];
        for recipient in entry.pending().filter(|r| r.domain() == group.key) {
            let Some(reason) = recipient.reason() else { continue };
            let family = *family_of.entry(reason.text_id()).or_insert_with(|| peer::remote_family(&reason.text()));
            let Some(family) = family else { continue };
            let slot = usize::from(family == Family::V6);
            if !seen[slot] {
                seen[slot] = true;
                out[slot].messages += entry.messages();
                out[slot].example.get_or_insert_with(|| reason.text().into_owned());
            }
        }
    }
    out
}

/// The family every peer named by `split` is of, when there is exactly one.
pub fn only(split: &[FamilyShare; 2]) -> Option<Family> {
    match (split[0].messages > 0, split[1].messages > 0) {
        (true, false) => Some(Family::V4),
        (false, true) => Some(Family::V6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{Format, parse_reader};

    #[test]
    fn reasons_are_split_by_the_family_of_the_peer() {
        // As `postqueue -p` prints it (the corpus test reads a real listing of this shape).
        let listing = "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
9BBD8401F92      265 Mon Jul 22 14:45:40  root@example.com
(connect to mx.dualstack.example[192.0.2.70]:25: Connection timed out)
                                         a@dualstack.example

E8427401F86      265 Mon Jul 22 14:40:03  root@example.com
(connect to mx.dualstack.example[2001:db8::70]:25: Connection timed out)
                                         b@dualstack.example

-- 1 Kbytes in 2 Requests.
";
        let now = chrono::Utc::now();
        let parsed = parse_reader(listing.as_bytes(), Some(Format::PostfixText), now).unwrap();
        let grouping = crate::queue::group::group(&parsed.entries, now);
        let group = grouping.by_domain.iter().find(|g| g.key == "dualstack.example").unwrap();
        let shares = split(&parsed.entries, group);
        assert_eq!((shares[0].messages, shares[1].messages), (1, 1));
        assert!(shares[1].example.as_deref().unwrap().contains("[2001:db8::70]"));
        assert_eq!(only(&shares), None);
    }
}
