//! Validation of the posted configuration form, one function per group of fields (own
//! dynaBOARD connection, notification room, events, service hours, room prefix), each naming the
//! fields it refuses and why.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::form::{ConfigForm, DayForm, Posted};
use crate::dynaboard::check::{self, CheckLine};
use crate::model::{
    EventToggles, LoginNotices, OwnConnection, RoomRef, ServiceHours, Settings, WeekdayHours,
};
use crate::views::time_input::parse_time_of_day;

/// Characters a chat room prefix has at most.
const MAX_PREFIX: usize = 30;

/// A field of the form that can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// The dynaBOARD URL.
    DynaboardUrl,
    /// The API token.
    DynaboardToken,
    /// The event secret.
    WebhookSecret,
    /// The notification room.
    NotificationRoom,
    /// Login notices.
    Logins,
    /// Always open, or service hours.
    HoursMode,
    /// The time zone of the hours.
    Timezone,
    /// The chat room prefix.
    RoomPrefix,
    /// A weekday row (0 is Monday).
    Day(usize),
}

impl Field {
    /// Every field, in the page's order.
    pub const ALL: [Field; 15] = [
        Field::DynaboardUrl,
        Field::DynaboardToken,
        Field::WebhookSecret,
        Field::NotificationRoom,
        Field::Logins,
        Field::HoursMode,
        Field::Timezone,
        Field::RoomPrefix,
        Field::Day(0),
        Field::Day(1),
        Field::Day(2),
        Field::Day(3),
        Field::Day(4),
        Field::Day(5),
        Field::Day(6),
    ];

    /// The field's key in the page's template (its input's name, `day{i}` for a weekday row).
    pub fn key(self) -> &'static str {
        match self {
            Field::DynaboardUrl => "dynaboard_url",
            Field::DynaboardToken => "dynaboard_token",
            Field::WebhookSecret => "webhook_secret",
            Field::NotificationRoom => "notification_room",
            Field::Logins => "logins",
            Field::HoursMode => "hours_mode",
            Field::Timezone => "timezone",
            Field::RoomPrefix => "room_prefix",
            Field::Day(i) => ["day0", "day1", "day2", "day3", "day4", "day5", "day6"][i.min(6)],
        }
    }
}

/// What is wrong with which fields. Serialized with every field's key, blank where nothing is
/// wrong, so the template can test any of them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<Field, String>);

impl FieldErrors {
    /// No errors.
    pub fn none() -> FieldErrors {
        FieldErrors::default()
    }

    /// The one error `message` on `field`.
    pub fn one(field: Field, message: impl Into<String>) -> FieldErrors {
        let mut errors = FieldErrors::none();
        errors.insert(field, message);
        errors
    }

    /// Records `message` on `field` (replacing what was there).
    pub fn insert(&mut self, field: Field, message: impl Into<String>) {
        self.0.insert(field, message.into());
    }

    /// Whether `field` is refused.
    pub fn contains(&self, field: Field) -> bool {
        self.0.contains_key(&field)
    }

    /// The message on `field`, if refused.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    /// Whether no field is refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether some field shows a message.
    pub fn any_shown(&self) -> bool {
        self.0.values().any(|m| !m.is_empty())
    }

    fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Field::ALL.len()))?;
        for field in Field::ALL {
            map.serialize_entry(field.key(), self.get(field).unwrap_or_default())?;
        }
        map.end()
    }
}

/// The settings `posted` asks for, or what is wrong with it. `form` shows `posted`; its weekday
/// times are rewritten as `HH:MM` where they were understood.
pub fn validate(
    posted: &Posted,
    old: &Settings,
    form: &mut ConfigForm,
) -> Result<Settings, FieldErrors> {
    let mut errors = FieldErrors::none();
    let connection = keep(
        own_connection(form, &posted.dynaboard_token, old),
        &mut errors,
    );
    let notification_room = keep(notification_room(&form.notification_room), &mut errors);
    let events = keep(event_toggles(form), &mut errors);
    let hours = keep(service_hours(form), &mut errors);
    let prefix = keep(room_prefix(&form.room_prefix), &mut errors);
    match (connection, notification_room, events, hours, prefix) {
        (Some(connection), Some(notification_room), Some(events), Some(hours), Some(())) => {
            Ok(Settings {
                connection,
                notification_room,
                events,
                hours,
                room_prefix: form.room_prefix.clone(),
            })
        }
        _ => Err(errors),
    }
}

/// The value of a group's `result`; its errors are added to `errors`.
fn keep<T>(result: Result<T, FieldErrors>, errors: &mut FieldErrors) -> Option<T> {
    result.map_err(|refused| errors.extend(refused)).ok()
}

/// The installation's own dynaBOARD connection: a URL means one; a blank token or secret keeps
/// the saved one (a new secret is generated when there is none).
pub fn own_connection(
    form: &ConfigForm,
    typed_token: &str,
    old: &Settings,
) -> Result<Option<OwnConnection>, FieldErrors> {
    if form.dynaboard_url.is_empty() {
        if !typed_token.is_empty() {
            return Err(FieldErrors::one(
                Field::DynaboardUrl,
                "Enter the dynaBOARD URL this token belongs to.",
            ));
        }
        return Ok(None);
    }
    let saved = old.connection.as_ref();
    let token = token_to_send(typed_token, saved, &form.dynaboard_url)
        .and_then(|token| check::check_token(token).map(|()| token));
    let (url, token) = match (check::parse_url(&form.dynaboard_url), token) {
        (Ok(url), Ok(token)) => (url, token),
        (url, token) => {
            let mut errors = FieldErrors::none();
            if let Err(line) = url {
                errors.insert(Field::DynaboardUrl, line.message);
            }
            if let Err(line) = token {
                errors.insert(Field::DynaboardToken, line.message);
            }
            return Err(errors);
        }
    };
    let webhook_secret = match form.webhook_secret.as_str() {
        "" => saved.map_or_else(new_secret, |c| c.webhook_secret.clone()),
        s if s.trim() != s || s.len() < 16 => {
            return Err(FieldErrors::one(
                Field::WebhookSecret,
                "The event secret needs at least 16 characters and no blank space around it.",
            ));
        }
        s => s.to_owned(),
    };
    Ok(Some(OwnConnection {
        id: saved.map_or_else(
            || uuid::Uuid::new_v4().simple().to_string(),
            |c| c.id.clone(),
        ),
        url: url.as_str().trim_end_matches('/').to_owned(),
        token: token.to_owned(),
        webhook_secret,
    }))
}

/// The token to send to the dynaBOARD at `url`: the one typed, else the saved one when `url`
/// has the origin it was saved with (possibly blank). Refused when a saved token exists but may
/// not go there: a token is never sent to another server just because its field was left blank.
pub fn token_to_send<'a>(
    typed: &'a str,
    saved: Option<&'a OwnConnection>,
    url: &str,
) -> Result<&'a str, CheckLine> {
    if !typed.is_empty() {
        return Ok(typed);
    }
    let token = saved_token_for(saved, url).unwrap_or_default();
    if token.is_empty() && saved.is_some() {
        return Err(CheckLine::failed(
            "dynaBOARD token",
            "Enter the API token again: the saved one is only sent to the dynaBOARD it was saved for.",
        ));
    }
    Ok(token)
}

/// The saved token, when `url` has the same origin as the URL it was saved with.
fn saved_token_for<'a>(saved: Option<&'a OwnConnection>, url: &str) -> Option<&'a str> {
    let saved = saved?;
    let origin = |u: &str| url::Url::parse(u.trim()).ok().map(|u| u.origin());
    let same = origin(&saved.url).is_some_and(|o| Some(o) == origin(url));
    same.then_some(saved.token.as_str())
}

fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The notification room as typed (blank: none); HipChat is asked about it later.
pub fn notification_room(typed: &str) -> Result<Option<RoomRef>, FieldErrors> {
    match RoomRef::parse(typed) {
        Some(RoomRef::Name(n)) if n.chars().count() > 50 => Err(FieldErrors::one(
            Field::NotificationRoom,
            "A room name has at most 50 characters.",
        )),
        other => Ok(other),
    }
}

/// Which events are announced.
pub fn event_toggles(form: &ConfigForm) -> Result<EventToggles, FieldErrors> {
    let logins = match form.logins.as_str() {
        "off" => LoginNotices::Off,
        "customers" => LoginNotices::Customers,
        "everyone" => LoginNotices::Everyone,
        other => {
            return Err(FieldErrors::one(
                Field::Logins,
                format!("{other:?} is not a choice."),
            ));
        }
    };
    Ok(EventToggles {
        logins,
        comments: form.comments,
        issues_created: form.issues_created,
        approvals: form.approvals,
    })
}

/// The chat service hours (`None`: always open), with their time zone and weekday rows.
pub fn service_hours(form: &mut ConfigForm) -> Result<Option<ServiceHours>, FieldErrors> {
    match form.hours_mode.as_str() {
        "always" => Ok(None),
        "hours" => {
            let mut errors = FieldErrors::none();
            if let Err(message) = time_zone(&form.timezone) {
                errors.insert(Field::Timezone, message);
            }
            let mut days = [None; 7];
            for (i, day) in form.days.iter_mut().enumerate() {
                match day_hours(day) {
                    Ok(hours) => days[i] = hours,
                    Err(message) => errors.insert(Field::Day(i), message),
                }
            }
            if !errors.is_empty() {
                return Err(errors);
            }
            Ok(Some(ServiceHours {
                timezone: form.timezone.clone(),
                days,
            }))
        }
        other => Err(FieldErrors::one(
            Field::HoursMode,
            format!("{other:?} is not a choice."),
        )),
    }
}

/// An IANA time zone name, or why not.
fn time_zone(typed: &str) -> Result<chrono_tz::Tz, String> {
    typed
        .parse::<chrono_tz::Tz>()
        .map_err(|_| format!("{typed:?} is not an IANA time zone (like Europe/Berlin)."))
}

/// One weekday's hours from its row, which is rewritten as `HH:MM` where it was understood
/// (`9am` shows as `09:00`). A closing time at or before the opening time is the next day's.
fn day_hours(day: &mut DayForm) -> Result<Option<WeekdayHours>, String> {
    let from = parse_time_of_day(&day.from);
    let to = parse_time_of_day(&day.to);
    for (typed, parsed) in [(&mut day.from, &from), (&mut day.to, &to)] {
        if let Ok(t) = parsed {
            *typed = t.format("%H:%M").to_string();
        }
    }
    if !day.open {
        return Ok(None);
    }
    match (from, to) {
        (Ok(from), Ok(to)) => Ok(Some(WeekdayHours { from, to })),
        (Err(e), _) => Err(format!("{}, opening time: {e}.", day.name)),
        (_, Err(e)) => Err(format!("{}, closing time: {e}.", day.name)),
    }
}

/// The chat room prefix: 1 to `MAX_PREFIX` characters on one line.
pub fn room_prefix(prefix: &str) -> Result<(), FieldErrors> {
    let chars = prefix.chars().count();
    if chars == 0 || chars > MAX_PREFIX || prefix.chars().any(char::is_control) {
        return Err(FieldErrors::one(
            Field::RoomPrefix,
            format!("The prefix has 1–{MAX_PREFIX} characters on one line."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::form::DAYS;
    use super::*;

    /// The form as posted in `body`, over a blank form.
    fn form_of(body: &str) -> (Posted, ConfigForm) {
        let posted = Posted::parse(body.as_bytes()).unwrap();
        let blank = ConfigForm {
            days: DAYS
                .iter()
                .map(|name| DayForm {
                    name,
                    ..DayForm::default()
                })
                .collect(),
            ..ConfigForm::default()
        };
        let form = blank.with_posted(&posted);
        (posted, form)
    }

    fn errors(body: &str) -> FieldErrors {
        let (posted, mut form) = form_of(body);
        validate(&posted, &Settings::default(), &mut form).unwrap_err()
    }

    const VALID: &str = "logins=customers&hours_mode=always&room_prefix=inc&comments=on";

    #[test]
    fn a_valid_form_gives_its_settings() {
        let (posted, mut form) = form_of(&format!(
            "{VALID}&dynaboard_url=https://db.example/&dynaboard_token=t&notification_room=Ops"
        ));
        let settings = validate(&posted, &Settings::default(), &mut form).unwrap();
        let connection = settings.connection.unwrap();
        assert_eq!(connection.url, "https://db.example");
        assert_eq!(connection.token, "t");
        assert_eq!(connection.webhook_secret.len(), 64);
        assert_eq!(
            settings.notification_room,
            Some(RoomRef::Name("Ops".into()))
        );
        assert_eq!(settings.events.logins, LoginNotices::Customers);
        assert!(settings.events.comments && !settings.events.approvals);
        assert_eq!(settings.hours, None);
        assert_eq!(settings.room_prefix, "inc");
    }

    #[test]
    fn each_group_names_the_field_it_refuses() {
        let e = errors(&format!("{VALID}&dynaboard_token=t"));
        assert_eq!(
            e.get(Field::DynaboardUrl),
            Some("Enter the dynaBOARD URL this token belongs to.")
        );
        let e = errors(&format!(
            "{VALID}&dynaboard_url=https://db.example&dynaboard_token=t&webhook_secret=short"
        ));
        assert!(e.get(Field::WebhookSecret).unwrap().contains("at least 16"));
        let e = errors(&format!("{VALID}&dynaboard_url=db&dynaboard_token=+t"));
        assert!(e.get(Field::DynaboardUrl).unwrap().contains("not an http"));
        assert!(
            e.get(Field::DynaboardToken)
                .unwrap()
                .contains("blank space")
        );
        let e = errors(&format!("{VALID}&notification_room={}", "r".repeat(51)));
        assert_eq!(
            e.get(Field::NotificationRoom),
            Some("A room name has at most 50 characters.")
        );
        let e = errors("logins=all&hours_mode=sometimes&room_prefix=");
        assert_eq!(e.get(Field::Logins), Some("\"all\" is not a choice."));
        assert_eq!(
            e.get(Field::HoursMode),
            Some("\"sometimes\" is not a choice.")
        );
        assert_eq!(
            e.get(Field::RoomPrefix),
            Some("The prefix has 1–30 characters on one line.")
        );
    }

    #[test]
    fn service_hours_are_checked_day_by_day_and_shown_as_typed_times() {
        let (posted, mut form) = form_of(
            "logins=off&room_prefix=inc&hours_mode=hours&timezone=Mars/Base\
             &day0_open=on&day0_from=nine&day0_to=5pm&day1_from=9am&day1_to=x",
        );
        let e = validate(&posted, &Settings::default(), &mut form).unwrap_err();
        assert!(
            e.get(Field::Timezone)
                .unwrap()
                .contains("\"Mars/Base\" is not an IANA")
        );
        assert!(
            e.get(Field::Day(0))
                .unwrap()
                .starts_with("Monday, opening time: ")
        );
        // A closed day with an unreadable time is no error; what was understood is rewritten.
        assert!(!e.contains(Field::Day(1)));
        assert_eq!(form.days[0].to, "17:00");
        assert_eq!(form.days[1].from, "09:00");
        assert_eq!(form.days[1].to, "x");

        let (posted, mut form) = form_of(
            "logins=off&room_prefix=inc&hours_mode=hours&timezone=Europe/Berlin\
             &day4_open=on&day4_from=22:00&day4_to=2am",
        );
        let hours = validate(&posted, &Settings::default(), &mut form)
            .unwrap()
            .hours
            .unwrap();
        assert_eq!(hours.timezone, "Europe/Berlin");
        assert!(hours.days[4].is_some() && hours.days[0].is_none());
    }

    #[test]
    fn a_saved_token_goes_only_to_its_own_origin() {
        let saved = OwnConnection {
            id: "c".into(),
            url: "https://db.example".into(),
            token: "secret".into(),
            webhook_secret: "s".repeat(16),
        };
        assert_eq!(
            token_to_send("", Some(&saved), "https://db.example/x"),
            Ok("secret")
        );
        assert_eq!(
            token_to_send("typed", Some(&saved), "https://evil.example"),
            Ok("typed")
        );
        let refused = token_to_send("", Some(&saved), "https://evil.example").unwrap_err();
        assert!(refused.message.starts_with("Enter the API token again"));
        assert_eq!(token_to_send("", None, "https://db.example"), Ok(""));
    }

    #[test]
    fn errors_serialize_with_every_field_key() {
        let errors = FieldErrors::one(Field::Day(3), "Thursday, closing time: x.");
        let json = serde_json::to_value(&errors).unwrap();
        let map = json.as_object().unwrap();
        assert_eq!(map.len(), 15);
        assert_eq!(map["day3"], "Thursday, closing time: x.");
        assert_eq!(map["room_prefix"], "");
        assert!(errors.any_shown() && !errors.is_empty());
    }
}
