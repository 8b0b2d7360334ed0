//! Room events other than user messages (§6.1–6.2): `room_enter`, `room_exit`,
//! `room_topic_change` and `room_notification`, delivered to every webhook of an installation
//! covering the room that listens to the event, with the §6.2 envelope and a JWT when declared.
//! Callers change the state, then fire with one line; delivery runs in the background so a REST
//! call that caused the event answers at once, as HipChat's did.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::deliver::{room_item, sign_jwt, user_json_of};
use super::model::{Client, Posted};
use super::{Sandbox, SandboxEvent};

/// Who caused an event.
#[derive(Debug, Clone)]
pub(super) enum Sender {
    /// A group user.
    User(i64),
    /// An installed add-on (REST calls).
    Addon(String),
}

/// Control API routes: users enter and leave rooms, change topics (the UI's actions).
pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/sandbox/api/rooms/{room_id}/participants", post(enter))
        .route(
            "/sandbox/api/rooms/{room_id}/participants/{user_id}",
            delete(exit),
        )
        .route("/sandbox/api/rooms/{room_id}/topic", put(topic))
        .with_state(sandbox)
}

/// A user enters a room: joins its participants and fires `room_enter` (not when already there).
pub(super) fn enter_room(sandbox: &Sandbox, room_id: i64, user_id: i64) -> Result<(), String> {
    let entered = {
        let mut world = sandbox.world();
        check_room_and_user(&world, room_id, user_id)?;
        world
            .participants
            .entry(room_id)
            .or_default()
            .insert(user_id)
    };
    if entered {
        fire(
            sandbox,
            room_id,
            "room_enter",
            Sender::User(user_id),
            json!({}),
        );
        sandbox.emit(SandboxEvent::Rooms);
    }
    Ok(())
}

/// A user leaves a room: fires `room_exit` if they were there.
pub(super) fn exit_room(sandbox: &Sandbox, room_id: i64, user_id: i64) -> Result<(), String> {
    let left = {
        let mut world = sandbox.world();
        check_room_and_user(&world, room_id, user_id)?;
        world
            .participants
            .get_mut(&room_id)
            .is_some_and(|p| p.remove(&user_id))
    };
    if left {
        fire(
            sandbox,
            room_id,
            "room_exit",
            Sender::User(user_id),
            json!({}),
        );
        sandbox.emit(SandboxEvent::Rooms);
    }
    Ok(())
}

/// Sets a room's topic and fires `room_topic_change`.
pub(super) fn change_topic(
    sandbox: &Sandbox,
    room_id: i64,
    sender: Sender,
    topic: &str,
) -> Result<(), String> {
    if topic.chars().count() > 250 {
        return Err("Topic must be at most 250 characters".into());
    }
    match sandbox.world().rooms.get_mut(&room_id) {
        Some(room) => room.topic = topic.to_owned(),
        None => return Err(format!("no room {room_id}")),
    }
    sandbox.emit(SandboxEvent::Rooms);
    topic_changed(sandbox, room_id, sender, topic);
    Ok(())
}

/// Fires `room_topic_change` for a topic already set.
pub(super) fn topic_changed(sandbox: &Sandbox, room_id: i64, sender: Sender, topic: &str) {
    fire(
        sandbox,
        room_id,
        "room_topic_change",
        sender,
        json!({ "topic": topic }),
    );
}

/// Fires `room_notification` for a notification an add-on posted. HipChat delivered it to every
/// listening installation, the posting one included (§6.3 "a room_notification webhook does
/// [hear itself] (beware loops)"), so the sandbox does too.
pub(super) fn notification_posted(sandbox: &Sandbox, posted: &Posted) {
    let super::model::Author::Addon { oauth_id, label } = &posted.author else {
        return;
    };
    let message = json!({
        "id": posted.id, "date": posted.date, "type": "notification", "message": posted.message,
        "message_format": posted.message_format, "color": posted.color, "from": label,
        "mentions": [],
    });
    fire(
        sandbox,
        posted.room_id,
        "room_notification",
        Sender::Addon(oauth_id.clone()),
        json!({ "message": message }),
    );
}

fn check_room_and_user(world: &super::model::World, room: i64, user: i64) -> Result<(), String> {
    if !world.rooms.contains_key(&room) {
        return Err(format!("no room {room}"));
    }
    if !world.users.contains_key(&user) {
        return Err(format!("no user {user}"));
    }
    Ok(())
}

/// Delivers `event` in the background. `extra` holds the event's own fields (merged into the
/// item next to `room` and, except for notifications, `sender`).
pub(super) fn fire(
    sandbox: &Sandbox,
    room_id: i64,
    event: &'static str,
    sender: Sender,
    extra: Value,
) {
    let Some(calls) = prepare(sandbox, room_id, event, &sender, extra) else {
        return;
    };
    if calls.is_empty() {
        return;
    }
    let sandbox = sandbox.clone();
    tokio::spawn(async move {
        let posts = calls.into_iter().map(|call| send(&sandbox, call));
        futures::future::join_all(posts).await;
    });
}

struct Call {
    url: String,
    jwt: Option<String>,
    envelope: Value,
}

fn prepare(
    sandbox: &Sandbox,
    room_id: i64,
    event: &'static str,
    sender: &Sender,
    extra: Value,
) -> Option<Vec<Call>> {
    let world = sandbox.world();
    let room = world.rooms.get(&room_id)?.clone();
    let (sender_json, user_id, tz) = match sender {
        Sender::User(id) => {
            let user = world.users.get(id)?;
            (user_json_of(sandbox, user), *id, user.timezone.clone())
        }
        // [unverified] an add-on sender is its OAuth client (§6.2); the JWT's user is then the
        // room's owner, the only user HipChat could have named.
        Sender::Addon(oauth_id) => {
            let name = world.clients.get(oauth_id).map(Client::from_name);
            let sender = json!({"id": oauth_id, "name": name,
                "links": {"self": format!("{}/v2/oauth/client/{oauth_id}", sandbox.base_url())}});
            (sender, room.owner_id, "UTC".to_owned())
        }
    };
    let mut item = room_item(sandbox, &room);
    if event != "room_notification" {
        item["sender"] = sender_json;
    }
    if let (Some(item), Some(extra)) = (item.as_object_mut(), extra.as_object()) {
        item.extend(extra.clone());
    }
    let text = item["message"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let now = sandbox.now().timestamp();
    let mut calls = Vec::new();
    for client in world.clients.values().filter(|c| c.covers(room_id)) {
        for (i, hook) in client.modules("webhook").into_iter().enumerate() {
            // Patterns filter message events only (§6.3).
            if hook["event"] != event
                || (event == "room_notification" && !client.pattern_matches(i, &text))
            {
                continue;
            }
            let Some(url) = hook["url"].as_str() else {
                continue;
            };
            let jwt = (hook["authentication"] == "jwt")
                .then(|| sign_jwt(client, user_id, Some(room_id), &tz, now));
            let envelope = json!({
                "event": event, "item": item, "oauth_client_id": client.oauth_id,
                "webhook_id": client.webhook_ids.get(i).copied().unwrap_or_default(),
            });
            calls.push(Call {
                url: url.to_owned(),
                jwt,
                envelope,
            });
        }
    }
    Some(calls)
}

async fn send(sandbox: &Sandbox, call: Call) {
    let mut request = sandbox.inner.http.post(&call.url).json(&call.envelope);
    if let Some(token) = call.jwt {
        request = request.header("Authorization", format!("JWT {token}"));
    }
    // Best effort, no retries (§6.4); the answer to a non-message event carries nothing.
    let _ = request.send().await;
}

fn problem(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
struct Who {
    user_id: i64,
}

async fn enter(
    State(sandbox): State<Sandbox>,
    Path(room_id): Path<i64>,
    Json(who): Json<Who>,
) -> Response {
    match enter_room(&sandbox, room_id, who.user_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(e),
    }
}

async fn exit(
    State(sandbox): State<Sandbox>,
    Path((room_id, user_id)): Path<(i64, i64)>,
) -> Response {
    match exit_room(&sandbox, room_id, user_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(e),
    }
}

#[derive(Deserialize)]
struct NewTopic {
    user_id: i64,
    topic: String,
}

async fn topic(
    State(sandbox): State<Sandbox>,
    Path(room_id): Path<i64>,
    Json(t): Json<NewTopic>,
) -> Response {
    let exists = sandbox.world().users.contains_key(&t.user_id);
    if !exists {
        return problem(format!("no user {}", t.user_id));
    }
    match change_topic(&sandbox, room_id, Sender::User(t.user_id), &t.topic) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(e),
    }
}
