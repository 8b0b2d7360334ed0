//! The dynaBOARD REST client (JIRA REST v2 shape, DESIGN.md): one bounded call, typed failures.
//!
//! It only ever calls the connection's own origin; redirects are not followed (a redirect could
//! lead anywhere), so a dynaBOARD that redirects is reported, not obeyed.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use super::issue::{Issue, IssueKey};
use crate::net;

/// Time budget of one dynaBOARD call.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BODY: usize = 2 * 1024 * 1024;

/// Where and how to reach one dynaBOARD.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Connection {
    /// Base URL without a trailing slash (may have a path prefix).
    pub url: Url,
    /// API token.
    pub token: String,
}

impl Connection {
    /// `{base}/{path}` (path without a leading slash).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.url.as_str().trim_end_matches('/'))
    }

    /// Where people open an issue.
    pub fn browse_url(&self, key: &IssueKey) -> String {
        self.endpoint(&format!("browse/{key}"))
    }
}

/// Why a dynaBOARD call failed, in words a room can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// 404.
    #[error("{0} was not found in dynaBOARD")]
    NotFound(IssueKey),
    /// 403.
    #[error("dynaBOARD does not let this add-on see {0} (no permission)")]
    NoPermission(IssueKey),
    /// 401.
    #[error("dynaBOARD refused the token (401); check the API token in the configuration")]
    TokenRefused,
    /// No answer within the budget.
    #[error("dynaBOARD did not answer within {} seconds", LOOKUP_TIMEOUT.as_secs())]
    Timeout,
    /// Connection refused, DNS failure.
    #[error("dynaBOARD did not answer (cannot connect to {0})")]
    Unreachable(String),
    /// 5xx.
    #[error("dynaBOARD failed ({0}); try again later")]
    ServerError(u16),
    /// Another status or a redirect.
    #[error("dynaBOARD answered {0} unexpectedly")]
    Unexpected(u16),
    /// 2xx with a body that is not an issue.
    #[error("dynaBOARD's answer could not be read: {0}")]
    Malformed(String),
    /// The outbound policy forbids calling this address.
    #[error("the add-on may not call this dynaBOARD: {0}")]
    Forbidden(#[from] net::policy::Refused),
}

impl LookupError {
    /// Whether dynaBOARD itself failed (as opposed to answering about the issue).
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            LookupError::Timeout | LookupError::Unreachable(_) | LookupError::ServerError(_)
        )
    }
}

/// The client; cheap to clone.
#[derive(Debug, Clone)]
pub struct DynaboardClient {
    http: reqwest::Client,
    policy: net::OutboundPolicy,
}

impl DynaboardClient {
    /// A client that calls only what `policy` allows.
    pub fn new(policy: net::OutboundPolicy) -> DynaboardClient {
        DynaboardClient {
            http: net::guarded_client(LOOKUP_TIMEOUT, &policy),
            policy,
        }
    }

    /// The outbound policy this client keeps.
    pub fn policy(&self) -> &net::OutboundPolicy {
        &self.policy
    }

    /// Checks a connection's address against the outbound policy (names resolved), so a
    /// refusal is told in words before anything is stored or called.
    pub async fn allowed(&self, connection: &Connection) -> Result<(), LookupError> {
        Ok(self.policy.check(&connection.url).await?)
    }

    /// `GET {url}/rest/api/2/issue/{KEY}`.
    pub async fn issue(
        &self,
        connection: &Connection,
        key: &IssueKey,
    ) -> Result<Issue, LookupError> {
        let url = connection.endpoint(&format!("rest/api/2/issue/{key}"));
        let body = self.get_json(connection, &url, Some(key)).await?;
        Issue::from_jira(&body).map_err(LookupError::Malformed)
    }

    /// `GET {url}/rest/api/2/myself`: who the token belongs to (connection check).
    pub async fn myself(&self, connection: &Connection) -> Result<String, LookupError> {
        let url = connection.endpoint("rest/api/2/myself");
        let body = self.get_json(connection, &url, None).await?;
        body["displayName"]
            .as_str()
            .or(body["name"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| LookupError::Malformed("no displayName in /myself".into()))
    }

    async fn get_json(
        &self,
        connection: &Connection,
        url: &str,
        key: Option<&IssueKey>,
    ) -> Result<Value, LookupError> {
        // Names are held to the policy by the client's resolver; an address written as a
        // literal never reaches a resolver, so it is judged here.
        if !self.policy.is_trusted(&connection.url) {
            if let Some(kind) = net::policy::literal_internal(&connection.url) {
                return Err(LookupError::Forbidden(net::policy::Refused::Internal {
                    origin: connection.url.origin().ascii_serialization(),
                    kind,
                }));
            }
        }
        let started = std::time::Instant::now();
        let sent = self
            .http
            .get(url)
            .bearer_auth(&connection.token)
            .header("Accept", "application/json")
            .send()
            .await;
        crate::metrics::dynaboard_call(call_outcome(&sent), started.elapsed());
        let response = sent.map_err(|e| transport_error(connection, e))?;
        match response.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(match key {
                    Some(k) => LookupError::NotFound(k.clone()),
                    None => LookupError::Unexpected(404),
                });
            }
            StatusCode::FORBIDDEN => {
                return Err(match key {
                    Some(k) => LookupError::NoPermission(k.clone()),
                    None => LookupError::Unexpected(403),
                });
            }
            StatusCode::UNAUTHORIZED => return Err(LookupError::TokenRefused),
            s if s.is_server_error() => return Err(LookupError::ServerError(s.as_u16())),
            s => return Err(LookupError::Unexpected(s.as_u16())),
        }
        let body = net::read_body(response, MAX_BODY)
            .await
            .map_err(|e| match e {
                net::BodyError::Transport(e) => transport_error(connection, e),
                other => LookupError::Malformed(other.to_string()),
            })?;
        serde_json::from_slice(&body).map_err(|e| LookupError::Malformed(e.to_string()))
    }
}

/// The metrics label of a call's result.
fn call_outcome(sent: &Result<reqwest::Response, reqwest::Error>) -> &'static str {
    match sent {
        Ok(r) => match r.status().as_u16() {
            200..=299 => "2xx",
            401 => "401",
            403 => "403",
            404 => "404",
            500..=599 => "5xx",
            _ => "other",
        },
        Err(e) if e.is_timeout() => "timeout",
        Err(_) => "unreachable",
    }
}

fn transport_error(connection: &Connection, e: reqwest::Error) -> LookupError {
    if e.is_timeout() {
        LookupError::Timeout
    } else {
        let host = connection.url.host_str().unwrap_or("?");
        let port = connection.url.port_or_known_default().unwrap_or(0);
        LookupError::Unreachable(format!("{host}:{port}"))
    }
}
