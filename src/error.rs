//! Why a request failed, as a typed error: the kinds a caller is told apart; the web edge
//! (`web/error.rs`) alone turns each kind into a status, headers and a JSON body.

use crate::auth::AuthError;
use crate::auth::signature::SignatureError;
use crate::hipchat::install::InstallError;
use crate::store::StoreError;

/// An error of a request's work, answered to its caller by the web edge.
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

impl From<crate::auth::VerifyError> for ApiError {
    fn from(e: crate::auth::VerifyError) -> Self {
        match e {
            crate::auth::VerifyError::Auth(e) => ApiError::Auth(e),
            crate::auth::VerifyError::Store(e) => ApiError::Store(e),
        }
    }
}

impl From<crate::handlers::HandlerError> for ApiError {
    fn from(e: crate::handlers::HandlerError) -> Self {
        match e {
            crate::handlers::HandlerError::Store(e) => ApiError::Store(e),
            crate::handlers::HandlerError::Unavailable(m) => ApiError::Unavailable(m),
        }
    }
}
