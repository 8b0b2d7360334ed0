//! The Incidents glance's `queryUrl`: fetched by HipChat's client in the browser, so it answers
//! with CORS headers (§9.2, pitfall 11).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{Views, room_of};
use crate::auth::Caller;
use crate::cards::glance::incidents_glance;
use crate::error::ApiError;

/// `GET /views/glance/incidents?signed_request=…`.
pub async fn incidents(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    let room = room_of(&caller)?;
    let active = views
        .services
        .store
        .active_incidents(&caller.installation.oauth_id, room)?;
    let mut response = Json(incidents_glance(&active)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
