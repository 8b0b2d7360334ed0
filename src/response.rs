//! Response shapes shared by endpoints of different modules.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// JSON any web page may read (glance queries, dynaBOARD's chat button) and nobody may cache:
/// it changes with every incident or opening hour.
pub fn public_json<T: serde::Serialize>(value: T) -> Response {
    let mut response = Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
