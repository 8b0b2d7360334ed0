//! How the REST API answers early: HipChat's error body for every error under `/v2`, and the
//! request parts every endpoint reads.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use hipboard_protocol::wire::{ErrorBody, ErrorDetail};

use super::auth::*;

/// Every error under `/v2` in HipChat's JSON shape, whatever produced it: unknown routes (404),
/// wrong methods (405) and body rejections (axum answers those in plain text).
pub(crate) async fn hipchat_errors(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/v2/") {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let message = match status {
        StatusCode::NOT_FOUND if text.is_empty() => "Resource not found".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED if text.is_empty() => {
            "Method not allowed for this resource".to_owned()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("Error").to_owned(),
        _ => text,
    };
    hipchat_error(status, &message)
}

/// An early answer of a sandbox endpoint (an error, or `auth_test`'s 202), boxed to stay small.
pub(crate) struct Refused(Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Refused {
    fn from(r: Response) -> Refused {
        Refused(Box::new(r))
    }
}

impl Refused {
    pub(crate) fn hipchat(status: StatusCode, message: &str) -> Refused {
        hipchat_error(status, message).into()
    }

    /// Adds the rate-limit headers of an authorized call.
    pub(crate) fn with(mut self, auth: &Authorized) -> Refused {
        self.0.headers_mut().extend(auth.headers.clone());
        self
    }
}

pub(crate) type Answer = Result<Response, Refused>;

/// HipChat's error body.
pub(crate) fn hipchat_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: status.as_u16(),
            message: message.to_owned(),
            kind: status.canonical_reason().unwrap_or_default().to_owned(),
        },
    };
    (status, Json(body)).into_response()
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Refused> {
    serde_json::from_slice(body)
        .map_err(|e| Refused::hipchat(StatusCode::BAD_REQUEST, &format!("Invalid JSON: {e}")))
}

pub(crate) type Q = Query<HashMap<String, String>>;
