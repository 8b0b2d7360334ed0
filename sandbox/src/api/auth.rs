//! Token authentication of REST calls: bearer token, expiry and scopes, then the per-token rate
//! limit and its `X-Ratelimit-*` headers.

use std::collections::HashMap;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Sandbox;
use crate::limits::Window;
use crate::model::{Client, IssuedToken};

use super::answer::*;

/// A call authenticated with an access token, counted against its limits.
pub(crate) struct Authorized {
    pub(crate) client: Client,
    pub(super) headers: HeaderMap,
}

impl Authorized {
    /// The add-on as the sender of the events its calls cause.
    pub(super) fn sender(&self) -> crate::room_events::Sender {
        crate::room_events::Sender::Addon(self.client.oauth_id.clone())
    }
}

/// Bearer token (or `auth_token`), expiry, scope (any of `scopes`), then the per-token limit.
pub(crate) fn authorize(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    scopes: &[&str],
) -> Result<Authorized, Refused> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .or(query.get("auth_token").map(String::as_str))
        .ok_or_else(|| {
            Refused::hipchat(StatusCode::UNAUTHORIZED, "Authenticated requests only.")
        })?;
    let (issued, client): (IssuedToken, Client) = {
        let world = sandbox.world();
        let issued = world
            .tokens
            .get(token)
            .filter(|t| t.expires_at > sandbox.now().timestamp())
            .cloned()
            .ok_or_else(|| Refused::hipchat(StatusCode::UNAUTHORIZED, "Invalid OAuth session"))?;
        let client = world
            .clients
            .get(&issued.oauth_id)
            .filter(|c| !c.revoked)
            .cloned()
            .ok_or_else(|| Refused::hipchat(StatusCode::UNAUTHORIZED, "Invalid OAuth session"))?;
        (issued, client)
    };
    if !scopes.iter().any(|s| issued.scopes.iter().any(|g| g == s)) {
        return Err(Refused::hipchat(
            StatusCode::FORBIDDEN,
            &format!("This action requires one of the following scopes: {scopes:?}"),
        ));
    }
    let limits = sandbox.inner.settings.limits;
    let window = sandbox.inner.limits.hit(
        &format!("token:{token}"),
        limits.per_token,
        limits.token_window,
        sandbox.now().timestamp_millis(),
    );
    let mut out = HeaderMap::new();
    set_window_headers(&mut out, "x-ratelimit", window);
    if window.exceeded {
        let mut r = hipchat_error(
            StatusCode::TOO_MANY_REQUESTS,
            "You have exceeded the rate limit",
        );
        r.headers_mut().extend(out);
        return Err(r.into());
    }
    if query.get("auth_test").is_some_and(|v| v == "true") {
        let mut r = (
            StatusCode::ACCEPTED,
            Json(json!({"success": {"code": 202, "type": "Accepted",
                "message": "This auth_token has access to use this method."}})),
        )
            .into_response();
        r.headers_mut().extend(out);
        return Err(r.into());
    }
    Ok(Authorized {
        client,
        headers: out,
    })
}

pub(crate) fn set_window_headers(headers: &mut HeaderMap, prefix: &str, w: Window) {
    for (suffix, value) in [
        ("limit", w.limit as i64),
        ("remaining", w.remaining as i64),
        ("reset", w.reset),
    ] {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(format!("{prefix}-{suffix}")),
            HeaderValue::try_from(value.to_string()),
        ) {
            headers.insert(name, value);
        }
    }
}

pub(crate) fn with_headers(auth: Authorized, response: impl IntoResponse) -> Response {
    let mut r = response.into_response();
    r.headers_mut().extend(auth.headers);
    r
}
