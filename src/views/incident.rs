//! The incident dialog, opened by the Acknowledge and Resolve card actions. A posted card cannot
//! change, so the dialog asks for the incident's current state and offers Confirm only when the
//! action still does something; Confirm calls the same endpoint as the sidebar's buttons.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use super::sidebar::IncidentView;
use super::{PageBase, Views, page, room_of};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::handlers::incident::{self, Action};
use crate::model::Stamp;

#[derive(Serialize)]
struct DialogPage<'a> {
    base: &'a PageBase,
}

/// `GET /views/incident?signed_request=…`.
pub async fn dialog(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    room_of(&caller)?;
    let base = PageBase::new(&caller, &views.services.clock)?;
    let html = views
        .templates
        .render("incident.html", &DialogPage { base: &base })?;
    Ok(page(html, &base, &caller.installation))
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
    let incident = match incident::find(services, oauth_id, room, number)? {
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
