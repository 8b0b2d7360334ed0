//! The one mapping from errors to HTTP answers: every typed error of the add-on's work and every
//! extractor rejection becomes a status, `{"error": "..."}` and its headers here, and only here.

use axum::Json;
use axum::extract::rejection::{
    BytesRejection, FormRejection, JsonRejection, PathRejection, QueryRejection,
};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::ApiError;
use crate::hipchat::install::{DELETE_CHECK_SECS, InstallError};
use crate::store::StoreError;

/// The one error shape: `status` with `{"error": message}`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The status of an installation step's failure.
fn install_status(e: &InstallError) -> StatusCode {
    match e {
        InstallError::BadPayload(_)
        | InstallError::NotAllowed(_)
        | InstallError::CapabilitiesInvalid(_)
        | InstallError::ForeignOrigin(_) => StatusCode::BAD_REQUEST,
        InstallError::CredentialsRefused(_)
        | InstallError::UnknownHipChat(_)
        | InstallError::AddressRefused(_)
        | InstallError::TooManyInstallations(_) => StatusCode::FORBIDDEN,
        InstallError::TooManyAttempts(_) | InstallError::CheckedLately(_) => {
            StatusCode::TOO_MANY_REQUESTS
        }
        InstallError::CapabilitiesUnreachable(_) => StatusCode::BAD_GATEWAY,
        InstallError::HipChatUnreachable(_) => StatusCode::SERVICE_UNAVAILABLE,
        InstallError::Unknown(_) => StatusCode::NOT_FOUND,
        InstallError::ForeignReplace(_) | InstallError::StillGranted(_) => StatusCode::CONFLICT,
        InstallError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The status of a request's failure.
fn status(e: &ApiError) -> StatusCode {
    match e {
        ApiError::Auth(_) | ApiError::Signature(_) => StatusCode::UNAUTHORIZED,
        ApiError::Install(e) => install_status(e),
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

/// How long a refused-for-now caller should wait (RFC 9110 Retry-After), in seconds.
fn retry_after(e: &ApiError) -> Option<i64> {
    match e {
        ApiError::Install(InstallError::CheckedLately(_)) => Some(DELETE_CHECK_SECS),
        ApiError::Install(InstallError::TooManyAttempts(_)) => Some(60),
        _ => None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status(&self);
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
        let mut response = json_error(status, &message);
        if matches!(self, ApiError::Auth(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("JWT"));
        }
        if let Some(secs) = retry_after(&self) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// An extractor's refusal (unreadable body, malformed JSON, form, query or path, wrong content
/// type): axum's status and message, in the one JSON shape instead of axum's plain text.
#[derive(Debug)]
pub struct Refused {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        tracing::debug!(error = %self.message, status = %self.status, "request refused");
        json_error(self.status, &self.message)
    }
}

/// Each axum rejection converts the same way: its status, its text.
macro_rules! refused_from {
    ($($rejection:ty),*) => {$(
        impl From<$rejection> for Refused {
            fn from(r: $rejection) -> Refused {
                Refused {
                    status: r.status(),
                    message: r.body_text(),
                }
            }
        }
    )*};
}

refused_from!(
    BytesRejection,
    FormRejection,
    JsonRejection,
    PathRejection,
    QueryRejection
);
