//! The configuration page (`configurable`, §12): dynaBOARD connection with *Check connection*,
//! notification room (checked with HipChat before it is saved), announced events, chat service
//! hours with an IANA time zone (overnight windows allowed), and the chat room prefix. Only
//! room admins (room installations) or group admins (global ones) may use it — HipChat shows
//! the page only to them, and the add-on checks again, since any room user holds a valid token.
//! The form carries the page token, so it cannot be posted cross-site.

use std::collections::HashMap;

use once_cell::sync::Lazy;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::effective::{self, ElsewhereNotice};
use super::room_choice::{self, RoomOption};
use super::time_input::parse_time_of_day;
use super::{Page, PageBase, Views, page, user_of};
use crate::auth::{AuthError, Caller, Verifier, jwt};
use crate::dynaboard::check::{self, CheckLine};
use crate::error::ApiError;
use crate::model::{LoginNotices, OwnConnection, RoomRef, ServiceHours, Settings, WeekdayHours};
use crate::store::Batch;

/// Every IANA zone name chrono-tz knows, for the time zone picker.
static TIMEZONES: Lazy<Vec<&'static str>> =
    Lazy::new(|| chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect());

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MAX_PREFIX: usize = 30;
const FIELDS: [&str; 15] = [
    "dynaboard_url",
    "dynaboard_token",
    "webhook_secret",
    "notification_room",
    "logins",
    "hours_mode",
    "timezone",
    "room_prefix",
    "day0",
    "day1",
    "day2",
    "day3",
    "day4",
    "day5",
    "day6",
];

/// One weekday row of the form.
#[derive(Debug, Serialize, Default, Clone)]
struct DayForm {
    name: &'static str,
    open: bool,
    from: String,
    to: String,
}

/// The form's values, as shown (and as posted back).
#[derive(Debug, Serialize, Default)]
struct ConfigForm {
    dynaboard_url: String,
    token_saved: bool,
    webhook_secret: String,
    event_url: Option<String>,
    default_dynaboard: Option<String>,
    notification_room: String,
    logins: String,
    comments: bool,
    issues_created: bool,
    approvals: bool,
    hours_mode: String,
    timezone: String,
    days: Vec<DayForm>,
    room_prefix: String,
}

#[derive(Serialize)]
struct ConfigPage<'a> {
    base: &'a PageBase,
    form: ConfigForm,
    errors: HashMap<&'static str, String>,
    saved: bool,
    has_errors: bool,
    rooms: RoomPicker,
    timezones: &'a [&'static str],
    /// The form's zone is not one of `timezones` (a typo posted back), so it is offered too.
    unknown_timezone: bool,
    elsewhere: Option<ElsewhereNotice>,
}

/// What the notification room picker offers.
#[derive(Serialize, Default)]
struct RoomPicker {
    /// Rooms the installation may choose.
    options: Vec<RoomOption>,
    /// Why the list is missing, when HipChat did not give it.
    unavailable: Option<String>,
    /// The installation's own room, for a room installation.
    own: Option<String>,
}

impl RoomPicker {
    /// The picker for `caller`'s installation, as HipChat reports its rooms now.
    async fn load(views: &Views, caller: &Caller) -> RoomPicker {
        let installation = &caller.installation;
        let (options, unavailable) = match room_choice::options(&views.people, installation).await {
            Ok(options) => (options, None),
            Err(e) => {
                tracing::warn!(error = %e, "HipChat did not list its rooms");
                (Vec::new(), Some(e.to_string()))
            }
        };
        let own = match installation.room_id {
            Some(id) => match options.iter().find(|r| r.id == id) {
                Some(r) => Some(r.name.clone()),
                None => Some(room_choice::room_name(&views.people, installation, id).await),
            },
            None => None,
        };
        RoomPicker {
            options,
            unavailable,
            own,
        }
    }

    /// A room id shown by its name, when the picker knows it.
    fn shown(&self, typed: &str) -> Option<String> {
        let id: i64 = typed.trim().parse().ok()?;
        self.options
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
    }
}

impl ConfigForm {
    fn of(settings: &Settings, oauth_id: &str, views: &Views) -> ConfigForm {
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
        ConfigForm {
            dynaboard_url: settings
                .connection
                .as_ref()
                .map(|c| c.url.clone())
                .unwrap_or_default(),
            token_saved: settings.connection.is_some(),
            webhook_secret: settings
                .connection
                .as_ref()
                .map(|c| c.webhook_secret.clone())
                .unwrap_or_default(),
            event_url: settings
                .connection
                .as_ref()
                .map(|c| format!("{base}/dynaboard/events/{}", c.id)),
            default_dynaboard: views
                .services
                .issues
                .default_connection(oauth_id)
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
}

/// Only admins may configure: group admins for global installations (whatever room the page
/// was opened in: its settings apply to every room), admins of its room otherwise.
async fn require_admin(views: &Views, caller: &Caller) -> Result<(), ApiError> {
    let user = user_of(&caller.claims)?;
    let installation = &caller.installation;
    let (verdict, refusal) = match installation.room_id {
        Some(room) => (
            views.people.is_room_admin(installation, room, user).await,
            "only the room's owner or a group admin can configure the add-on",
        ),
        None => (
            views.people.is_group_admin(installation, user).await,
            "only group admins can configure a global installation",
        ),
    };
    match verdict {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::Forbidden(refusal.into())),
        Err(e) => Err(ApiError::Unavailable(format!(
            "cannot check your permissions with HipChat: {e}"
        ))),
    }
}

/// The page for `form`; `stored` is what is saved now (the notice about settings in effect
/// describes it, not the form).
async fn render(
    views: &Views,
    caller: &Caller,
    mut form: ConfigForm,
    errors: HashMap<&'static str, String>,
    saved: bool,
    stored: &Settings,
) -> Result<Page, ApiError> {
    let base = PageBase::new(caller, &views.services.clock)?;
    let rooms = RoomPicker::load(views, caller).await;
    if let Some(name) = rooms.shown(&form.notification_room) {
        form.notification_room = name;
    }
    let elsewhere = effective::elsewhere(views, &caller.installation, stored).await;
    let unknown_timezone = !TIMEZONES.contains(&form.timezone.as_str());
    let refused = !errors.is_empty();
    // Every field has an entry, so the template can test any of them.
    let mut errors = errors;
    for key in FIELDS {
        errors.entry(key).or_default();
    }
    let html = views.templates.render(
        "configure.html",
        &ConfigPage {
            base: &base,
            form,
            has_errors: errors.values().any(|e| !e.is_empty()),
            errors,
            saved,
            rooms,
            timezones: &TIMEZONES,
            unknown_timezone,
            elsewhere,
        },
    )?;
    Ok(Page {
        refused,
        ..page(html, &base, &caller.installation)
    })
}

/// The page of `GET /views/configure?signed_request=…`.
pub async fn show(views: &Views, caller: &Caller) -> Result<Page, ApiError> {
    require_admin(views, caller).await?;
    let settings = views
        .services
        .store
        .settings(&caller.installation.oauth_id)?;
    render(
        views,
        caller,
        ConfigForm::of(&settings, &caller.installation.oauth_id, views),
        HashMap::new(),
        false,
        &settings,
    )
    .await
}

/// `POST /views/configure` (a form `body`, its token in it or in `authorization`): validates
/// every field; saves, or shows what is wrong where.
pub async fn save(
    views: &Views,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<Page, ApiError> {
    let fields: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let caller = form_caller(views, authorization, &fields)?;
    require_admin(views, &caller).await?;
    let oauth_id = caller.installation.oauth_id.clone();
    let old = views.services.store.settings(&oauth_id)?;
    let (form, result) = validate(&fields, &old, &oauth_id, views);
    let room = match &result {
        Err(errors) if errors.contains_key("notification_room") => Ok(None),
        _ => {
            room_choice::resolve(&views.people, &caller.installation, &form.notification_room).await
        }
    };
    let new = match (result, room) {
        (Ok(new), Ok(room)) => Settings {
            notification_room: room_choice::stored(&caller.installation, room.as_ref()),
            ..new
        },
        (result, room) => {
            let mut errors = result.err().unwrap_or_default();
            if let Err(refused) = room {
                errors.insert("notification_room", refused.to_string());
            }
            return render(views, &caller, form, errors, false, &old).await;
        }
    };
    if let Some(refused) = refused_address(views, &old, &new).await {
        let errors = HashMap::from([("dynaboard_url", refused)]);
        return render(views, &caller, form, errors, false, &old).await;
    }
    let mut batch = Batch::new();
    views
        .services
        .store
        .put_settings(&mut batch, &oauth_id, &old, &new);
    views.services.store.commit(batch).await?;
    if old.connection != new.connection {
        // Issues cached from the previous dynaBOARD must not answer for the new one.
        views.services.store.clear_issue_cache(&oauth_id)?;
    }
    tracing::info!(oauth_id, "settings saved");
    render(
        views,
        &caller,
        ConfigForm::of(&new, &oauth_id, views),
        HashMap::new(),
        true,
        &new,
    )
    .await
}

/// The saved token, when `url` has the same origin as the URL it was saved with: a token is
/// never sent to another server just because its field was left blank.
fn saved_token_for<'a>(saved: Option<&'a OwnConnection>, url: &str) -> Option<&'a str> {
    let saved = saved?;
    let origin = |u: &str| url::Url::parse(u.trim()).ok().map(|u| u.origin());
    let same = origin(&saved.url).is_some_and(|o| Some(o) == origin(url));
    same.then_some(saved.token.as_str())
}

/// Why a newly entered dynaBOARD URL may not be called (DESIGN.md "Outbound addresses"), if so.
async fn refused_address(views: &Views, old: &Settings, new: &Settings) -> Option<String> {
    let own = new.connection.as_ref()?;
    if old.connection.as_ref().is_some_and(|o| o.url == own.url) {
        return None;
    }
    let url = url::Url::parse(&own.url).ok()?;
    let policy = views.services.issues.client().policy();
    policy.check(&url).await.err().map(|e| e.to_string())
}

/// The form's token: the `signed_request` field, else `Authorization: JWT`.
fn form_caller(
    views: &Views,
    header: Option<&str>,
    fields: &HashMap<String, String>,
) -> Result<Caller, ApiError> {
    let token = match fields.get("signed_request") {
        Some(t) => jwt::token_from(None, Some(t))?,
        None => jwt::token_from(header, None)?,
    };
    let verifier = Verifier {
        store: views.services.store.clone(),
        clock: views.services.clock.clone(),
    };
    let (claims, installation) = verifier.verify(&token)?;
    if claims.user_id().is_none() {
        return Err(AuthError::WrongContext("token names no user").into());
    }
    Ok(Caller {
        installation,
        claims,
        token,
    })
}

fn validate(
    fields: &HashMap<String, String>,
    old: &Settings,
    oauth_id: &str,
    views: &Views,
) -> (ConfigForm, Result<Settings, HashMap<&'static str, String>>) {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    let checked = |k: &str| fields.get(k).is_some_and(|v| v == "on" || v == "true");
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    let mut form = ConfigForm::of(old, oauth_id, views);
    form.dynaboard_url = get("dynaboard_url").trim().to_owned();
    form.webhook_secret = get("webhook_secret").to_owned();
    form.notification_room = get("notification_room").trim().to_owned();
    form.logins = get("logins").to_owned();
    form.comments = checked("comments");
    form.issues_created = checked("issues_created");
    form.approvals = checked("approvals");
    form.hours_mode = get("hours_mode").to_owned();
    form.timezone = get("timezone").trim().to_owned();
    form.room_prefix = get("room_prefix").trim().to_owned();
    for (i, day) in form.days.iter_mut().enumerate() {
        day.open = checked(&format!("day{i}_open"));
        day.from = get(&format!("day{i}_from")).trim().to_owned();
        day.to = get(&format!("day{i}_to")).trim().to_owned();
    }

    // The connection: a URL means our own; blank token and secret keep the saved ones.
    let token = get("dynaboard_token");
    let connection = if form.dynaboard_url.is_empty() {
        if !token.is_empty() {
            errors.insert(
                "dynaboard_url",
                "Enter the dynaBOARD URL this token belongs to.".into(),
            );
        }
        None
    } else {
        let saved = old.connection.as_ref();
        let token = if token.is_empty() {
            saved_token_for(saved, &form.dynaboard_url).unwrap_or_default()
        } else {
            token
        };
        let token_check = match check::check_token(token) {
            Err(_) if saved.is_some() && token.is_empty() => Err(check::CheckLine::failed(
                "dynaBOARD token",
                "Enter the API token again: the saved one is only sent to the dynaBOARD it was saved for.",
            )),
            other => other,
        };
        match (check::parse_url(&form.dynaboard_url), token_check) {
            (Ok(url), Ok(())) => {
                let secret = match form.webhook_secret.as_str() {
                    "" => saved.map_or_else(new_secret, |c| c.webhook_secret.clone()),
                    s if s.trim() != s || s.len() < 16 => {
                        errors.insert(
                            "webhook_secret",
                            "The event secret needs at least 16 characters and no blank space around it.".into(),
                        );
                        String::new()
                    }
                    s => s.to_owned(),
                };
                Some(OwnConnection {
                    id: saved.map_or_else(
                        || uuid::Uuid::new_v4().simple().to_string(),
                        |c| c.id.clone(),
                    ),
                    url: url.as_str().trim_end_matches('/').to_owned(),
                    token: token.to_owned(),
                    webhook_secret: secret,
                })
            }
            (url, token_check) => {
                if let Err(line) = url {
                    errors.insert("dynaboard_url", line.message);
                }
                if let Err(line) = token_check {
                    errors.insert("dynaboard_token", line.message);
                }
                None
            }
        }
    };

    let notification_room = match RoomRef::parse(&form.notification_room) {
        Some(RoomRef::Name(n)) if n.chars().count() > 50 => {
            errors.insert(
                "notification_room",
                "A room name has at most 50 characters.".into(),
            );
            None
        }
        other => other,
    };
    let logins = match form.logins.as_str() {
        "off" => LoginNotices::Off,
        "customers" => LoginNotices::Customers,
        "everyone" => LoginNotices::Everyone,
        other => {
            errors.insert("logins", format!("{other:?} is not a choice."));
            LoginNotices::Off
        }
    };
    let hours = match form.hours_mode.as_str() {
        "always" => None,
        "hours" => {
            if form.timezone.parse::<chrono_tz::Tz>().is_err() {
                errors.insert(
                    "timezone",
                    format!(
                        "{:?} is not an IANA time zone (like Europe/Berlin).",
                        form.timezone
                    ),
                );
            }
            let mut days = [None; 7];
            for (i, day) in form.days.iter_mut().enumerate() {
                match day_hours(day) {
                    Ok(hours) => days[i] = hours,
                    Err(message) => {
                        errors.insert(day_key(i), message);
                    }
                }
            }
            Some(ServiceHours {
                timezone: form.timezone.clone(),
                days,
            })
        }
        other => {
            errors.insert("hours_mode", format!("{other:?} is not a choice."));
            None
        }
    };
    let prefix_chars = form.room_prefix.chars().count();
    if prefix_chars == 0
        || prefix_chars > MAX_PREFIX
        || form.room_prefix.chars().any(char::is_control)
    {
        errors.insert(
            "room_prefix",
            format!("The prefix has 1–{MAX_PREFIX} characters on one line."),
        );
    }
    if !errors.is_empty() {
        return (form, Err(errors));
    }
    let settings = Settings {
        connection,
        notification_room,
        events: crate::model::EventToggles {
            logins,
            comments: form.comments,
            issues_created: form.issues_created,
            approvals: form.approvals,
        },
        hours,
        room_prefix: form.room_prefix.clone(),
    };
    (form, Ok(settings))
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

fn day_key(i: usize) -> &'static str {
    ["day0", "day1", "day2", "day3", "day4", "day5", "day6"][i.min(6)]
}

fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// What *Check connection* posts: the URL and token as typed (blank token: the saved one).
#[derive(Debug, Deserialize)]
pub struct CheckRequest {
    #[serde(default)]
    dynaboard_url: String,
    #[serde(default)]
    dynaboard_token: String,
    #[serde(default)]
    notification_room: String,
}

/// What `POST /views/api/check-connection` answers: HipChat's grant of every scope, the
/// notification room, and the dynaBOARD URL and token, checked, one line each.
pub async fn check_connection(
    views: &Views,
    caller: &Caller,
    request: CheckRequest,
) -> Result<serde_json::Value, ApiError> {
    require_admin(views, caller).await?;
    let installation = &caller.installation;
    let mut lines = Vec::new();
    lines.push(
        match views
            .people
            .check_credentials(installation, &views.scopes)
            .await
        {
            Ok(granted) => {
                CheckLine::ok("HipChat", format!("HipChat grants the add-on: {granted}."))
            }
            Err(crate::hipchat::client::HipChatError::Forbidden(m)) => {
                CheckLine::failed("HipChat", format!("A scope is missing: {m}"))
            }
            Err(crate::hipchat::client::HipChatError::Unauthorized(m)) => CheckLine::failed(
                "HipChat",
                format!("HipChat refused the add-on's credentials: {m}"),
            ),
            Err(e) => CheckLine::failed("HipChat", e.to_string()),
        },
    );
    let room = room_choice::resolve(&views.people, installation, &request.notification_room);
    match room.await {
        Ok(None) => {}
        Ok(Some(details)) => lines.push(CheckLine::ok(
            "Notification room",
            format!(
                "Room \"{}\" (id {}) found; the add-on can post there.",
                details.name, details.id
            ),
        )),
        Err(refused) => lines.push(CheckLine::failed("Notification room", refused.to_string())),
    }
    let saved = views
        .services
        .store
        .settings(&installation.oauth_id)?
        .connection;
    let url = request.dynaboard_url.trim();
    let target = if url.is_empty() {
        views
            .services
            .issues
            .default_connection(&installation.oauth_id)
            .cloned()
            .map(Ok)
    } else {
        let token = match request.dynaboard_token.as_str() {
            "" => saved_token_for(saved.as_ref(), url).unwrap_or_default(),
            typed => typed,
        };
        match (token.is_empty(), &saved) {
            (true, Some(_)) => Some(Err(CheckLine::failed(
                "dynaBOARD token",
                "Enter the API token again: the saved one is only sent to the dynaBOARD it was saved for.",
            ))),
            _ => Some(check::parse_connection(url, token)),
        }
    };
    lines.push(match target {
        None => CheckLine::failed(
            "dynaBOARD",
            "No dynaBOARD URL is set, and the deployment has no default.",
        ),
        Some(Err(line)) => line,
        Some(Ok(connection)) => check::check(views.services.issues.client(), &connection).await,
    });
    let ok = lines.iter().all(|l| l.ok);
    Ok(json!({"ok": ok, "lines": lines}))
}
