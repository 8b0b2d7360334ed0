//! HipChat's error body: `{"error": {"code", "message", "type"}}`.

use serde::{Deserialize, Serialize};

/// HipChat's error body: `{"error": {"code", "message", "type"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// Inside [`ErrorBody`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// HTTP status code.
    pub code: u16,
    /// Human-readable reason.
    pub message: String,
    /// Status reason phrase, e.g. `Unauthorized`.
    #[serde(rename = "type", default)]
    pub kind: String,
}
