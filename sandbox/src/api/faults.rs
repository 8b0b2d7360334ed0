//! The layer in front of every HipChat REST call: records it, and answers injected faults (a
//! typed [`FaultAnswer`]) before the real handler runs.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::Sandbox;
use crate::limits::Window;
use crate::model::{FaultAnswer, Recorded};

use super::answer::*;
use super::auth::*;

/// Records every `/v2` call and answers injected faults before the real handler runs.
pub(crate) async fn faults_and_record(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let oauth_id = caller_of(&sandbox, request.headers(), request.uri().query());
    let fault = sandbox.world().take_fault(request.uri().path());
    let response = match fault {
        None => next.run(request).await,
        Some(FaultAnswer::Stall) => {
            // Stall longer than any sane client timeout.
            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
            hipchat_error(StatusCode::GATEWAY_TIMEOUT, "stalled")
        }
        Some(FaultAnswer::StallAfterWork) => {
            // Do the work, then never answer: the caller cannot know it succeeded.
            let response = next.run(request).await;
            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
            response
        }
        Some(FaultAnswer::Status(429)) => {
            let reset = sandbox.now().timestamp() + 2;
            let mut r = hipchat_error(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded the rate limit",
            );
            set_window_headers(
                r.headers_mut(),
                "x-ratelimit",
                Window {
                    limit: 500,
                    remaining: 0,
                    reset,
                    exceeded: true,
                },
            );
            r
        }
        Some(FaultAnswer::Status(status)) => hipchat_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected fault",
        ),
    };
    sandbox.world().recorded.push(Recorded {
        method,
        path,
        status: response.status().as_u16(),
        oauth_id,
    });
    response
}

/// The installation making a call: by its access token (header or `auth_token`), or by the
/// client credentials of a token request.
pub(crate) fn caller_of(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Option<String> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (scheme, value) = authorization.split_once(' ').unwrap_or_default();
    if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return text.split_once(':').map(|(id, _)| id.to_owned());
    }
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        Some(value.trim().to_owned())
    } else {
        query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "auth_token")
                .map(|(_, v)| v.into_owned())
        })
    }?;
    sandbox
        .world()
        .tokens
        .get(&token)
        .map(|t| t.oauth_id.clone())
}
