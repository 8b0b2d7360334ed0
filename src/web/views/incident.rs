//! The incident dialog's endpoints: its page, and the incident's state with what each action
//! would do.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::page_response;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::handlers::incident::{self, Action};
use crate::model::Stamp;
use crate::views::sidebar::IncidentView;
use crate::views::{Views, room_of};
use crate::web::extract::{Json, Path};

/// `GET /views/incident?signed_request=…`.
pub async fn dialog(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    Ok(page_response(crate::views::incident::dialog(
        &views, &caller,
    )?))
}

/// `GET /views/api/incidents/{number}`: the incident as it is now (resolved ones included) and,
/// for each action, whether it would change anything, or why not. 404 for an unknown number or
/// an incident of another room.
pub async fn state(
    State(views): State<Views>,
    caller: Caller,
    Path(number): Path<u64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = room_of(&caller)?;
    let services = &views.services;
    let oauth_id = &caller.installation.oauth_id;
    let incident = match incident::find(services, oauth_id, room, number).await? {
        Ok((_, incident)) => incident,
        Err(refusal) => return Err(ApiError::NotFound(refusal.to_string())),
    };
    let mut verdicts = serde_json::Map::new();
    for (name, action) in [
        ("acknowledge", Action::Acknowledge),
        ("resolve", Action::Resolve),
    ] {
        // A placeholder stamp: the transition is only asked what it would do, never applied.
        let probe = Stamp {
            by: String::new(),
            by_id: None,
            at: services.clock.unix(),
        };
        let reason = incident::transition(&incident, action, probe)
            .err()
            .map(|refusal| refusal.to_string());
        verdicts.insert(
            name.into(),
            json!({"allowed": reason.is_none(), "reason": reason}),
        );
    }
    Ok(Json(json!({
        "incident": IncidentView::of(incident, services.clock.unix()),
        "actions": verdicts,
    })))
}
