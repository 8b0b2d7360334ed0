//! The add-on's HTTP error: every boundary error becomes a status and a JSON body here, and only here.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::AuthError;
use crate::auth::signature::SignatureError;
use crate::hipchat::install::{DELETE_CHECK_SECS, InstallError};
use crate::store::StoreError;

/// An error answered to an HTTP caller.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// HipChat JWT missing or invalid: 401.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// dynaBOARD signature missing or invalid: 401.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Installation lifecycle failure: status per kind.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The store failed: 500 (or 409/200 semantics handled by callers before this point).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Malformed input: 400.
    #[error("{0}")]
    BadRequest(String),
    /// The body is over the limit: 413.
    #[error("{0}")]
    TooLarge(String),
    /// Authenticated but not allowed: 403.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource: 404.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with current state: 409.
    #[error("{0}")]
    Conflict(String),
    /// Temporarily unable (queue full, HipChat unreachable, draining): 503.
    #[error("{0}")]
    Unavailable(String),
    /// A bug or broken resource on our side: 500, details only in the log.
    #[error("{0}")]
    Internal(String),
}

impl From<crate::handlers::HandlerError> for ApiError {
    fn from(e: crate::handlers::HandlerError) -> Self {
        match e {
            crate::handlers::HandlerError::Store(e) => ApiError::Store(e),
            crate::handlers::HandlerError::Unavailable(m) => ApiError::Unavailable(m),
        }
    }
}

impl ApiError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Auth(_) | ApiError::Signature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Install(e) => e.status(),
            ApiError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, %status, "request refused");
        }
        // Internal details stay in the log; callers get a stable message.
        let message = match &self {
            ApiError::Store(StoreError::Conflict(_)) => "concurrent change; retry".to_owned(),
            ApiError::Store(_) => "internal storage error".to_owned(),
            ApiError::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if matches!(self, ApiError::Auth(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("JWT"));
        }
        // A refused-for-now caller is told when to come back (RFC 9110 Retry-After).
        let retry_after = match &self {
            ApiError::Install(InstallError::CheckedLately(_)) => Some(DELETE_CHECK_SECS),
            ApiError::Install(InstallError::TooManyAttempts(_)) => Some(60),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
