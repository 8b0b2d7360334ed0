//! The chat dialog's endpoints, opened by "Take this chat" on a chat request's notice: the page,
//! the request and who has it, and taking the chat on Confirm.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::page_response;
use crate::auth::Caller;
use crate::cards::incident::when;
use crate::error::ApiError;
use crate::handlers::chat::{self, Found, Refusal, Take};
use crate::model::Stamp;
use crate::pipeline::Work;
use crate::store::StoreError;
use crate::views::{Views, room_of, scripted_page, user_of};
use crate::web::error::json_error;
use crate::web::extract::{Json, Path};

/// `GET /views/chat?signed_request=…`.
pub async fn dialog(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    Ok(page_response(scripted_page(&views, &caller, "chat.html")?))
}

/// `GET /views/api/chats/{id}`: the request and who has taken it, for the dialog.
pub async fn show(
    State(views): State<Views>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = user_of(&caller.claims)?;
    let found = find(&views, &caller, &id).await?;
    let request = &found.request;
    let taken = request.taken.as_ref();
    Ok(Json(json!({
        "who": request.who(),
        "room_name": request.room_name,
        "room_url": request.room_url,
        "asked": when(request.at),
        "taken_by": taken.map(|s| s.by.clone()),
        "yours": taken.is_some_and(|s| s.by_id == Some(user)),
    })))
}

/// `POST /views/api/chats/{id}/take`: 200 when the caller takes the chat (announced in the room)
/// or had taken it already (not announced again); 409 "Already taken by …" when someone else
/// did; 404 for an unknown request.
pub async fn take(
    State(views): State<Views>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let room = room_of(&caller)?;
    let user = user_of(&caller.claims)?;
    let name = views.acting_name(&caller, user).await;
    // Posted by the caller's installation, which serves the room the notice is in.
    let work = Work::in_room(&caller.installation.oauth_id, room);
    let decide = || async {
        let stamp = Stamp {
            by: name.clone(),
            by_id: Some(user),
            at: views.services.clock.unix(),
        };
        let taken = chat::take(&views.services, &caller.installation, &id, stamp).await?;
        Ok::<_, ApiError>(taken)
    };
    let message = match views.pipeline.act(&work, decide).await {
        Ok((_, Ok(Take::Taken { after, .. }))) => {
            format!("You take the chat with {}.", after.who())
        }
        Ok((_, Ok(Take::AlreadyYours(request)))) => {
            format!("You took the chat with {} already.", request.who())
        }
        Ok((_, Err(Refusal::Unknown))) => {
            return Err(ApiError::NotFound(Refusal::Unknown.to_string()));
        }
        Ok((_, Err(refusal))) => return Ok(json_error(StatusCode::CONFLICT, &refusal.to_string())),
        Err(ApiError::Store(StoreError::Conflict(_))) => {
            return Err(ApiError::Conflict(
                "the chat request keeps changing; try again".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    Ok(Json(json!({ "message": message })).into_response())
}

async fn find(views: &Views, caller: &Caller, id: &str) -> Result<Found, ApiError> {
    chat::find(&views.services, &caller.installation, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(Refusal::Unknown.to_string()))
}
