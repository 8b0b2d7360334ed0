//! dynaBOARD's endpoints: signed events in (`/dynaboard/events`, and
//! `/dynaboard/events/{connection id}` for an installation's own connection), chat status out.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::extract::{Body, DynaboardSignature, Json, Path};
use super::response::public_json;
use crate::dynaboard::hours::ChatStatus;
use crate::error::ApiError;
use crate::pipeline::events::{EventAnswer, Inbound, Source};

/// The routes.
pub fn router(inbound: Inbound) -> Router {
    Router::new()
        .route("/dynaboard/events", post(default_events))
        .route("/dynaboard/events/{id}", post(own_events))
        .route("/dynaboard/chat/status", get(default_status))
        .route("/dynaboard/chat/status/{id}", get(own_status))
        .with_state(inbound)
}

/// `POST /dynaboard/events`.
async fn default_events(
    State(inbound): State<Inbound>,
    signature: DynaboardSignature,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let answer = inbound
        .event(Source::Default, signature.as_str(), &body)
        .await?;
    Ok(event_response(answer))
}

/// `POST /dynaboard/events/{connection id}`.
async fn own_events(
    State(inbound): State<Inbound>,
    Path(id): Path<String>,
    signature: DynaboardSignature,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let answer = inbound
        .event(Source::Own(id), signature.as_str(), &body)
        .await?;
    Ok(event_response(answer))
}

/// 202 when queued, 200 for a repeat or a chat room, 409 when chat is closed.
fn event_response(answer: EventAnswer) -> Response {
    match answer {
        EventAnswer::Accepted => {
            (StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response()
        }
        EventAnswer::Duplicate => {
            (StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response()
        }
        EventAnswer::Chat(answer) => Json(answer).into_response(),
        EventAnswer::Closed { next_open } => {
            let body = json!({
                "error": "chat is closed outside service hours",
                "next_open": next_open.map(|t| t.to_rfc3339()),
            });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    }
}

/// `GET /dynaboard/chat/status`: for dynaBOARD's chat button; public, any origin.
async fn default_status(State(inbound): State<Inbound>) -> Result<Response, ApiError> {
    Ok(status_response(inbound.default_status().await?))
}

/// `GET /dynaboard/chat/status/{connection id}`.
async fn own_status(
    State(inbound): State<Inbound>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(status_response(inbound.own_status(&id).await?))
}

fn status_response(status: ChatStatus) -> Response {
    public_json(json!({
        "open": status.open,
        "next_open": status.next_open.map(|t| t.to_rfc3339()),
    }))
}
