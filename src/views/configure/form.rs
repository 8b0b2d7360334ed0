//! The configuration form: what the browser posts (a typed struct, each field named once) and
//! what the page shows in its fields.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ApiError;
use crate::model::{LoginNotices, RoomRef, Settings};
use crate::views::Views;

/// The weekdays of the service hours table, in the form's order (`day0` is Monday).
pub const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The posted form, as typed. Missing fields are blank (unchecked, for checkboxes).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Posted {
    /// The page token, when the form carries it.
    pub signed_request: Option<String>,
    /// The dynaBOARD URL.
    pub dynaboard_url: String,
    /// The API token (blank: keep the saved one).
    pub dynaboard_token: String,
    /// The event secret (blank: keep or generate).
    pub webhook_secret: String,
    /// The notification room, by name or id.
    pub notification_room: String,
    /// Login notices: off, customers or everyone.
    pub logins: String,
    /// Announce comments.
    #[serde(deserialize_with = "checkbox")]
    pub comments: bool,
    /// Announce created issues.
    #[serde(deserialize_with = "checkbox")]
    pub issues_created: bool,
    /// Announce approvals.
    #[serde(deserialize_with = "checkbox")]
    pub approvals: bool,
    /// Chat service hours: always or hours.
    pub hours_mode: String,
    /// The IANA time zone of the hours.
    pub timezone: String,
    /// The chat room name prefix.
    pub room_prefix: String,
    /// The weekday rows, posted as `day{i}_open`, `day{i}_from`, `day{i}_to`.
    pub days: [PostedDay; 7],
}

/// One posted weekday row.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PostedDay {
    /// Open on this day.
    #[serde(deserialize_with = "checkbox")]
    pub open: bool,
    /// Opening time, as typed.
    pub from: String,
    /// Closing time, as typed.
    pub to: String,
}

/// A checkbox is checked when it is posted as `on` (or `true`).
fn checkbox<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = String::deserialize(deserializer)?;
    Ok(value == "on" || value == "true")
}

impl Posted {
    /// Reads a `application/x-www-form-urlencoded` body; the last of repeated fields counts,
    /// and `day{i}_{field}` fills row `i` of `days`.
    pub fn parse(body: &[u8]) -> Result<Posted, ApiError> {
        let mut top = serde_json::Map::new();
        let mut days = vec![serde_json::Map::new(); DAYS.len()];
        for (key, value) in url::form_urlencoded::parse(body).into_owned() {
            let value = serde_json::Value::String(value);
            match day_field(&key) {
                Some((i, field)) => days[i].insert(field.to_owned(), value),
                None => top.insert(key, value),
            };
        }
        top.insert(
            "days".into(),
            days.into_iter().map(serde_json::Value::Object).collect(),
        );
        serde_json::from_value(serde_json::Value::Object(top))
            .map_err(|e| ApiError::BadRequest(format!("the form cannot be read: {e}")))
    }
}

/// The row and field of a weekday key such as `day3_from`.
fn day_field(key: &str) -> Option<(usize, &str)> {
    let rest = key.strip_prefix("day")?;
    let (index, field) = rest.split_once('_')?;
    let i: usize = index.parse().ok().filter(|i| *i < DAYS.len())?;
    (index.len() == 1).then_some((i, field))
}

/// One weekday row as shown.
#[derive(Debug, Serialize, Default, Clone)]
pub struct DayForm {
    /// The weekday's name.
    pub name: &'static str,
    /// Open on this day.
    pub open: bool,
    /// Opening time, `HH:MM` where understood.
    pub from: String,
    /// Closing time, `HH:MM` where understood.
    pub to: String,
}

/// The form's values, as shown (and as posted back).
#[derive(Debug, Serialize, Default)]
pub struct ConfigForm {
    /// The dynaBOARD URL.
    pub dynaboard_url: String,
    /// Whether a token is saved (the token itself is never shown).
    pub token_saved: bool,
    /// The event secret.
    pub webhook_secret: String,
    /// Where dynaBOARD sends events for the saved connection.
    pub event_url: Option<String>,
    /// The deployment's default dynaBOARD, when this installation may use it.
    pub default_dynaboard: Option<String>,
    /// The notification room, by name or id.
    pub notification_room: String,
    /// Login notices: off, customers or everyone.
    pub logins: String,
    /// Announce comments.
    pub comments: bool,
    /// Announce created issues.
    pub issues_created: bool,
    /// Announce approvals.
    pub approvals: bool,
    /// always or hours.
    pub hours_mode: String,
    /// The IANA time zone of the hours.
    pub timezone: String,
    /// The weekday rows.
    pub days: Vec<DayForm>,
    /// The chat room name prefix.
    pub room_prefix: String,
}

impl ConfigForm {
    /// The form showing `settings` of the installation `oauth_id`.
    pub async fn of(settings: &Settings, oauth_id: &str, views: &Views) -> ConfigForm {
        let days = DAYS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let hours = settings.hours.as_ref().and_then(|h| h.days[i]);
                DayForm {
                    name,
                    open: hours.is_some(),
                    from: hours.map_or("09:00".into(), |h| h.from.format("%H:%M").to_string()),
                    to: hours.map_or("17:00".into(), |h| h.to.format("%H:%M").to_string()),
                }
            })
            .collect();
        let base = &views.services.base_url;
        let connection = settings.connection.as_ref();
        ConfigForm {
            dynaboard_url: connection.map(|c| c.url.clone()).unwrap_or_default(),
            token_saved: connection.is_some(),
            webhook_secret: connection
                .map(|c| c.webhook_secret.clone())
                .unwrap_or_default(),
            event_url: connection.map(|c| format!("{base}/dynaboard/events/{}", c.id)),
            default_dynaboard: views
                .services
                .issues
                .default_connection(oauth_id)
                .await
                .map(|c| c.url.as_str().trim_end_matches('/').to_owned()),
            notification_room: match &settings.notification_room {
                Some(RoomRef::Id(id)) => id.to_string(),
                Some(RoomRef::Name(n)) => n.clone(),
                None => String::new(),
            },
            logins: match settings.events.logins {
                LoginNotices::Off => "off",
                LoginNotices::Customers => "customers",
                LoginNotices::Everyone => "everyone",
            }
            .into(),
            comments: settings.events.comments,
            issues_created: settings.events.issues_created,
            approvals: settings.events.approvals,
            hours_mode: if settings.hours.is_some() {
                "hours"
            } else {
                "always"
            }
            .into(),
            timezone: settings
                .hours
                .as_ref()
                .map_or("UTC".into(), |h| h.timezone.clone()),
            days,
            room_prefix: settings.room_prefix.clone(),
        }
    }

    /// The form with the values of `posted` as typed (trimmed where blank space means nothing);
    /// what is not posted (the saved token, the event URL) stays as it was.
    pub fn with_posted(mut self, posted: &Posted) -> ConfigForm {
        self.dynaboard_url = posted.dynaboard_url.trim().to_owned();
        self.webhook_secret = posted.webhook_secret.clone();
        self.notification_room = posted.notification_room.trim().to_owned();
        self.logins = posted.logins.clone();
        self.comments = posted.comments;
        self.issues_created = posted.issues_created;
        self.approvals = posted.approvals;
        self.hours_mode = posted.hours_mode.clone();
        self.timezone = posted.timezone.trim().to_owned();
        self.room_prefix = posted.room_prefix.trim().to_owned();
        for (day, typed) in self.days.iter_mut().zip(&posted.days) {
            day.open = typed.open;
            day.from = typed.from.trim().to_owned();
            day.to = typed.to.trim().to_owned();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_form_is_read_into_its_fields() {
        let body = b"signed_request=t&dynaboard_url=+https%3A%2F%2Fdb.example+&comments=on\
            &approvals=off&issues_created=true&logins=everyone&day0_open=on&day0_from=9am\
            &day6_to=17%3A00&day7_open=on&day10_from=x&room_prefix=a&room_prefix=b";
        let posted = Posted::parse(body).unwrap();
        assert_eq!(posted.signed_request.as_deref(), Some("t"));
        assert_eq!(posted.dynaboard_url, " https://db.example ");
        assert!(posted.comments && posted.issues_created && !posted.approvals);
        assert_eq!(posted.logins, "everyone");
        assert!(posted.days[0].open);
        assert_eq!(posted.days[0].from, "9am");
        assert_eq!(posted.days[6].to, "17:00");
        assert!(posted.days[1..].iter().all(|d| !d.open));
        assert_eq!(posted.room_prefix, "b");
        assert_eq!(posted.timezone, "");
    }

    #[test]
    fn an_empty_body_is_a_blank_form() {
        let posted = Posted::parse(b"").unwrap();
        assert!(posted.signed_request.is_none());
        assert!(posted.dynaboard_token.is_empty());
        assert!(posted.days.iter().all(|d| !d.open && d.from.is_empty()));
    }
}
