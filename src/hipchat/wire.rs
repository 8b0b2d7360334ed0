//! HipChat Connect wire types (HIPCHAT-CONNECT.md §3–§9), shared by the add-on and the sandbox.
//!
//! Field names follow HipChat's JSON exactly; optional fields are skipped when absent so what we
//! send is what HipChat documented, and what we read tolerates every shape HipChat was seen to send.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// HipChat ids (group, room, user) are integers, but some senders quote them; accept both.
pub fn id_from_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("id is not an integer")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("id {s:?} is not an integer"))),
        other => Err(serde::de::Error::custom(format!(
            "id must be a number, got {other}"
        ))),
    }
}

fn opt_id_from_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => id_from_number_or_string(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

// ---------------------------------------------------------------------------------------------
// Installation (§3)

/// The body HipChat POSTs to `installable.callbackUrl` (§3.1), also served by `installable_url`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InstallPayload {
    /// URL of HipChat's capabilities document.
    pub capabilities_url: String,
    /// OAuth client id of this installation (the JWT `iss`).
    pub oauth_id: String,
    /// Shared secret: signs HipChat's JWTs and authenticates our token requests.
    pub oauth_secret: String,
    /// The HipChat group (tenant).
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub group_id: i64,
    /// Present only for room installations.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_id_from_number_or_string"
    )]
    pub room_id: Option<i64>,
}

/// The body HipChat POSTs to `installable.updateCallbackUrl` (§3.2): no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePayload {
    /// URL of HipChat's capabilities document.
    pub capabilities_url: String,
    /// The preserved OAuth client id.
    pub oauth_id: String,
    /// Present only for room installations.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_id_from_number_or_string"
    )]
    pub room_id: Option<i64>,
}

/// HipChat's own capabilities document (§2.5), the parts an add-on reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerCapabilities {
    /// `links.self` must equal the URL the document was fetched from.
    pub links: ServerLinks,
    /// Token endpoint and API base.
    #[serde(default)]
    pub capabilities: ServerCapabilitySet,
    /// Everything else HipChat put there, kept so the sandbox can serve a complete document.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `links` of HipChat's capabilities document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerLinks {
    /// The document's own URL.
    #[serde(rename = "self")]
    pub self_url: String,
    /// REST API base without a trailing slash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Web origin of the HipChat instance (hosts `atlassian-connect/all.js`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// Anything else.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `capabilities` of HipChat's capabilities document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerCapabilitySet {
    /// OAuth2 endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2_provider: Option<OAuth2Provider>,
    /// REST API location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hipchat_api_provider: Option<ApiProvider>,
    /// Anything else.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `capabilities.oauth2Provider`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Provider {
    /// Where add-ons obtain access tokens.
    pub token_url: String,
    /// Authorization endpoint for user grants (unused by add-ons).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
}

/// `capabilities.hipchatApiProvider`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiProvider {
    /// REST API base, with a trailing slash.
    pub url: String,
    /// Scopes the server offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_scopes: Option<Value>,
}

/// A successful answer of the token endpoint (§4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// The group the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// The group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Space-separated granted scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Always `bearer`.
    #[serde(default)]
    pub token_type: String,
}

/// HipChat's error body: `{"error": {"code", "message", "type"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// Inside [`ErrorBody`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// HTTP status code.
    pub code: u16,
    /// Human-readable reason.
    pub message: String,
    /// Status reason phrase, e.g. `Unauthorized`.
    #[serde(rename = "type", default)]
    pub kind: String,
}

// ---------------------------------------------------------------------------------------------
// Webhooks (§6)

/// Every webhook body: `{event, webhook_id, oauth_client_id, item}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookEnvelope<T> {
    /// Event name, e.g. `room_message`.
    pub event: String,
    /// Id of the webhook registration that fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<i64>,
    /// The installation's oauthId (absent for webhooks not owned by an add-on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Format of notifications (`html` or `text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_format: Option<String>,
    /// Card of a notification, when it carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Value>,
    /// Message this one is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `{self}` link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
    /// Guest flag on the sender [unverified: HipChat marks guests' messages `type:
    /// guest_access`; a sender flagged `is_guest` is taken as a guest too].
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<String>,
    /// Archived flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
    /// Opaque version string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `{self, members, participants, webhooks}` links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Value>,
}

// ---------------------------------------------------------------------------------------------
// Notifications (§7.2) and cards (§8)

/// Body of `POST /room/{room}/notification`, also the inline webhook reply (§6.4).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Notification {
    /// 1–10000 characters; the fallback for clients without card support.
    pub message: String,
    /// `html` (HipChat's default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_format: Option<MessageFormat>,
    /// Background colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// Whether clients alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// Label next to the add-on name, ≤ 64 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Id of the message this notification answers, ≤ 36 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_to: Option<String>,
    /// A card shown instead of `message` where supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
}

/// `message_format` of a notification.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    /// HipChat's HTML subset (§7.3).
    Html,
    /// Plain text with @mentions, emoticons and auto-links.
    Text,
}

/// Notification colours HipChat accepts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    /// HipChat's default.
    Yellow,
    /// Success, created, approved.
    Green,
    /// Failure, incident, disapproved.
    Red,
    /// Informational.
    Purple,
    /// Low importance (logins).
    Gray,
    /// Picked by HipChat.
    Random,
}

/// A HipChat Card (§8).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Card {
    /// Card kind.
    pub style: CardStyle,
    /// Size hint for `application` cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<CardFormat>,
    /// Stable id (e.g. the issue key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where clicking the card goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<CardDescription>,
    /// Small icon next to the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// Image (image cards, thumbnails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Thumbnail>,
    /// Label/value pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// One-line HTML summary of what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// Milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    /// Free key/values matched by `card_matches` conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// `style` of a card.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CardStyle {
    /// A file.
    File,
    /// An image.
    Image,
    /// An application object (issue, incident).
    Application,
    /// A link preview.
    Link,
    /// Embedded media.
    Media,
}

/// `format` of a card.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CardFormat {
    /// One or two lines.
    Compact,
    /// Up to about five lines.
    Medium,
}

/// `description` of a card: a bare string or `{value, format}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum CardDescription {
    /// Plain text.
    Plain(String),
    /// Text or HTML with an explicit format.
    Formatted {
        /// The content.
        value: String,
        /// How to read it.
        format: MessageFormat,
    },
}

/// `{url, url@2x}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Icon {
    /// Normal resolution.
    pub url: String,
    /// Double resolution.
    #[serde(rename = "url@2x", default, skip_serializing_if = "Option::is_none")]
    pub url_2x: Option<String>,
}

/// A card thumbnail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Thumbnail {
    /// Normal resolution.
    pub url: String,
    /// Double resolution.
    #[serde(rename = "url@2x", default, skip_serializing_if = "Option::is_none")]
    pub url_2x: Option<String>,
    /// Pixel width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// A card attribute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attribute {
    /// Label shown before the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The value.
    pub value: AttributeValue,
}

impl Attribute {
    /// A labelled plain value, optionally shown as a lozenge.
    pub fn text(label: &str, value: String, style: Option<Lozenge>) -> Attribute {
        Attribute {
            label: Some(label.to_owned()),
            value: AttributeValue {
                label: value,
                url: None,
                style,
                icon: None,
            },
        }
    }
}

/// The value of a card attribute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttributeValue {
    /// Plain text.
    pub label: String,
    /// Makes the value a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Lozenge style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<Lozenge>,
    /// Small icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
}

/// Lozenge styles for card attributes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Lozenge {
    /// Neutral (status category `new`).
    #[serde(rename = "lozenge")]
    Default,
    /// Green (`done`).
    #[serde(rename = "lozenge-success")]
    Success,
    /// Red.
    #[serde(rename = "lozenge-error")]
    Error,
    /// Blue (`indeterminate`).
    #[serde(rename = "lozenge-current")]
    Current,
    /// Complete.
    #[serde(rename = "lozenge-complete")]
    Complete,
    /// Moved.
    #[serde(rename = "lozenge-moved")]
    Moved,
}

/// `activity` of a card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Activity {
    /// One line of HipChat's HTML subset.
    pub html: String,
    /// Optional icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
}

// ---------------------------------------------------------------------------------------------
// Glances (§9)

/// What a glance shows: the `queryUrl` answer and the `content` of a push.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceContent {
    /// `{type: "html", value}`.
    pub label: GlanceLabel,
    /// Optional lozenge or icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<GlanceStatus>,
    /// Drives `glance_matches` conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// `label` of a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceLabel {
    /// Always `html`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Simple inline HTML.
    pub value: String,
}

/// `status` of a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum GlanceStatus {
    /// A coloured lozenge.
    Lozenge {
        /// Text in the lozenge.
        label: String,
        /// `default`, `success`, `error`, `current`, `complete`, `moved` or `new`.
        #[serde(rename = "type")]
        kind: String,
    },
    /// An icon.
    Icon {
        /// Normal resolution.
        url: String,
        /// Double resolution.
        #[serde(rename = "url@2x", default, skip_serializing_if = "Option::is_none")]
        url_2x: Option<String>,
    },
}

/// Body of `POST /addon/ui/room/{room_id}` (§9.3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceUpdate {
    /// One entry per glance key.
    pub glance: Vec<GlanceUpdateEntry>,
}

/// One glance in a [`GlanceUpdate`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceUpdateEntry {
    /// A glance key from the descriptor.
    pub key: String,
    /// What to show.
    pub content: GlanceContent,
}

// ---------------------------------------------------------------------------------------------
// Rooms (§7)

/// Body of `POST /room` (§7.4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateRoom {
    /// 1–50 characters, unique in the group.
    pub name: String,
    /// `public` or `private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<String>,
    /// Room topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Whether guests may join by URL.
    #[serde(default)]
    pub guest_access: bool,
    /// Owner (id, email or @mention); defaults to the token's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default)]
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
    #[serde(default)]
    pub topic: Option<String>,
    /// `public` or `private`.
    #[serde(default)]
    pub privacy: Option<String>,
    /// Archived flag.
    #[serde(default)]
    pub is_archived: bool,
    /// Whether guests may join by URL.
    #[serde(default)]
    pub is_guest_accessible: bool,
    /// The URL guests use to join, when guest access is on.
    #[serde(default)]
    pub guest_access_url: Option<String>,
    /// The room owner.
    #[serde(default)]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The `room_message` captured from real HipChat (§6.2) must decode.
    #[test]
    fn captured_room_message_decodes() {
        let raw = r#"{"event":"room_message","webhook_id":17775373,
          "oauth_client_id":"f3a628d0-be81-461a-b025-41604d982310",
          "item":{"message":{"id":"f74a26c3-f54e-499d-b3b6-28fc28c932bb",
             "date":"2017-05-20T13:56:46.750428+00:00","type":"message",
             "message":"/hey @MarkHopkins testing",
             "from":{"id":4979430,"mention_name":"MarkHopkins","name":"Mark Hopkins","version":"FPUR1NDI",
                     "links":{"self":"https://api.hipchat.com/v2/user/4979430"}},
             "mentions":[{"id":4979430,"mention_name":"MarkHopkins","name":"Mark Hopkins","version":"FPUR1NDI",
                     "links":{"self":"https://api.hipchat.com/v2/user/4979430"}}]},
           "room":{"id":3856578,"name":"MarkTesting","privacy":"private","is_archived":false,"version":"UDY9AI3A",
             "links":{"self":"https://api.hipchat.com/v2/room/3856578"}}}}"#;
        let env: WebhookEnvelope<RoomMessageItem> = serde_json::from_str(raw).unwrap();
        assert_eq!(env.item.room.id, 3_856_578);
        assert_eq!(env.item.message.message, "/hey @MarkHopkins testing");
        let Sender::User(user) = &env.item.message.from else {
            panic!("sender should be a user")
        };
        assert_eq!(user.id, 4_979_430);
        // Round trip keeps the fields HipChat sent.
        let again: WebhookEnvelope<RoomMessageItem> =
            serde_json::from_value(serde_json::to_value(&env).unwrap()).unwrap();
        assert_eq!(again.item.message.mentions.len(), 1);
    }

    #[test]
    fn sender_may_be_a_label_and_ids_may_be_strings() {
        let m: Message = serde_json::from_str(
            r#"{"id":"x","message":"hi","from":"JIRA","type":"notification"}"#,
        )
        .unwrap();
        assert_eq!(m.from, Sender::Label("JIRA".into()));
        let r: Room = serde_json::from_str(r#"{"id":"42","name":"Ops"}"#).unwrap();
        assert_eq!(r.id, 42);
        assert!(serde_json::from_str::<Room>(r#"{"id":"4x2"}"#).is_err());
    }

    #[test]
    fn glance_status_has_the_documented_shape() {
        let s = GlanceStatus::Lozenge {
            label: "2 open".into(),
            kind: "error".into(),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"type":"lozenge","value":{"label":"2 open","type":"error"}})
        );
    }
}
