//! The rest of HipChat's REST API that add-on frameworks of the era call (HIPCHAT-CONNECT.md §7):
//! room participants, posting a room message, private 1:1 messages, paged room history, and
//! user glances.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;

use super::api::{
    Answer, Q, Refused, authorize, hipchat_error, history_items, parse_json, room_or_404,
    set_window_headers, with_headers,
};
use super::model::{Author, Posted};
use super::{Sandbox, SandboxEvent};
use hipboard_protocol::wire::GlanceUpdate;

/// Routes of this part of the API.
pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v2/room/{room}/participant", get(participants))
        .route("/v2/room/{room}/message", post(room_message))
        .route("/v2/room/{room}/history", get(history))
        .route("/v2/user/{user}/message", post(private_message))
        .route("/v2/addon/ui/user/{user_id}", post(user_glance))
        .with_state(sandbox)
}

/// `start-index` and `max-results` (HipChat: at most 1000).
fn paging(query: &std::collections::HashMap<String, String>, default_max: usize) -> (usize, usize) {
    let start = query
        .get("start-index")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let max = query
        .get("max-results")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(default_max)
        .clamp(1, 1000);
    (start, max)
}

/// `GET /v2/room/{room}/participant`: the users in the room (every group user is online in the
/// sandbox; guests who spoke are listed too).
async fn participants(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_room", "view_group"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let (start, max) = paging(&query, 100);
    let base = sandbox.base_url().to_owned();
    let all: Vec<serde_json::Value> = sandbox
        .users()
        .into_iter()
        .map(|u| {
            json!({"id": u.id, "name": u.name, "mention_name": u.mention_name, "version": "SANDBOX1",
                   "links": {"self": format!("{base}/v2/user/{}", u.id)}})
        })
        .collect();
    let items: Vec<_> = all.into_iter().skip(start).take(max).collect();
    let n = items.len();
    Ok(with_headers(
        auth,
        Json(json!({"items": items, "startIndex": start, "maxResults": n,
                    "links": {"self": format!("{base}/v2/room/{}/participant", room.id)}})),
    ))
}

#[derive(Deserialize)]
struct Message {
    message: String,
    #[serde(default)]
    notify: bool,
    #[serde(default)]
    message_format: Option<String>,
}

/// Counts a posted message against the room's flood control.
fn flood(sandbox: &Sandbox, key: &str) -> super::limits::Window {
    let limits = sandbox.inner.settings.limits;
    sandbox.inner.limits.hit(
        key,
        limits.per_room,
        limits.room_window,
        sandbox.now().timestamp_millis(),
    )
}

/// `POST /v2/room/{room}/message`: a plain-text message, posted as the token's owner (for an
/// add-on token: the add-on) → 201 `{id, timestamp}`.
async fn room_message(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["send_message"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let message: Message = parse_json(&body).map_err(|r| r.with(&auth))?;
    let len = message.message.chars().count();
    if !(1..=1000).contains(&len) {
        let problem = format!("message must be 1–1000 characters, got {len}");
        return Err(Refused::hipchat(StatusCode::BAD_REQUEST, &problem).with(&auth));
    }
    let window = flood(&sandbox, &format!("room:{}", room.id));
    if window.exceeded {
        let mut r = hipchat_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Flood control: too many messages to this room",
        );
        set_window_headers(r.headers_mut(), "x-floodcontrol", window);
        return Ok(with_headers(auth, r));
    }
    let posted = Posted {
        id: uuid::Uuid::new_v4().to_string(),
        room_id: room.id,
        date: sandbox.now().to_rfc3339(),
        kind: "message".into(),
        author: Author::Addon {
            oauth_id: auth.client.oauth_id.clone(),
            label: auth.client.from_name(),
        },
        message: message.message,
        message_format: "text".into(),
        color: None,
        notify: false,
        card: None,
        attach_to: None,
        inline_reply: false,
    };
    let answer = json!({"id": posted.id, "timestamp": posted.date});
    sandbox.record_post(posted);
    let mut r = (StatusCode::CREATED, Json(answer)).into_response();
    set_window_headers(r.headers_mut(), "x-floodcontrol", window);
    Ok(with_headers(auth, r))
}

/// `POST /v2/user/{id|email|@mention}/message`: a private 1:1 message → 204.
async fn private_message(
    State(sandbox): State<Sandbox>,
    Path(user): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["send_message"])?;
    let Some(recipient) = find_user(&sandbox, &user) else {
        let problem = format!("User not found: {user}");
        return Err(Refused::hipchat(StatusCode::NOT_FOUND, &problem).with(&auth));
    };
    let message: Message = parse_json(&body).map_err(|r| r.with(&auth))?;
    let len = message.message.chars().count();
    if !(1..=10_000).contains(&len) {
        let problem = format!("message must be 1–10000 characters, got {len}");
        return Err(Refused::hipchat(StatusCode::BAD_REQUEST, &problem).with(&auth));
    }
    let format = match message.message_format.as_deref() {
        None | Some("text") => "text",
        Some("html") => "html",
        Some(other) => {
            let problem = format!("message_format must be html or text, not {other}");
            return Err(Refused::hipchat(StatusCode::BAD_REQUEST, &problem).with(&auth));
        }
    };
    let posted = Posted {
        id: uuid::Uuid::new_v4().to_string(),
        // Not a room: 1:1 messages are kept by recipient.
        room_id: 0,
        date: sandbox.now().to_rfc3339(),
        kind: "message".into(),
        author: Author::Addon {
            oauth_id: auth.client.oauth_id.clone(),
            label: auth.client.from_name(),
        },
        message: message.message,
        message_format: format.into(),
        color: None,
        notify: message.notify,
        card: None,
        attach_to: None,
        inline_reply: false,
    };
    sandbox
        .world()
        .private
        .entry(recipient)
        .or_default()
        .push(posted);
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}

/// A user by id, e-mail or `@mention`.
fn find_user(sandbox: &Sandbox, key: &str) -> Option<i64> {
    let key = key.trim();
    sandbox
        .users()
        .into_iter()
        .find(|u| {
            key.parse::<i64>().ok() == Some(u.id)
                || u.email.eq_ignore_ascii_case(key)
                || key
                    .strip_prefix('@')
                    .is_some_and(|m| m.eq_ignore_ascii_case(&u.mention_name))
        })
        .map(|u| u.id)
}

/// `GET /v2/room/{room}/history`: paged, newest first unless `reverse` (default true) puts the
/// page oldest first, as HipChat did; `date` (RFC 3339, or `recent`) is the newest included,
/// `end-date` (RFC 3339, only with a `date`) the oldest.
async fn history(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_messages"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let (start, max) = paging(&query, 100);
    let date = |name: &str| match query.get(name).map(String::as_str) {
        None | Some("recent" | "") => Ok(None),
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(d) => Ok(Some(d.with_timezone(&chrono::Utc))),
            Err(_) => {
                let problem = format!("{name} must be 'recent' or an ISO-8601 date, not {text}");
                Err(Refused::hipchat(StatusCode::BAD_REQUEST, &problem).with(&auth))
            }
        },
    };
    let until = date("date")?;
    // HipChat applied `end-date` only together with a `date`.
    let from = date("end-date")?.filter(|_| until.is_some());
    let reverse = query.get("reverse").is_none_or(|r| r != "false");
    let mut newest_first: Vec<Posted> = sandbox
        .history(room.id)
        .into_iter()
        .filter(|p| {
            let Ok(d) = chrono::DateTime::parse_from_rfc3339(&p.date) else {
                return until.is_none() && from.is_none();
            };
            until.is_none_or(|u| d <= u) && from.is_none_or(|f| d >= f)
        })
        .rev()
        .skip(start)
        .take(max)
        .collect();
    if reverse {
        newest_first.reverse();
    }
    let items = history_items(&sandbox, &newest_first);
    let n = items.len();
    Ok(with_headers(
        auth,
        Json(json!({"items": items, "startIndex": start, "maxResults": n, "links": {}})),
    ))
}

/// `POST /v2/addon/ui/user/{user_id}`: glance content for one user, like the room's.
async fn user_glance(
    State(sandbox): State<Sandbox>,
    Path(user_id): Path<i64>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_room", "view_group"])?;
    if !sandbox.world().users.contains_key(&user_id) {
        return Err(Refused::hipchat(StatusCode::NOT_FOUND, "User not found").with(&auth));
    }
    let update: GlanceUpdate = parse_json(&body).map_err(|r| r.with(&auth))?;
    let declared: Vec<String> = auth
        .client
        .modules("glance")
        .iter()
        .filter_map(|g| g["key"].as_str().map(str::to_owned))
        .collect();
    if let Some(bad) = update.glance.iter().find(|g| !declared.contains(&g.key)) {
        let problem = format!("Unknown glance key {}", bad.key);
        return Err(Refused::hipchat(StatusCode::BAD_REQUEST, &problem).with(&auth));
    }
    for entry in update.glance {
        sandbox.world().user_glances.insert(
            (user_id, auth.client.oauth_id.clone(), entry.key.clone()),
            entry.content.clone(),
        );
        sandbox.emit(SandboxEvent::Rooms);
    }
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}
