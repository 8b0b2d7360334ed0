//! The sandbox's browser client: the page and its scripts, HipChat's client script (`all.js`)
//! for add-on views, live events over server-sent events, fresh view tokens, and the modules
//! the add-ons installed in a room declare.
//!
//! The sandbox is a developer tool bound to loopback: it signs view tokens for whichever sandbox
//! user the page says it is, as HipChat signed them for the logged-in user.

use std::convert::Infallible;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::{Sandbox, SandboxEvent};

const FILES: &[(&str, &str, &str)] = &[
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/api.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/app.js"),
    ),
    (
        "render.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/render.js"),
    ),
    (
        "views.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/views.js"),
    ),
    (
        "composer.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/composer.js"),
    ),
    (
        "history.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/history.js"),
    ),
    (
        "menu.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/menu.js"),
    ),
    (
        "overlay.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/overlay.js"),
    ),
    (
        "guest.js",
        "text/javascript; charset=utf-8",
        include_str!("../../templates/sandbox/guest.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../templates/sandbox/app.css"),
    ),
];

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { client_page(include_str!("../../templates/sandbox/app.html")) }),
        )
        .route("/sandbox/ui/{file}", get(file))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/atlassian-connect/all.js", get(all_js))
        .route("/atlassian-connect/all.css", get(all_css))
        .route(
            "/chat/room/{id}",
            get(|Path(id): Path<i64>| async move { Redirect::to(&format!("/#room={id}")) }),
        )
        .route("/sandbox/api/events", get(events))
        .route("/sandbox/api/rooms/{room_id}/modules", get(modules))
        .route("/sandbox/api/sign", post(sign))
        .with_state(sandbox)
}

/// Content-Security-Policy of the sandbox's own pages: scripts only from the sandbox, so a
/// notification or card that slipped past the sanitiser still cannot run code. Styles may be
/// inline (the sanitiser keeps a few inline colours); images, glance queries and view frames
/// come from add-ons on any host.
const CLIENT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' http: https: data:; connect-src 'self' http: https:; frame-src http: https:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One of the sandbox's HTML pages, with its security headers.
pub(super) fn client_page(html: &'static str) -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, CLIENT_CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(html),
    )
        .into_response()
}

async fn file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

async fn all_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        include_str!("../../templates/sandbox/all.js"),
    )
        .into_response()
}

async fn all_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        "body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#172b4d}",
    )
        .into_response()
}

/// Which room's events a stream carries (all when absent).
#[derive(Deserialize)]
pub(super) struct EventFilter {
    room_id: Option<i64>,
}

/// `GET /sandbox/api/events[?room_id=]`: new messages, glance changes, room changes; `reload`
/// when the stream fell behind and the page should fetch state again.
pub(super) async fn events(
    State(sandbox): State<Sandbox>,
    Query(filter): Query<EventFilter>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(event_stream(&sandbox, filter.room_id)).keep_alive(KeepAlive::default())
}

/// The events of the sandbox (of one room, when given) as SSE events.
pub(super) fn event_stream(
    sandbox: &Sandbox,
    room: Option<i64>,
) -> impl Stream<Item = Result<Event, Infallible>> + use<> {
    BroadcastStream::new(sandbox.subscribe()).filter_map(move |item| async move {
        let event = match item {
            Ok(e) => e,
            Err(BroadcastStreamRecvError::Lagged(_)) => {
                return Some(Ok(Event::default().event("reload").data("{}")));
            }
        };
        let in_room = match (&event, room) {
            (_, None) => true,
            (SandboxEvent::Message { message }, Some(r)) => message.room_id == r,
            (SandboxEvent::Glance { room_id, .. }, Some(r)) => *room_id == r,
            (SandboxEvent::Rooms, Some(_)) => false,
        };
        if !in_room {
            return None;
        }
        let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        Some(Ok(Event::default().event("sandbox").data(data)))
    })
}

/// `GET /sandbox/api/rooms/{room_id}/modules`: what each add-on covering the room declares.
async fn modules(State(sandbox): State<Sandbox>, Path(room_id): Path<i64>) -> Json<Value> {
    let clients: Vec<_> = sandbox
        .world()
        .clients
        .values()
        .filter(|c| c.covers(room_id))
        .cloned()
        .collect();
    let installations: Vec<Value> = clients
        .iter()
        .map(|c| {
            json!({
                "oauth_id": c.oauth_id,
                "name": c.descriptor["name"],
                "key": c.descriptor["key"],
                "global": c.room_id.is_none(),
                "glances": c.modules("glance"),
                "webPanels": c.modules("webPanel"),
                "dialogs": c.modules("dialog"),
                "actions": c.modules("action"),
                "configurable": c.descriptor["capabilities"]["configurable"],
            })
        })
        .collect();
    Json(json!({"installations": installations}))
}

/// What a view token is for.
#[derive(Deserialize)]
struct SignRequest {
    oauth_id: String,
    user_id: i64,
    room_id: Option<i64>,
}

/// `POST /sandbox/api/sign`: a fresh `signed_request` for a view (and `HipChat.auth.withToken`).
async fn sign(State(sandbox): State<Sandbox>, Json(request): Json<SignRequest>) -> Response {
    match sandbox.sign_for(&request.oauth_id, request.user_id, request.room_id) {
        Some(token) => Json(json!({"token": token})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such installation"})),
        )
            .into_response(),
    }
}
