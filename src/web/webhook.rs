//! The room webhook endpoint (`POST /webhooks/room-message`): a verified room message handed to
//! the bot, answered inline or with 204.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::extract::Json;
use crate::auth::Verified;
use crate::bot::{Bot, Handled};
use crate::error::ApiError;
use crate::hipchat::wire::RoomMessageItem;

/// `POST /webhooks/room-message`: 200 with a notification body to reply inline, else 204.
pub async fn room_message(
    State(bot): State<Arc<Bot>>,
    hook: Verified<RoomMessageItem>,
) -> Result<Response, ApiError> {
    let handled = bot.on_room_message(&hook).await?;
    crate::metrics::webhook(handled.label(), "");
    Ok(match handled {
        Handled::Reply(reply) => Json(reply).into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    })
}
