//! Room webhooks registered at runtime through REST (§6.5): `POST /v2/room/{room}/webhook`
//! creates one (201 `{id, links}`), `GET` lists or shows, `DELETE` removes (204). Scope
//! `admin_room`; each webhook belongs to the installation that created it and is delivered exactly
//! like a declared one (same envelope, same Java-semantics pattern search), with its own id.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::Sandbox;
use super::api::{Answer, Authorized, Q, Refused, authorize, room_or_404, with_headers};
use super::descriptor::{EVENTS, MESSAGE_EVENTS};
use super::model::{Client, World};
use super::pattern::JavaPattern;

/// Room webhook ids start far above descriptor webhook ids so the two never collide in
/// `webhook_id` (HipChat's ids were large integers too, §6.2).
const FIRST_ID: i64 = 70_000_001;

/// One webhook created through the room webhook API.
#[derive(Debug, Clone)]
pub struct RoomWebhook {
    /// Its id (also its `webhook_id` in payloads).
    pub id: i64,
    /// The installation that created it.
    pub oauth_id: String,
    /// The room it listens to.
    pub room_id: i64,
    /// `{url, event, pattern?, name?, key?, authentication}`, as a declared webhook looks.
    pub hook: Value,
    /// Its compiled pattern, if it has one.
    pub pattern: Option<JavaPattern>,
}

/// All room webhooks of the sandbox, by id.
#[derive(Debug, Default)]
pub struct RoomWebhooks {
    next_id: i64,
    hooks: BTreeMap<i64, RoomWebhook>,
}

impl RoomWebhooks {
    fn add(
        &mut self,
        oauth_id: &str,
        room_id: i64,
        hook: Value,
        pattern: Option<JavaPattern>,
    ) -> i64 {
        let id = self.next_id.max(FIRST_ID);
        self.next_id = id + 1;
        self.hooks.insert(
            id,
            RoomWebhook {
                id,
                oauth_id: oauth_id.to_owned(),
                room_id,
                hook,
                pattern,
            },
        );
        id
    }

    /// A webhook of installation `oauth_id` in room `room_id`.
    fn owned(&self, id: i64, oauth_id: &str, room_id: i64) -> Option<&RoomWebhook> {
        self.hooks
            .get(&id)
            .filter(|h| h.oauth_id == oauth_id && h.room_id == room_id)
    }
}

/// The room webhooks of `room_id` that hear `event` with `text` (the message, for message events),
/// with the installation that owns each; webhooks of removed or revoked installations are silent.
pub(super) fn matching(
    world: &World,
    room_id: i64,
    event: &str,
    text: &str,
) -> Vec<(Client, RoomWebhook)> {
    world
        .room_webhooks
        .hooks
        .values()
        .filter(|h| h.room_id == room_id && h.hook["event"] == event)
        .filter(|h| h.pattern.as_ref().is_none_or(|p| p.find(text)))
        .filter_map(|h| {
            let client = world
                .clients
                .get(&h.oauth_id)
                .filter(|c| c.covers(room_id))?;
            Some((client.clone(), h.clone()))
        })
        .collect()
}

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v2/room/{room}/webhook", get(list).post(create))
        .route("/v2/room/{room}/webhook/{id}", get(show).delete(delete))
        .with_state(sandbox)
}

/// The caller's installation must cover the room it manages webhooks of.
fn authorized_in(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    query: &std::collections::HashMap<String, String>,
    room: &str,
) -> Result<(Authorized, i64), Refused> {
    let auth = authorize(sandbox, headers, query, &["admin_room"])?;
    let room = room_or_404(sandbox, room).map_err(|r| r.with(&auth))?;
    if !auth.client.covers(room.id) {
        return Err(Refused::hipchat(
            StatusCode::FORBIDDEN,
            &format!("The add-on is not installed in room {}", room.id),
        )
        .with(&auth));
    }
    Ok((auth, room.id))
}

async fn create(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let (auth, room_id) = authorized_in(&sandbox, &headers, &query, &room)?;
    let (hook, pattern) =
        checked(&body).map_err(|m| Refused::hipchat(StatusCode::BAD_REQUEST, &m).with(&auth))?;
    let id = sandbox
        .world()
        .room_webhooks
        .add(&auth.client.oauth_id, room_id, hook, pattern);
    let answer = json!({"id": id, "links": {"self": self_link(&sandbox, room_id, id)}});
    Ok(with_headers(auth, (StatusCode::CREATED, Json(answer))))
}

/// The request body as a webhook, or why HipChat would refuse it.
fn checked(body: &Bytes) -> Result<(Value, Option<JavaPattern>), String> {
    let request: Map<String, Value> =
        serde_json::from_slice(body).map_err(|e| format!("Invalid JSON: {e}"))?;
    let text = |field: &str| -> Result<Option<String>, String> {
        match request.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{field} must be a string")),
        }
    };
    let url = text("url")?.ok_or("url is required")?;
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => return Err(format!("url must be an absolute http(s) URL: {url}")),
    }
    let event = text("event")?.ok_or("event is required")?;
    if !EVENTS.contains(&event.as_str()) {
        return Err(format!("Unknown event: {event}"));
    }
    let pattern_source = text("pattern")?.filter(|p| !p.is_empty());
    if pattern_source.is_some() && !MESSAGE_EVENTS.contains(&event.as_str()) {
        return Err(format!(
            "pattern applies only to message events, not {event}"
        ));
    }
    let pattern = pattern_source
        .as_deref()
        .map(JavaPattern::compile)
        .transpose()
        .map_err(|e| format!("Invalid pattern: {e}"))?;
    // The reference lists `name` without `?` but frameworks (hipchat-go) may send it empty;
    // accepting a missing name follows "where the reference is silent, accept".
    let name = text("name")?.unwrap_or_default();
    if name.chars().count() > 100 {
        return Err("name must be at most 100 characters".into());
    }
    let authentication = text("authentication")?.unwrap_or_else(|| "none".into());
    if !matches!(authentication.as_str(), "jwt" | "none") {
        return Err(format!(
            "authentication must be jwt or none, not {authentication}"
        ));
    }
    let mut hook =
        json!({"url": url, "event": event, "name": name, "authentication": authentication});
    if let Some(source) = pattern_source {
        hook["pattern"] = json!(source);
    }
    if let Some(key) = text("key")? {
        hook["key"] = json!(key);
    }
    Ok((hook, pattern))
}

fn self_link(sandbox: &Sandbox, room_id: i64, id: i64) -> String {
    format!("{}/v2/room/{room_id}/webhook/{id}", sandbox.base_url())
}

fn webhook_json(sandbox: &Sandbox, h: &RoomWebhook) -> Value {
    let mut out = h.hook.clone();
    out["id"] = json!(h.id);
    out["links"] = json!({"self": self_link(sandbox, h.room_id, h.id)});
    out
}

/// `GET /v2/room/{room}/webhook`: the caller's webhooks in the room, paged by `start-index` and
/// `max-results` (default 100, at most 1000) as HipChat's list endpoints were.
async fn list(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let (auth, room_id) = authorized_in(&sandbox, &headers, &query, &room)?;
    let number = |name: &str, default: usize| {
        query
            .get(name)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let start = number("start-index", 0);
    let max = number("max-results", 100).clamp(1, 1000);
    let items: Vec<Value> = {
        let world = sandbox.world();
        world
            .room_webhooks
            .hooks
            .values()
            .filter(|h| h.room_id == room_id && h.oauth_id == auth.client.oauth_id)
            .skip(start)
            .take(max)
            .map(|h| webhook_json(&sandbox, h))
            .collect()
    };
    let answer = json!({
        "items": items, "startIndex": start, "maxResults": max,
        "links": {"self": format!("{}/v2/room/{room_id}/webhook", sandbox.base_url())},
    });
    Ok(with_headers(auth, Json(answer)))
}

fn not_found(id: &str) -> Refused {
    Refused::hipchat(StatusCode::NOT_FOUND, &format!("Webhook not found: {id}"))
}

async fn show(
    State(sandbox): State<Sandbox>,
    Path((room, id)): Path<(String, String)>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let (auth, room_id) = authorized_in(&sandbox, &headers, &query, &room)?;
    let found = id.parse::<i64>().ok().and_then(|n| {
        let world = sandbox.world();
        world
            .room_webhooks
            .owned(n, &auth.client.oauth_id, room_id)
            .map(|h| webhook_json(&sandbox, h))
    });
    match found {
        Some(hook) => Ok(with_headers(auth, Json(hook))),
        None => Err(not_found(&id).with(&auth)),
    }
}

async fn delete(
    State(sandbox): State<Sandbox>,
    Path((room, id)): Path<(String, String)>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let (auth, room_id) = authorized_in(&sandbox, &headers, &query, &room)?;
    let removed = id.parse::<i64>().ok().is_some_and(|n| {
        let mut world = sandbox.world();
        let owned = world
            .room_webhooks
            .owned(n, &auth.client.oauth_id, room_id)
            .is_some();
        owned && world.room_webhooks.hooks.remove(&n).is_some()
    });
    if removed {
        Ok(with_headers(auth, StatusCode::NO_CONTENT))
    } else {
        Err(not_found(&id).with(&auth))
    }
}
