//! Per-installation settings (the configuration page): dynaBOARD connection, notification room,
//! which events are announced, chat service hours and the chat room prefix.

use serde::{Deserialize, Serialize};

use super::room::RoomRef;

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
