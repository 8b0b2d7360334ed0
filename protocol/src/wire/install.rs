//! Installation (§3): what HipChat POSTs to the add-on's callback, and HipChat's own capabilities
//! document (§2.5) the add-on reads during it.

use super::ids::{id_from_number_or_string, opt_id_from_number_or_string};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The body HipChat POSTs to `installable.callbackUrl` (§3.1), also served by `installable_url`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InstallPayload {
    /// URL of HipChat's capabilities document.
    pub capabilities_url: String,
    /// OAuth client id of this installation (the JWT `iss`).
    pub oauth_id: String,
    /// Shared secret: signs HipChat's JWTs and authenticates our token requests.
    pub oauth_secret: String,
    /// The HipChat group (tenant).
    #[serde(deserialize_with = "id_from_number_or_string")]
    pub group_id: i64,
    /// Present only for room installations.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_id_from_number_or_string"
    )]
    pub room_id: Option<i64>,
}

/// The body HipChat POSTs to `installable.updateCallbackUrl` (§3.2): no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePayload {
    /// URL of HipChat's capabilities document.
    pub capabilities_url: String,
    /// The preserved OAuth client id.
    pub oauth_id: String,
    /// Present only for room installations.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_id_from_number_or_string"
    )]
    pub room_id: Option<i64>,
}

/// HipChat's own capabilities document (§2.5), the parts an add-on reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerCapabilities {
    /// `links.self` must equal the URL the document was fetched from.
    pub links: ServerLinks,
    /// Token endpoint and API base.
    #[serde(default)]
    pub capabilities: ServerCapabilitySet,
    /// Everything else HipChat put there, kept so the sandbox can serve a complete document.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `links` of HipChat's capabilities document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerLinks {
    /// The document's own URL.
    #[serde(rename = "self")]
    pub self_url: String,
    /// REST API base without a trailing slash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// Web origin of the HipChat instance (hosts `atlassian-connect/all.js`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// Anything else.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `capabilities` of HipChat's capabilities document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerCapabilitySet {
    /// OAuth2 endpoints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth2_provider: Option<OAuth2Provider>,
    /// REST API location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hipchat_api_provider: Option<ApiProvider>,
    /// Anything else.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `capabilities.oauth2Provider`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Provider {
    /// Where add-ons obtain access tokens.
    pub token_url: String,
    /// Authorization endpoint for user grants (unused by add-ons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
}

/// `capabilities.hipchatApiProvider`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiProvider {
    /// REST API base, with a trailing slash.
    pub url: String,
    /// Scopes the server offers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_scopes: Option<Value>,
}
