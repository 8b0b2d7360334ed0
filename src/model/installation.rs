//! Installations of the add-on, the HipChats they come from, their cached access tokens, and
//! the memory of removed ones.

use serde::{Deserialize, Serialize};

/// A HipChat the add-on is (or lately was) installed in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KnownHipChat {
    /// Its capabilities document.
    pub capabilities_url: String,
    /// Its web home.
    pub homepage: String,
}

/// One installation of the add-on: a room or a whole group (HIPCHAT-CONNECT.md §3.5).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Installation {
    /// OAuth client id, the primary key and the JWT `iss`.
    pub oauth_id: String,
    /// Shared secret for JWTs and token requests.
    pub oauth_secret: String,
    /// HipChat group.
    pub group_id: i64,
    /// Group name from the token response.
    #[serde(default)]
    pub group_name: Option<String>,
    /// Room of a room installation; `None` for a global one.
    #[serde(default)]
    pub room_id: Option<i64>,
    /// HipChat's capabilities document.
    pub capabilities_url: String,
    /// OAuth2 token endpoint.
    pub token_url: String,
    /// REST API base, always ending in `/`.
    pub api_url: String,
    /// HipChat web origin (hosts `all.js`).
    pub homepage: String,
    /// Unix milliseconds of installation (orders installations made in the same second).
    pub installed_at_ms: i64,
    /// Set when the token endpoint refused the credentials: the client was revoked.
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

impl Installation {
    /// Whether the installation may still be used.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Whether this installation serves `room_id`: its own room, or any room for a global one.
    pub fn covers_room(&self, room_id: i64) -> bool {
        self.room_id.is_none_or(|own| own == room_id)
    }
}

/// A cached OAuth access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredToken {
    /// The bearer token.
    pub access_token: String,
    /// Unix seconds when HipChat stops accepting it.
    pub expires_at: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Unix seconds of the last use, so idle installations are not renewed forever.
    pub last_used: i64,
}

/// How long a removed installation (and so its HipChat) is remembered.
pub const REMEMBERED_FOR_SECS: i64 = 24 * 60 * 60;
/// Most removed installations remembered at once; the oldest are forgotten first.
pub const REMEMBERED_AT_MOST: usize = 1_000;

/// An installation that was removed, and when.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Removed {
    /// Its oauthId.
    pub oauth_id: String,
    /// Its HipChat.
    pub hipchat: KnownHipChat,
    /// Unix seconds of the removal.
    pub removed_at: i64,
}

impl Removed {
    /// Whether it is still remembered at `now` (Unix seconds).
    pub fn remembered_at(&self, now: i64) -> bool {
        now - self.removed_at < REMEMBERED_FOR_SECS
    }
}
