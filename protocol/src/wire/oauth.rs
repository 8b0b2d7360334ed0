//! OAuth2 tokens (§4): the token endpoint's answer.

use serde::{Deserialize, Serialize};

/// A successful answer of the token endpoint (§4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// The group the token belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// The group's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// Space-separated granted scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Always `bearer`.
    #[serde(default)]
    pub token_type: String,
}
