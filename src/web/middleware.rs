//! The edge's middleware: every request's id (the caller's `X-Request-Id` when it is sane, else
//! a new one) on its log lines, its queued work and its answer; its metrics; and the refusal of
//! new work while draining.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::json_error;
use crate::hipchat::descriptor::WEBHOOK_PATH;

/// The header carrying the id in and out.
pub const HEADER: &str = "x-request-id";
/// Longest id taken from a caller; anything else gets a new id.
const MAX_ID: usize = 64;

fn sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The outer layer: the id, the request's span, the echoed header.
pub async fn identify(request: Request, next: Next) -> Response {
    let id: Arc<str> = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(
            || uuid::Uuid::new_v4().simple().to_string().into(),
            Arc::from,
        );
    let span = tracing::info_span!("request", request_id = &*id);
    let served = async move {
        // Tokens in query strings never reach the log (issue 12).
        tracing::debug!(method = %request.method(), uri = %super::response::redacted_uri(request.uri()), "request");
        let started = Instant::now();
        let response = next.run(request).await;
        tracing::debug!(status = response.status().as_u16(), elapsed = ?started.elapsed(), "answered");
        response
    };
    let mut response = crate::requests::serve(id.clone(), span, served).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// The inner layer (on matched routes): metrics by route template.
pub async fn measure(request: Request, next: Next) -> Response {
    let started = Instant::now();
    // An Arc inside: cloning it is cheap.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if crate::metrics::enabled() {
        crate::metrics::http_request(route, method.as_str(), status, started.elapsed());
        if status >= 400 {
            let reason = crate::metrics::refusal_reason(status);
            if route == WEBHOOK_PATH {
                crate::metrics::webhook("refused", reason);
            } else if route.starts_with("/dynaboard/events") {
                crate::metrics::dynaboard_event("refused", reason);
            }
        }
    }
    response
}

/// While draining, anything that would start work (every method but GET) gets 503.
pub async fn refuse_while_draining(
    State(draining): State<Arc<AtomicBool>>,
    request: Request,
    next: Next,
) -> Response {
    if draining.load(Ordering::SeqCst) && request.method() != Method::GET {
        let mut response = json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down; try again shortly",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return response.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_sane_ids_are_taken_from_callers() {
        assert!(super::sane("3f2a-bc_1.x"));
        assert!(!super::sane(""));
        assert!(!super::sane("a b"));
        assert!(!super::sane("<script>"));
        assert!(!super::sane(&"a".repeat(65)));
    }
}
