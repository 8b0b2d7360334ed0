//! Guest access: the join URL of a room with guest access opens a page where a visitor enters a
//! name and chats in that room, and only that room.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::model::SandboxRoom;
use super::{Sandbox, ui};

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/guest/{token}", get(page))
        .route("/sandbox/api/guest/{token}", get(room))
        .route(
            "/sandbox/api/guest/{token}/messages",
            axum::routing::post(post),
        )
        .route("/sandbox/api/guest/{token}/events", get(events))
        .with_state(sandbox)
}

fn guest_room(sandbox: &Sandbox, token: &str) -> Option<SandboxRoom> {
    sandbox
        .world()
        .rooms
        .values()
        .find(|r| r.guest_access && r.guest_token.as_deref() == Some(token))
        .cloned()
}

fn gone() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html("<!doctype html><meta charset=utf-8><title>Not found</title><p>This guest link is not valid (any more).</p>"),
    )
        .into_response()
}

async fn page(State(sandbox): State<Sandbox>, Path(token): Path<String>) -> Response {
    match guest_room(&sandbox, &token) {
        Some(_) => super::ui::client_page(include_str!("../../templates/sandbox/guest.html")),
        None => gone(),
    }
}

async fn room(State(sandbox): State<Sandbox>, Path(token): Path<String>) -> Response {
    let Some(room) = guest_room(&sandbox, &token) else {
        return gone();
    };
    // Staff speak under their names, as HipChat showed them to guests.
    let people: Vec<_> = sandbox
        .users()
        .iter()
        .map(|u| json!({"id": u.id, "name": u.name}))
        .collect();
    Json(json!({
        "room": {"id": room.id, "name": room.name, "topic": room.topic},
        "messages": sandbox.history(room.id),
        "people": people,
    }))
    .into_response()
}

#[derive(Deserialize)]
struct GuestMessage {
    name: String,
    message: String,
}

async fn post(
    State(sandbox): State<Sandbox>,
    Path(token): Path<String>,
    Json(m): Json<GuestMessage>,
) -> Response {
    let Some(room) = guest_room(&sandbox, &token) else {
        return gone();
    };
    match super::deliver::post_guest_message(&sandbox, room.id, &m.name, &m.message).await {
        Ok(delivery) => Json(delivery).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

async fn events(State(sandbox): State<Sandbox>, Path(token): Path<String>) -> Response {
    let Some(room) = guest_room(&sandbox, &token) else {
        return gone();
    };
    Sse::new(ui::event_stream(&sandbox, Some(room.id)))
        .keep_alive(KeepAlive::default())
        .into_response()
}
