//! The room webhook endpoint (`POST /webhooks/room-message`): a verified room message handed to
//! the pipeline, answered inline or with 204.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::extract::Json;
use crate::auth::Verified;
use crate::error::ApiError;
use crate::hipchat::wire::RoomMessageItem;
use crate::pipeline::{Handled, Pipeline};

/// `POST /webhooks/room-message`: 200 with a notification body to reply inline, else 204.
pub async fn room_message(
    State(pipeline): State<Arc<Pipeline>>,
    hook: Verified<RoomMessageItem>,
) -> Result<Response, ApiError> {
    let handled = pipeline.on_room_message(&hook).await?;
    crate::metrics::webhook(handled.label(), "");
    Ok(match handled {
        Handled::Reply(reply) => Json(reply).into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    })
}
