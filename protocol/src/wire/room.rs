//! Rooms, users and history (§7): the REST bodies and answers the add-on reads and sends.

use super::ids::id_from_number_or_string;
use super::webhook::User;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Body of `POST /room` (§7.4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateRoom {
    /// 1–50 characters, unique in the group.
    pub name: String,
    /// `public` or `private`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<String>,
    /// Room topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Whether guests may join by URL.
    #[serde(default)]
    pub guest_access: bool,
    /// Owner (id, email or @mention); defaults to the token's user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_user_id: Option<Value>,
}

/// Answer of `POST /room`: `{id, links: {self}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedRoom {
    /// The new room's id.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub id: i64,
    /// `{self}`.
    #[serde(default)]
    pub links: Value,
}

/// One room in the answer of `GET /room` (list rooms), the fields the add-on reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoomSummary {
    /// Room id.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub id: i64,
    /// Room name.
    pub name: String,
    /// `public` or `private`.
    pub privacy: Option<String>,
    /// Archived flag.
    #[serde(default)]
    pub is_archived: bool,
}

/// Answer of `GET /room`: one page, `{items, startIndex, maxResults, links: {self, prev?, next?}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomPage {
    /// The rooms of this page.
    pub items: Vec<RoomSummary>,
    /// Index of the first item.
    #[serde(rename = "startIndex", default)]
    pub start_index: u32,
    /// Most items a page holds.
    #[serde(rename = "maxResults", default)]
    pub max_results: u32,
    /// `{self, prev?, next?}`: `next` only when more rooms follow.
    #[serde(default)]
    pub links: Value,
}

impl RoomPage {
    /// Whether HipChat says another page follows.
    pub fn has_next(&self) -> bool {
        self.links.get("next").is_some_and(|n| n.is_string())
    }
}

/// Answer of `GET /room/{room}`, the fields the add-on reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoomDetails {
    /// Room id.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub id: i64,
    /// Room name.
    pub name: String,
    /// Topic.
    pub topic: Option<String>,
    /// `public` or `private`.
    pub privacy: Option<String>,
    /// Archived flag.
    #[serde(default)]
    pub is_archived: bool,
    /// Whether guests may join by URL.
    #[serde(default)]
    pub is_guest_accessible: bool,
    /// The URL guests use to join, when guest access is on.
    pub guest_access_url: Option<String>,
    /// The room owner.
    pub owner: Option<User>,
    /// `{self, …}`.
    #[serde(default)]
    pub links: Value,
}

/// Answer of `GET /user/{user}`, the fields the add-on reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserDetails {
    /// User id.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub id: i64,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Group admin flag.
    #[serde(default)]
    pub is_group_admin: bool,
}

/// One message of `GET /room/{room}/history/latest`, the fields the add-on reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryItem {
    /// Message id.
    pub id: String,
    /// RFC 3339 time.
    pub date: String,
    /// Text (or HTML of notifications).
    pub message: String,
    /// `message`, `notification`, …
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// A page of history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryPage {
    /// Oldest first.
    pub items: Vec<HistoryItem>,
}

/// Body of `PUT /room/{room}`: HipChat requires every field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpdateRoom {
    /// Name.
    pub name: String,
    /// `public` or `private`.
    pub privacy: String,
    /// Archived flag.
    pub is_archived: bool,
    /// Guest access.
    pub is_guest_accessible: bool,
    /// Topic.
    pub topic: String,
    /// `{id}` of the owner.
    pub owner: Value,
}

/// Body of `PUT /room/{room}/topic`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetTopic {
    /// The new topic.
    pub topic: String,
}
