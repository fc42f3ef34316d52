//! What the diagnosis leaves besides its causes: our defects the receiver has not judged yet
//! ("also fix") and the steps that did not run ("not checked"). Journaled as one event, so every
//! report of a session shows them.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Event, EventKind, Severity};

/// One defect of ours that no cause cites, and why it will still matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsoFix {
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    /// Why it will matter, given how far the receiver let us get.
    pub why: String,
    pub fix: String,
}

/// The event that records `also_fix` and `not_checked` (the steps not run) with the diagnosis.
pub fn event(also_fix: &[AlsoFix], not_checked: &[String]) -> Event {
    let text = format!("also fix: {}; not checked: {}", also_fix.len(), not_checked.len());
    Event::new(EventKind::Info, text).with_data(json!({ "also_fix": also_fix, "not_checked": not_checked }))
}

/// The last such event's lists in `events`: (also fix, not checked).
pub fn from_events(events: &[Event]) -> Option<(Vec<AlsoFix>, Vec<String>)> {
    events.iter().rev().find_map(of_event)
}

/// The lists of `event` when it is such an event: (also fix, not checked).
pub fn of_event(event: &Event) -> Option<(Vec<AlsoFix>, Vec<String>)> {
    if event.kind != EventKind::Info || event.data.get("also_fix").is_none() {
        return None;
    }
    let also_fix = serde_json::from_value(event.data["also_fix"].clone()).unwrap_or_default();
    let not_checked = serde_json::from_value(event.data["not_checked"].clone()).unwrap_or_default();
    Some((also_fix, not_checked))
}
