//! Webhooks (§6): the envelope of every webhook, and the messages, users and rooms inside.

use super::ids::id_from_number_or_string;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every webhook body: `{event, webhook_id, oauth_client_id, item}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookEnvelope<T> {
    /// Event name, e.g. `room_message`.
    pub event: String,
    /// Id of the webhook registration that fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<i64>,
    /// The installation's oauthId (absent for webhooks not owned by an add-on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
    /// The event payload.
    pub item: T,
}

/// `item` of a `room_message` webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoomMessageItem {
    /// The message that matched.
    pub message: Message,
    /// The room it was posted in.
    pub room: Room,
}

/// A chat message as HipChat describes it in webhooks and history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Unique message id (a UUID).
    pub id: String,
    /// RFC 3339 time of posting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `message`, `guest_access`, `topic` or `notification`.
    #[serde(rename = "type", default = "default_message_type")]
    pub kind: String,
    /// The text.
    pub message: String,
    /// The sender: a user, or a bare label for non-user senders.
    pub from: Sender,
    /// Users @mentioned in the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<User>,
    /// Colour of notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Format of notifications (`html` or `text`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_format: Option<String>,
    /// Card of a notification, when it carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Value>,
    /// Message this one is attached to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_to: Option<String>,
}

fn default_message_type() -> String {
    "message".to_owned()
}

/// A message sender: a user object, or a plain label string (integrations, §6.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Sender {
    /// A HipChat user.
    User(User),
    /// A non-user sender such as an integration.
    Label(String),
}

/// A HipChat user as embedded in payloads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// User id.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub id: i64,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// @mention name without the `@`.
    #[serde(default)]
    pub mention_name: String,
    /// Opaque version string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `{self}` link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
    /// Guest flag on the sender [unverified: HipChat marks guests' messages `type:
    /// guest_access`; a sender flagged `is_guest` is taken as a guest too].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_guest: Option<bool>,
}

/// A room as embedded in payloads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Room {
    /// Room id.
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub id: i64,
    /// Room name.
    #[serde(default)]
    pub name: String,
    /// `public` or `private`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy: Option<String>,
    /// Archived flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
    /// Opaque version string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `{self, members, participants, webhooks}` links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
}
