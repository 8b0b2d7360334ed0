//! The sandbox's own controls (its browser client and control API mint tokens for any user and
//! install any descriptor) are for whoever runs it. On loopback that is the machine's user; served
//! beyond it (`--public`), they need the token printed at start: once as `?token=` in the URL,
//! which leaves a cookie, or as `Authorization: Bearer`. Guest links and HipChat's own API
//! (`/v2`, with its OAuth tokens) stay as HipChat had them.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::Sandbox;

const COOKIE: &str = "hipboard_sandbox";

/// Whether `path` is one of the sandbox's own controls.
fn is_control(path: &str) -> bool {
    path == "/" || (path.starts_with("/sandbox/api/") && !path.starts_with("/sandbox/api/guest/"))
}

/// Lets a request to the controls through when no token is set or it carries the token.
pub(super) async fn gate(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    let Some(expected) = sandbox.inner.settings.access_token.clone() else {
        return next.run(request).await;
    };
    if !is_control(request.uri().path()) {
        return next.run(request).await;
    }
    let same = |given: &str| bool::from(given.as_bytes().ct_eq(expected.as_bytes()));
    let in_query = request
        .uri()
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        })
        .is_some_and(|t| same(&t));
    let headers = request.headers();
    let in_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| same(t.trim()));
    let in_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == COOKIE && same(v));
    if !(in_query || in_header || in_cookie) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({
                "error": "this sandbox is served beyond loopback: open the URL printed at start (it carries ?token=…)"
            })),
        )
            .into_response();
    }
    let mut response = next.run(request).await;
    if in_query {
        let cookie = format!("{COOKIE}={expected}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::try_from(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
