//! The sidebar web panel: the room's open incidents, newest first, with Acknowledge and Resolve;
//! and an issue's details when opened from an issue card's action.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use super::{PageBase, Views, page, room_of, user_of};
use crate::auth::Caller;
use crate::cards::incident::{state_lozenge, when};
use crate::error::ApiError;
use crate::handlers::incident::{self, Action};
use crate::model::{Incident, IssueKey, Stamp};

/// Attempts when a concurrent change invalidates a decision.
const RETRIES: usize = 5;

/// An incident as the sidebar shows it.
#[derive(Debug, Serialize)]
pub struct IncidentView {
    /// Number.
    pub number: u64,
    /// `INC-n`.
    pub name: String,
    /// Title.
    pub title: String,
    /// `open`, `acknowledged` or `resolved`.
    pub state: &'static str,
    /// Who opened it.
    pub opened_by: String,
    /// "12 minutes ago".
    pub age: String,
    /// Who acknowledged it.
    pub acknowledged_by: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
}

impl IncidentView {
    /// How the sidebar and the dialog show `incident` at `now` (Unix seconds).
    pub fn of(incident: Incident, now: i64) -> IncidentView {
        let stamp = |s: &Option<Stamp>| s.as_ref().map(|s| format!("{} at {}", s.by, when(s.at)));
        IncidentView {
            number: incident.number,
            name: incident.name(),
            state: state_lozenge(incident.state).0,
            opened_by: incident.opened.by.clone(),
            age: age(now - incident.opened.at),
            acknowledged_by: stamp(&incident.acknowledged),
            resolved_by: stamp(&incident.resolved),
            title: incident.title,
        }
    }
}

/// Unresolved incidents, newest first.
pub fn incident_views(mut active: Vec<Incident>, now: i64) -> Vec<IncidentView> {
    active.sort_by_key(|i| std::cmp::Reverse(i.number));
    active
        .into_iter()
        .map(|i| IncidentView::of(i, now))
        .collect()
}

fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

/// The unresolved incidents of room `room`, from its home installation (see the store's rule).
pub fn room_incidents(
    views: &Views,
    caller: &Caller,
    room: i64,
) -> Result<Vec<Incident>, ApiError> {
    let store = &views.services.store;
    let home = store.room_home(&caller.installation.oauth_id, room)?;
    Ok(store.active_incidents(&home, room)?)
}

#[derive(Serialize)]
struct SidebarPage<'a> {
    base: &'a PageBase,
    incidents: Vec<IncidentView>,
}

/// `GET /views/sidebar?signed_request=…`.
pub async fn page_view(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    let room = room_of(&caller)?;
    let active = room_incidents(&views, &caller, room)?;
    let base = PageBase::new(&caller, &views.services.clock)?;
    let html = views.templates.render(
        "sidebar.html",
        &SidebarPage {
            base: &base,
            incidents: incident_views(active, views.services.clock.unix()),
        },
    )?;
    Ok(page(html, &base, &caller.installation))
}

/// `GET /views/api/incidents`.
pub async fn list(
    State(views): State<Views>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let room = room_of(&caller)?;
    let active = room_incidents(&views, &caller, room)?;
    Ok(Json(
        json!({"incidents": incident_views(active, views.services.clock.unix())}),
    ))
}

/// `POST /views/api/incidents/{number}/{acknowledge|resolve}`: 200 with the new list, 409 when
/// the incident cannot take the action, 404 for an unknown number. The change is announced in
/// the room and pushed to its glance, exactly like `/ack` and `/resolve`.
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
    for _ in 0..RETRIES {
        let stamp = Stamp {
            by: name.clone(),
            by_id: Some(user),
            at: services.clock.unix(),
        };
        let change = match incident::decide(services, &oauth_id, room, number, action, stamp)? {
            Ok(change) => change,
            Err(incident::Refusal::Unknown(n)) => {
                return Err(ApiError::NotFound(format!("There is no incident INC-{n}.")));
            }
            Err(refusal) => {
                let body = json!({"error": refusal.to_string()});
                return Ok((StatusCode::CONFLICT, Json(body)).into_response());
            }
        };
        let outcome = incident::apply(services, &change)?;
        match views.bot.commit_outcome(&oauth_id, room, outcome).await {
            Err(crate::store::StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
            Ok(()) => {
                let active = room_incidents(&views, &caller, room)?;
                let verb = match action {
                    Action::Acknowledge => "acknowledged",
                    Action::Resolve => "resolved",
                };
                let body = json!({
                    "message": format!("{} {verb}.", change.after.name()),
                    "incidents": incident_views(active, services.clock.unix()),
                });
                return Ok(Json(body).into_response());
            }
        }
    }
    Err(ApiError::Conflict(
        "the incident keeps changing; try again".into(),
    ))
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
    let connection = services.issues.connection(oauth_id).ok_or_else(|| {
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
            Ok((status, Json(json!({"error": e.to_string()}))).into_response())
        }
    }
}
