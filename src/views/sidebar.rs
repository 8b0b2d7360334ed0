//! The sidebar web panel's page and incident list: the room's open incidents, newest first,
//! as the sidebar (and the incident dialog) shows them.

use serde::Serialize;

use super::{Page, PageBase, Views, page, room_of};
use crate::auth::Caller;
use crate::cards::incident::{state_lozenge, when};
use crate::error::ApiError;
use crate::handlers::HandlerKey;
use crate::model::{Incident, Stamp};

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
pub async fn room_incidents(
    views: &Views,
    caller: &Caller,
    room: i64,
) -> Result<Vec<Incident>, ApiError> {
    let store = &views.services.store;
    let home = store.room_home(&caller.installation.oauth_id, room).await?;
    Ok(store.active_incidents(&home, room).await?)
}

#[derive(Serialize)]
struct SidebarPage<'a> {
    base: &'a PageBase,
    incidents: Vec<IncidentView>,
    /// How to open an incident: the usage line of the command file that runs the handler.
    incident_usage: Option<&'a str>,
}

/// The page of `GET /views/sidebar?signed_request=…`.
pub async fn page_view(views: &Views, caller: &Caller) -> Result<Page, ApiError> {
    let room = room_of(caller)?;
    let active = room_incidents(views, caller, room).await?;
    let base = PageBase::new(caller, &views.services.clock)?;
    let html = views.templates.render(
        "sidebar.html",
        &SidebarPage {
            base: &base,
            incidents: incident_views(active, views.services.clock.unix()),
            incident_usage: views
                .services
                .registry
                .for_handler(&HandlerKey::Incident)
                .map(|c| c.usage.as_str()),
        },
    )?;
    Ok(page(html, &base, &caller.installation))
}
