//! The sandbox's world: one group, its users and rooms, message history, OAuth clients of
//! installed add-ons, issued tokens and glance state. Held in memory behind one mutex.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::pattern::JavaPattern;
use hipboard_protocol::wire::GlanceContent;

/// A HipChat user of the sandbox group.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxUser {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// @mention name.
    pub mention_name: String,
    /// Email.
    pub email: String,
    /// Group admin flag.
    pub is_group_admin: bool,
    /// IANA time zone.
    pub timezone: String,
}

/// A room.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxRoom {
    /// Room id.
    pub id: i64,
    /// Name, unique in the group, ≤ 50 characters.
    pub name: String,
    /// Topic.
    pub topic: String,
    /// `public` or `private`.
    pub privacy: String,
    /// Owner's user id.
    pub owner_id: i64,
    /// Guest access on.
    pub guest_access: bool,
    /// Token of the guest URL, stable while guest access stays on.
    pub guest_token: Option<String>,
    /// Archived flag.
    pub archived: bool,
    /// Unix seconds.
    pub created: i64,
}

/// Who posted a history item.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    /// A group user.
    User {
        /// User id.
        id: i64,
    },
    /// A guest (joined by guest URL).
    Guest {
        /// The name they typed.
        name: String,
    },
    /// An add-on (notification).
    Addon {
        /// The installation.
        oauth_id: String,
        /// The sender label (fromName and `from`).
        label: String,
    },
}

/// One item of a room's history, as HipChat keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    /// Message id (a UUID).
    pub id: String,
    /// Room.
    pub room_id: i64,
    /// RFC 3339 date.
    pub date: String,
    /// `message`, `notification` or `guest_access`.
    pub kind: String,
    /// Sender.
    pub author: Author,
    /// The text (or HTML for html notifications).
    pub message: String,
    /// `html` or `text`.
    pub message_format: String,
    /// Notification colour.
    pub color: Option<String>,
    /// Notification alert flag.
    pub notify: bool,
    /// Card JSON, as received.
    pub card: Option<Value>,
    /// Message this one is attached to.
    pub attach_to: Option<String>,
    /// Whether it was the inline answer to a webhook rather than a REST call.
    pub inline_reply: bool,
}

/// An installed add-on, i.e. one OAuth client.
#[derive(Debug, Clone)]
pub struct Client {
    /// oauthId.
    pub oauth_id: String,
    /// oauthSecret.
    pub secret: String,
    /// Where its descriptor was read.
    pub descriptor_url: String,
    /// The descriptor as read at installation, its URLs resolved.
    pub descriptor: Value,
    /// The compiled pattern of each declared webhook, by index (compiled once, at install).
    pub patterns: Vec<Option<JavaPattern>>,
    /// Room of a room installation.
    pub room_id: Option<i64>,
    /// Revoked clients are refused tokens.
    pub revoked: bool,
    /// `webhook_id` of each declared webhook, by index: unique in the sandbox (§6.2).
    pub webhook_ids: Vec<i64>,
}

impl Client {
    /// The scopes its descriptor requests.
    pub fn scopes(&self) -> Vec<String> {
        self.descriptor["capabilities"]["hipchatApiConsumer"]["scopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Label of its notifications: `hipchatApiConsumer.fromName`, else the add-on name.
    pub fn from_name(&self) -> String {
        self.descriptor["capabilities"]["hipchatApiConsumer"]["fromName"]
            .as_str()
            .or(self.descriptor["name"].as_str())
            .unwrap_or("Add-on")
            .to_owned()
    }

    /// Whether the installation covers a room.
    pub fn covers(&self, room_id: i64) -> bool {
        !self.revoked && self.room_id.is_none_or(|r| r == room_id)
    }

    /// Whether webhook `index` hears `text`: HipChat searched with the pattern (§6.3); no pattern
    /// means every message.
    pub fn pattern_matches(&self, index: usize, text: &str) -> bool {
        match self.patterns.get(index) {
            Some(Some(pattern)) => pattern.find(text),
            _ => true,
        }
    }

    /// A module list of the descriptor (`glance`, `webhook`, …).
    pub fn modules(&self, capability: &str) -> Vec<Value> {
        self.descriptor["capabilities"][capability]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The client it was issued to.
    pub oauth_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A REST call the sandbox answered, for tests and the UI's log.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Status answered.
    pub status: u16,
    /// Client that made it, when authenticated.
    pub oauth_id: Option<String>,
}

/// A fault to inject into upcoming REST calls.
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
pub struct Fault {
    /// Applies to paths starting with this (e.g. `/v2/room/`).
    pub path_prefix: String,
    /// What to answer; JSON `status`: an HTTP status, or 0 and 1 for the stalls.
    #[serde(rename = "status")]
    pub answer: FaultAnswer,
    /// How many calls it applies to.
    pub count: u32,
}

/// How a faulty call is answered. In the control API's JSON it is the number `status`: an HTTP
/// status, 0 for [`FaultAnswer::Stall`] and 1 for [`FaultAnswer::StallAfterWork`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(from = "u16", into = "u16")]
pub enum FaultAnswer {
    /// Stalls past any client timeout without doing the work.
    Stall,
    /// Does the work, then stalls the answer: the caller cannot know it succeeded.
    StallAfterWork,
    /// Answers this HTTP error status (429 carries rate-limit reset headers).
    Status(u16),
}

impl From<u16> for FaultAnswer {
    fn from(status: u16) -> FaultAnswer {
        match status {
            0 => FaultAnswer::Stall,
            1 => FaultAnswer::StallAfterWork,
            status => FaultAnswer::Status(status),
        }
    }
}

impl From<FaultAnswer> for u16 {
    fn from(answer: FaultAnswer) -> u16 {
        match answer {
            FaultAnswer::Stall => 0,
            FaultAnswer::StallAfterWork => 1,
            FaultAnswer::Status(status) => status,
        }
    }
}

/// The whole mutable world.
#[derive(Debug, Default)]
pub struct World {
    /// Group id.
    pub group_id: i64,
    /// Group name.
    pub group_name: String,
    /// Users by id.
    pub users: BTreeMap<i64, SandboxUser>,
    /// Rooms by id.
    pub rooms: BTreeMap<i64, SandboxRoom>,
    /// History per room, oldest first.
    pub history: HashMap<i64, Vec<Posted>>,
    /// Installed add-ons by oauthId.
    pub clients: BTreeMap<String, Client>,
    /// Tokens by value.
    pub tokens: HashMap<String, IssuedToken>,
    /// Glance content per (room, oauthId, glance key).
    pub glances: BTreeMap<(i64, String, String), GlanceContent>,
    /// One-time `installable_url` records of the redirect uninstall flow.
    pub installables: HashMap<String, Value>,
    /// Webhooks created through the room webhook API (§6.5).
    pub room_webhooks: super::room_webhooks::RoomWebhooks,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// REST calls answered.
    pub recorded: Vec<Recorded>,
    /// Next room id.
    pub next_room_id: i64,
    /// Last `webhook_id` handed out (descriptor and REST webhooks share the sequence).
    pub last_webhook_id: i64,
    /// Users present in each room (read by the participants API).
    pub participants: BTreeMap<i64, std::collections::BTreeSet<i64>>,
    /// Private (1:1) messages add-ons sent, by recipient.
    pub private: BTreeMap<i64, Vec<Posted>>,
    /// User glances, by (user, installation, key).
    pub user_glances: BTreeMap<(i64, String, String), GlanceContent>,
}

impl World {
    /// A room by id or (case-insensitive) name.
    pub fn find_room(&self, key: &str) -> Option<&SandboxRoom> {
        match key.parse::<i64>() {
            Ok(id) => self.rooms.get(&id),
            Err(_) => self
                .rooms
                .values()
                .find(|r| r.name.eq_ignore_ascii_case(key)),
        }
    }

    /// A fresh `webhook_id`, never handed out before.
    pub fn new_webhook_id(&mut self) -> i64 {
        self.last_webhook_id += 1;
        self.last_webhook_id
    }

    /// Takes one injected fault matching `path`, if any.
    pub fn take_fault(&mut self, path: &str) -> Option<FaultAnswer> {
        let fault = self
            .faults
            .iter_mut()
            .find(|f| f.count > 0 && path.starts_with(&f.path_prefix))?;
        fault.count -= 1;
        let answer = fault.answer;
        self.faults.retain(|f| f.count > 0);
        Some(answer)
    }
}
