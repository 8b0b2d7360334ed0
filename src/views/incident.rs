//! The incident dialog, opened by the Acknowledge and Resolve card actions; it confirms and
//! then calls the same endpoint as the sidebar's buttons.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::{PageBase, Views, page, room_of};
use crate::auth::Caller;
use crate::error::ApiError;

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
