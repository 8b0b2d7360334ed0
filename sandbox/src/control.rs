//! The sandbox's own control API (not HipChat's): what the browser UI and tests use to act as
//! users and admins — post messages, install and uninstall add-ons, inject faults, read state.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::model::Fault;
use super::{InstallError, Sandbox};

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/sandbox/api/state", get(state))
        .route(
            "/sandbox/api/rooms/{room_id}/messages",
            get(messages).post(post_message),
        )
        .route("/sandbox/api/installations", post(install))
        .route("/sandbox/api/installations/{oauth_id}", delete(uninstall))
        .route("/sandbox/api/faults", post(inject))
        .route("/sandbox/api/recorded", get(recorded))
        .with_state(sandbox)
}

fn problem(status: StatusCode, message: String) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

async fn state(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    let installations: Vec<serde_json::Value> = sandbox
        .world()
        .clients
        .values()
        .map(|c| {
            json!({"oauth_id": c.oauth_id, "room_id": c.room_id, "name": c.descriptor["name"],
                        "key": c.descriptor["key"], "descriptor_url": c.descriptor_url})
        })
        .collect();
    Json(json!({
        "users": sandbox.users(),
        "rooms": sandbox.rooms(),
        "installations": installations,
    }))
}

async fn messages(
    State(sandbox): State<Sandbox>,
    Path(room_id): Path<i64>,
) -> Json<serde_json::Value> {
    Json(json!({"items": sandbox.history(room_id)}))
}

#[derive(Deserialize)]
struct NewMessage {
    user_id: i64,
    message: String,
}

async fn post_message(
    State(sandbox): State<Sandbox>,
    Path(room_id): Path<i64>,
    Json(m): Json<NewMessage>,
) -> Response {
    match sandbox.post_message(room_id, m.user_id, &m.message).await {
        Ok(delivery) => Json(delivery).into_response(),
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

#[derive(Deserialize)]
struct NewInstallation {
    descriptor_url: String,
    room_id: Option<i64>,
}

async fn install(State(sandbox): State<Sandbox>, Json(i): Json<NewInstallation>) -> Response {
    match sandbox.begin_install(&i.descriptor_url, i.room_id).await {
        // `open_url`: null when the add-on took its credentials at `callbackUrl`; in the redirect
        // flow (§3.3) the URL the admin's browser must open to finish the installation.
        Ok(began) => {
            let body = json!({"oauth_id": began.oauth_id, "open_url": began.open_url});
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(InstallError::Invalid(errors)) => {
            let summary = InstallError::Invalid(errors.clone()).to_string();
            let body = json!({"error": summary, "errors": errors});
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
        Err(e @ InstallError::NotFound(_)) => problem(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ InstallError::Addon(_)) => problem(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

async fn uninstall(State(sandbox): State<Sandbox>, Path(oauth_id): Path<String>) -> Response {
    match sandbox.uninstall(&oauth_id).await {
        Ok(status) => Json(json!({"addon_status": status})).into_response(),
        Err(e) => problem(StatusCode::BAD_GATEWAY, e),
    }
}

async fn inject(State(sandbox): State<Sandbox>, Json(fault): Json<Fault>) -> StatusCode {
    sandbox.inject(fault);
    StatusCode::NO_CONTENT
}

async fn recorded(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    Json(json!({"items": sandbox.recorded()}))
}
