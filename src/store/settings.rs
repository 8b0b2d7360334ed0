//! Per-installation settings (the configuration page): dynaBOARD connection, notification room,
//! which events are announced, chat service hours and the chat room prefix.

use serde::{Deserialize, Serialize};

use super::{Batch, Installation, Store, StoreResult, TreeId, installation_prefix};
use crate::config::RoomRef;

/// Who triggers login/logout notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LoginNotices {
    /// None (the default).
    #[default]
    Off,
    /// Customer users only.
    Customers,
    /// Customers, partners and admins.
    Everyone,
}

/// Which dynaBOARD events are announced. Defaults (DESIGN.md): issue created, comment and
/// approval on; login/logout off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventToggles {
    /// Login/logout notices.
    pub logins: LoginNotices,
    /// Comments created.
    pub comments: bool,
    /// Issues created.
    pub issues_created: bool,
    /// Issues approved or disapproved.
    pub approvals: bool,
}

impl Default for EventToggles {
    fn default() -> Self {
        EventToggles {
            logins: LoginNotices::Off,
            comments: true,
            issues_created: true,
            approvals: true,
        }
    }
}

/// Opening hours of one weekday, `HH:MM` local time. A `to` at or before `from` closes on the
/// next day (22:00–02:00 runs overnight; equal times are 24 hours). Stored as before: hours
/// saved when `to` had to be after `from` keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekdayHours {
    /// Opening time.
    pub from: chrono::NaiveTime,
    /// Closing time, on the next day when not after `from`.
    pub to: chrono::NaiveTime,
}

impl WeekdayHours {
    /// Whether the window closes on the next day.
    pub fn is_overnight(&self) -> bool {
        self.to <= self.from
    }
}

/// Chat service hours: one entry per weekday, Monday first; `None` is closed all day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceHours {
    /// IANA time zone the hours are in.
    pub timezone: String,
    /// Monday … Sunday.
    pub days: [Option<WeekdayHours>; 7],
}

/// An installation's own dynaBOARD connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnConnection {
    /// Id in this connection's event URL, `/dynaboard/events/{id}`.
    pub id: String,
    /// Base URL.
    pub url: String,
    /// API token.
    pub token: String,
    /// Secret of `X-Dynaboard-Signature`.
    pub webhook_secret: String,
}

/// Everything configurable for one installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Own dynaBOARD connection; `None` uses the deployment default.
    #[serde(default)]
    pub connection: Option<OwnConnection>,
    /// Where dynaBOARD events go; `None` uses the deployment default or the installation's room.
    #[serde(default)]
    pub notification_room: Option<RoomRef>,
    /// Which events are announced.
    #[serde(default)]
    pub events: EventToggles,
    /// Chat service hours; `None` means open at all times.
    #[serde(default)]
    pub hours: Option<ServiceHours>,
    /// Prefix of personal chat room names.
    #[serde(default = "default_prefix")]
    pub room_prefix: String,
}

fn default_prefix() -> String {
    "dynaBOARD".into()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connection: None,
            notification_room: None,
            events: EventToggles::default(),
            hours: None,
            room_prefix: default_prefix(),
        }
    }
}

fn key(oauth_id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(b"settings");
    k
}

impl Store {
    /// An installation's settings (defaults when never saved).
    pub fn settings(&self, oauth_id: &str) -> StoreResult<Settings> {
        Ok(self
            .get(TreeId::Settings, &key(oauth_id))?
            .unwrap_or_default())
    }

    /// Saves settings in the batch, keeping the connection-id index in step.
    pub fn put_settings(&self, batch: &mut Batch, oauth_id: &str, old: &Settings, new: &Settings) {
        batch.put(TreeId::Settings, key(oauth_id), new);
        let old_id = old.connection.as_ref().map(|c| c.id.as_str());
        let new_id = new.connection.as_ref().map(|c| c.id.as_str());
        if old_id != new_id {
            if let Some(id) = old_id {
                batch.remove(TreeId::Connections, id.as_bytes().to_vec());
            }
            if let Some(id) = new_id {
                batch.put(TreeId::Connections, id.as_bytes().to_vec(), &oauth_id);
            }
        }
    }

    /// The installation the default dynaBOARD connection belongs to (DESIGN.md): among the
    /// active installations of the HipChat at `owner` without their own connection, the global
    /// one, else the earliest installed. The owner is fixed for the life of the process. Cached until an installation or settings change, because the public
    /// `/dynaboard/chat/status` asks on every page view of dynaBOARD and the answer would
    /// otherwise read every installation.
    pub fn default_connection_owner(
        &self,
        owner: &url::Origin,
    ) -> StoreResult<Option<Installation>> {
        self.inner.default_owner.get(|| {
            let mut candidates = Vec::new();
            for installation in self.installations()? {
                let of_owner = url::Url::parse(&installation.capabilities_url)
                    .is_ok_and(|u| u.origin() == *owner);
                if of_owner
                    && installation.is_active()
                    && self.settings(&installation.oauth_id)?.connection.is_none()
                {
                    candidates.push(installation);
                }
            }
            Ok(candidates.into_iter().min_by(|a, b| {
                (a.room_id.is_some(), a.installed_at_ms, &a.oauth_id).cmp(&(
                    b.room_id.is_some(),
                    b.installed_at_ms,
                    &b.oauth_id,
                ))
            }))
        })
    }

    /// The installation owning an own connection, by the connection's id.
    pub fn connection_owner(&self, connection_id: &str) -> StoreResult<Option<String>> {
        self.get(TreeId::Connections, connection_id.as_bytes())
    }
}
