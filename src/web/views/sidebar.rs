//! The sidebar's endpoints: its page, the room's open incidents with Acknowledge and Resolve,
//! and an issue's details when opened from an issue card's action.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::page_response;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::handlers::incident::{self, Action};
use crate::model::IssueKey;
use crate::model::Stamp;
use crate::pipeline::Work;
use crate::store::StoreError;
use crate::views::sidebar::{incident_views, room_incidents};
use crate::views::{Views, room_of, user_of};
use crate::web::error::json_error;
use crate::web::extract::{Json, Path};

/// `GET /views/sidebar?signed_request=…`.
pub async fn page_view(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    Ok(page_response(
        crate::views::sidebar::page_view(&views, &caller).await?,
    ))
}

/// `GET /views/api/incidents`.
pub async fn list(
    State(views): State<Views>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = room_of(&caller)?;
    let active = room_incidents(&views, &caller, room).await?;
    Ok(Json(
        json!({"incidents": incident_views(active, views.services.clock.unix())}),
    ))
}

/// `POST /views/api/incidents/{number}/{acknowledge|resolve}`: 200 with the new list, 409 when
/// the incident cannot take the action, 404 for an unknown number. The change is announced in
/// the room and pushed to its glance, exactly like `/ack` and `/resolve`: the incident handler
/// runs in the pipeline, the one commit and retry loop of every user action.
pub async fn act(
    State(views): State<Views>,
    caller: Caller,
    Path((number, action)): Path<(u64, String)>,
) -> Result<Response, ApiError> {
    let action = match action.as_str() {
        "acknowledge" => Action::Acknowledge,
        "resolve" => Action::Resolve,
        other => return Err(ApiError::NotFound(format!("no incident action {other:?}"))),
    };
    let room = room_of(&caller)?;
    let user = user_of(&caller.claims)?;
    let oauth_id = caller.installation.oauth_id.clone();
    let name = match views.people.name_of(&caller.installation, user).await {
        Ok(name) => name,
        Err(e) => {
            // The change matters more than the label: record the id and say why in the log.
            tracing::warn!(user, error = %e, "cannot look up the user's name");
            format!("HipChat user {user}")
        }
    };
    let services = &views.services;
    let work = Work::in_room(&oauth_id, room);
    let decide = || async {
        let stamp = Stamp {
            by: name.clone(),
            by_id: Some(user),
            at: services.clock.unix(),
        };
        let acted = incident::act_in_room(services, &oauth_id, room, number, action, stamp).await?;
        Ok::<_, ApiError>(acted)
    };
    let name = match views.pipeline.act(&work, decide).await {
        Ok((_, Ok(name))) => name,
        Ok((_, Err(incident::Refusal::Unknown(n)))) => {
            return Err(ApiError::NotFound(format!("There is no incident INC-{n}.")));
        }
        Ok((_, Err(refusal))) => return Ok(json_error(StatusCode::CONFLICT, &refusal.to_string())),
        Err(ApiError::Store(StoreError::Conflict(_))) => {
            return Err(ApiError::Conflict(
                "the incident keeps changing; try again".into(),
            ));
        }
        Err(e) => return Err(e),
    };
    let active = room_incidents(&views, &caller, room).await?;
    let verb = match action {
        Action::Acknowledge => "acknowledged",
        Action::Resolve => "resolved",
    };
    let body = json!({
        "message": format!("{name} {verb}."),
        "incidents": incident_views(active, services.clock.unix()),
    });
    Ok(Json(body).into_response())
}

/// `GET /views/api/issues/{key}`: the issue for the sidebar's detail view.
pub async fn issue(
    State(views): State<Views>,
    caller: Caller,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let key = IssueKey::parse(&key)
        .ok_or_else(|| ApiError::BadRequest(format!("{key:?} is not an issue key")))?;
    let services = &views.services;
    let oauth_id = &caller.installation.oauth_id;
    let connection = services.issues.connection(oauth_id).await.ok_or_else(|| {
        ApiError::Conflict("dynaBOARD is not connected for this installation".into())
    })?;
    match services.issues.lookup(oauth_id, &connection, &key).await {
        Ok(issue) => Ok(Json(json!({
            "key": issue.key.as_str(),
            "summary": issue.summary,
            "status": issue.status,
            "priority": issue.priority,
            "issue_type": issue.issue_type,
            "assignee": issue.assignee.clone().unwrap_or_else(|| "Unassigned".into()),
            "reporter": issue.reporter,
            "updated": issue.updated_at().map(|t| t.format("%-d %b %Y %H:%M UTC").to_string()),
            "description": issue.description,
            "url": connection.browse_url(&issue.key),
        }))
        .into_response()),
        Err(e) => {
            let status = if e.is_outage() {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::NOT_FOUND
            };
            Ok(json_error(status, &e.to_string()))
        }
    }
}
