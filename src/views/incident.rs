//! The incident dialog's page, opened by the Acknowledge and Resolve card actions. A posted card
//! cannot change, so the dialog asks for the incident's current state and offers Confirm only
//! when the action still does something; Confirm calls the same endpoint as the sidebar's buttons.

use serde::Serialize;

use super::{Page, PageBase, Views, page, room_of};
use crate::auth::Caller;
use crate::error::ApiError;

#[derive(Serialize)]
struct DialogPage<'a> {
    base: &'a PageBase,
}

/// The page of `GET /views/incident?signed_request=…`.
pub fn dialog(views: &Views, caller: &Caller) -> Result<Page, ApiError> {
    room_of(caller)?;
    let base = PageBase::new(caller, &views.services.clock)?;
    let html = views
        .templates
        .render("incident.html", &DialogPage { base: &base })?;
    Ok(page(html, &base, &caller.installation))
}
