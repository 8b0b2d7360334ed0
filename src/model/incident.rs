//! Incidents, numbered per installation (INC-1, INC-2, …), and who did what to them.

use serde::{Deserialize, Serialize};

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Nobody has acknowledged it.
    Open,
    /// Somebody is on it.
    Acknowledged,
    /// Over.
    Resolved,
}

/// Who did something, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Display name.
    pub by: String,
    /// HipChat user id, when a person did it.
    pub by_id: Option<i64>,
    /// Unix seconds.
    pub at: i64,
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Per-installation number.
    pub number: u64,
    /// Room it belongs to.
    pub room_id: i64,
    /// Title.
    pub title: String,
    /// State.
    pub state: IncidentState,
    /// Opened by.
    pub opened: Stamp,
    /// Acknowledged by.
    pub acknowledged: Option<Stamp>,
    /// Resolved by.
    pub resolved: Option<Stamp>,
    /// The dynaBOARD issue it came from, if any.
    pub issue: Option<String>,
}

impl Incident {
    /// `INC-n`.
    pub fn name(&self) -> String {
        format!("INC-{}", self.number)
    }
}
