//! The Incidents glance's `queryUrl` endpoint: fetched by HipChat's client in the browser, so it
//! answers with CORS headers (§9.2, pitfall 11).

use axum::extract::State;
use axum::response::Response;

use crate::auth::Caller;
use crate::cards::glance::incidents_glance;
use crate::error::ApiError;
use crate::views::{Views, room_of};

/// `GET /views/glance/incidents?signed_request=…`.
pub async fn incidents(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    let room = room_of(&caller)?;
    let active = crate::views::sidebar::room_incidents(&views, &caller, room).await?;
    Ok(crate::web::response::public_json(incidents_glance(&active)))
}
