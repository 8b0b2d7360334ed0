//! The HipChat REST client (HIPCHAT-CONNECT.md §4, §7, §9.3): one attempt per call, typed errors.
//!
//! Retrying and pacing are layered on top (the outbox for background sends, [`super::retry`] for
//! the few synchronous calls), so every call site gets the same behaviour.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::wire::{
    CreateRoom, CreatedRoom, ErrorBody, GlanceUpdate, HistoryItem, HistoryPage, Notification,
    RoomDetails, RoomPage, ServerCapabilities, SetTopic, TokenResponse, UpdateRoom, UserDetails,
};
use crate::model::RoomKey;
use crate::net;

/// Largest HipChat answer we read.
const MAX_BODY: usize = 1024 * 1024;

/// Default time budget of one HipChat call.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How one HipChat call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HipChatError {
    /// 401: token or client credentials refused.
    #[error("HipChat refused the credentials (401): {0}")]
    Unauthorized(String),
    /// 403: typically a missing scope; the message names it.
    #[error("HipChat denied the call (403): {0}")]
    Forbidden(String),
    /// 404: room or user does not exist.
    #[error("HipChat does not know it (404): {0}")]
    NotFound(String),
    /// Other 4xx: the request itself is wrong (name taken, message too long, …).
    #[error("HipChat rejected the request ({status}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// HipChat's message.
        message: String,
    },
    /// 429: over a rate or flood limit.
    #[error("HipChat rate limit reached (429){}", reset_at.map(|t| format!("; resets at {t}")).unwrap_or_default())]
    RateLimited {
        /// Unix seconds when the limit resets, from `X-Ratelimit-Reset`/`X-FloodControl-Reset`.
        reset_at: Option<i64>,
        /// Whether it was the per-room flood control rather than the per-token rate limit.
        flood: bool,
    },
    /// 5xx.
    #[error("HipChat failed ({status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// HipChat's message.
        message: String,
    },
    /// No answer in time.
    #[error("HipChat did not answer in time")]
    Timeout,
    /// Connection refused, DNS failure, TLS failure.
    #[error("HipChat is unreachable: {0}")]
    Unreachable(String),
    /// 2xx with a body that is not what the protocol says.
    #[error("unexpected answer from HipChat: {message}")]
    Decode {
        /// What did not fit.
        message: String,
        /// The raw body, for the log.
        raw: String,
    },
}

impl HipChatError {
    /// Whether trying again later may succeed (429, 5xx, timeouts, connection failures).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            HipChatError::RateLimited { .. }
                | HipChatError::Server { .. }
                | HipChatError::Timeout
                | HipChatError::Unreachable(_)
        )
    }
}

/// What a REST call needs: the installation's API base (ending in `/`) and a bearer token.
#[derive(Debug, Clone, Copy)]
pub struct Api<'a> {
    /// `hipchatApiProvider.url`.
    pub base: &'a str,
    /// Access token.
    pub token: &'a str,
}

impl<'a> Api<'a> {
    /// The REST API of `installation`'s HipChat, called with `token`.
    pub fn of(installation: &'a crate::model::Installation, token: &'a str) -> Api<'a> {
        Api {
            base: &installation.api_url,
            token,
        }
    }
}

/// Stateless REST client; cheap to clone.
#[derive(Debug, Clone)]
pub struct HipChatClient {
    http: reqwest::Client,
    policy: net::OutboundPolicy,
}

impl HipChatClient {
    /// A client that calls only what `policy` allows.
    pub fn new(policy: net::OutboundPolicy) -> HipChatClient {
        HipChatClient {
            http: net::guarded_client(CALL_TIMEOUT, &policy),
            policy,
        }
    }

    /// The outbound policy, for checking a stranger's URL before it is stored.
    pub fn policy(&self) -> &net::OutboundPolicy {
        &self.policy
    }

    /// `GET capabilitiesUrl` (unauthenticated).
    pub async fn capabilities(&self, url: &str) -> Result<ServerCapabilities, HipChatError> {
        let response = send(self.http.get(url)).await?;
        decode(response).await
    }

    /// `GET installable_url` of the redirect flows: the installation record, readable once.
    pub async fn installable<T: DeserializeOwned>(&self, url: &str) -> Result<T, HipChatError> {
        let response = send(self.http.get(url)).await?;
        decode(response).await
    }

    /// Client-credentials grant (§4) with HTTP Basic auth.
    pub async fn request_token(
        &self,
        token_url: &str,
        oauth_id: &str,
        oauth_secret: &str,
        scopes: &[String],
    ) -> Result<TokenResponse, HipChatError> {
        let scope = scopes.join(" ");
        let request = self
            .http
            .post(token_url)
            .basic_auth(oauth_id, Some(oauth_secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope.as_str()),
            ]);
        decode(send(request).await?).await
    }

    /// `POST /room/{room}/notification` → 204.
    pub async fn send_notification(
        &self,
        api: Api<'_>,
        room: RoomKey<'_>,
        notification: &Notification,
    ) -> Result<(), HipChatError> {
        let url = room_url(api.base, room, &["notification"])?;
        self.call_empty(api, Method::POST, url, Some(notification))
            .await
    }

    /// `POST /addon/ui/room/{room_id}` → 204.
    pub async fn update_glance(
        &self,
        api: Api<'_>,
        room_id: i64,
        update: &GlanceUpdate,
    ) -> Result<(), HipChatError> {
        let url = join(api.base, &["addon", "ui", "room", &room_id.to_string()])?;
        self.call_empty(api, Method::POST, url, Some(update)).await
    }

    /// `POST /room` → 201 `{id, links}`.
    pub async fn create_room(
        &self,
        api: Api<'_>,
        room: &CreateRoom,
    ) -> Result<CreatedRoom, HipChatError> {
        let url = join(api.base, &["room"])?;
        let response = send(self.http.post(url).bearer_auth(api.token).json(room)).await?;
        decode(response).await
    }

    /// `GET /room/{room}`.
    pub async fn room(&self, api: Api<'_>, room: RoomKey<'_>) -> Result<RoomDetails, HipChatError> {
        let url = room_url(api.base, room, &[])?;
        let response = send(self.http.get(url).bearer_auth(api.token)).await?;
        decode(response).await
    }

    /// `GET /room?start-index&max-results` (scope `view_group`): one page of the group's rooms,
    /// private ones included, archived ones not (HipChat's defaults, said explicitly).
    pub async fn rooms_page(
        &self,
        api: Api<'_>,
        start_index: u32,
        max_results: u32,
    ) -> Result<RoomPage, HipChatError> {
        let mut url = join(api.base, &["room"])?;
        url.query_pairs_mut()
            .append_pair("start-index", &start_index.to_string())
            .append_pair("max-results", &max_results.to_string())
            .append_pair("include-private", "true")
            .append_pair("include-archived", "false");
        let response = send(self.http.get(url).bearer_auth(api.token)).await?;
        decode(response).await
    }

    /// `GET /room/{room}/history/latest?max-results=…` (scope `view_messages`).
    pub async fn latest_history(
        &self,
        api: Api<'_>,
        room_id: i64,
        max: u32,
    ) -> Result<Vec<HistoryItem>, HipChatError> {
        let mut url = room_url(api.base, RoomKey::Id(room_id), &["history", "latest"])?;
        url.query_pairs_mut()
            .append_pair("max-results", &max.to_string());
        let response = send(self.http.get(url).bearer_auth(api.token)).await?;
        Ok(decode::<HistoryPage>(response).await?.items)
    }

    /// `GET /room/{room}/history?date=…&end-date=…&start-index=…&max-results=…&reverse=false`
    /// (scope `view_messages`): one page of the messages posted from `oldest` to `newest`,
    /// newest first. `reverse=false` is HipChat's order for consistent paging: with `date`
    /// fixed, a message posted meanwhile can only repeat an item on the next page, never hide one.
    pub async fn history_page(
        &self,
        api: Api<'_>,
        room_id: i64,
        range: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
        start_index: u32,
        max_results: u32,
    ) -> Result<Vec<HistoryItem>, HipChatError> {
        let (oldest, newest) = range;
        let iso = |d: chrono::DateTime<chrono::Utc>| {
            d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        };
        let mut url = room_url(api.base, RoomKey::Id(room_id), &["history"])?;
        url.query_pairs_mut()
            .append_pair("date", &iso(newest))
            .append_pair("end-date", &iso(oldest))
            .append_pair("timezone", "UTC")
            .append_pair("start-index", &start_index.to_string())
            .append_pair("max-results", &max_results.to_string())
            .append_pair("reverse", "false");
        let response = send(self.http.get(url).bearer_auth(api.token)).await?;
        Ok(decode::<HistoryPage>(response).await?.items)
    }

    /// `GET /user/{id}`.
    pub async fn user(&self, api: Api<'_>, user_id: i64) -> Result<UserDetails, HipChatError> {
        let url = join(api.base, &["user", &user_id.to_string()])?;
        let response = send(self.http.get(url).bearer_auth(api.token)).await?;
        decode(response).await
    }

    /// `PUT /room/{room}` → 204.
    pub async fn update_room(
        &self,
        api: Api<'_>,
        room: RoomKey<'_>,
        update: &UpdateRoom,
    ) -> Result<(), HipChatError> {
        let url = room_url(api.base, room, &[])?;
        self.call_empty(api, Method::PUT, url, Some(update)).await
    }

    /// `PUT /room/{room}/topic` → 204.
    pub async fn set_topic(
        &self,
        api: Api<'_>,
        room: RoomKey<'_>,
        topic: &str,
    ) -> Result<(), HipChatError> {
        let url = room_url(api.base, room, &["topic"])?;
        let body = SetTopic {
            topic: topic.to_owned(),
        };
        self.call_empty(api, Method::PUT, url, Some(&body)).await
    }

    async fn call_empty<B: Serialize>(
        &self,
        api: Api<'_>,
        method: Method,
        url: reqwest::Url,
        body: Option<&B>,
    ) -> Result<(), HipChatError> {
        let mut request = self.http.request(method, url).bearer_auth(api.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        send(request).await.map(drop)
    }
}

/// Sends and turns every non-2xx status into its typed error.
async fn send(request: RequestBuilder) -> Result<Response, HipChatError> {
    let started = std::time::Instant::now();
    let sent = request.send().await;
    crate::metrics::hipchat_call(call_outcome(&sent), started.elapsed());
    let response = sent.map_err(transport_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let reset_at = reset_header(response.headers());
    let flood = response.headers().contains_key("x-floodcontrol-reset");
    let raw = net::read_body(response, MAX_BODY)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    // Only HipChat's own error JSON is passed on: another server's body is never echoed to
    // whoever made the add-on call it (an SSRF oracle).
    let message = serde_json::from_str::<ErrorBody>(&raw)
        .map(|e| e.error.message)
        .unwrap_or_else(|_| {
            tracing::debug!(%status, body = %raw.chars().take(300).collect::<String>(), "non-HipChat error body");
            "the answer is not a HipChat error".to_owned()
        });
    Err(match status {
        StatusCode::UNAUTHORIZED => HipChatError::Unauthorized(message),
        StatusCode::FORBIDDEN => HipChatError::Forbidden(message),
        StatusCode::NOT_FOUND => HipChatError::NotFound(message),
        StatusCode::TOO_MANY_REQUESTS => HipChatError::RateLimited { reset_at, flood },
        s if s.is_server_error() => HipChatError::Server {
            status: s.as_u16(),
            message,
        },
        s => HipChatError::Rejected {
            status: s.as_u16(),
            message,
        },
    })
}

/// The metrics label of a call's result.
fn call_outcome(sent: &Result<Response, reqwest::Error>) -> &'static str {
    match sent {
        Ok(r) if r.status().is_success() => "2xx",
        Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => "429",
        Ok(r) if r.status().is_server_error() => "5xx",
        Ok(_) => "4xx",
        Err(e) if e.is_timeout() => "timeout",
        Err(_) => "unreachable",
    }
}

/// When the refused limit resets, in Unix seconds. A 429 carries both windows' headers (the
/// token's rate limit on every call, flood control on posts); only the one with nothing
/// `-Remaining` refused the call. Taking the later of the two made a flood-control refusal (reset
/// seconds away) wait for the 5-minute token window instead. When no window says it is spent, the
/// later reset is the safe guess.
fn reset_header(headers: &HeaderMap) -> Option<i64> {
    let number = |name: String| -> Option<f64> {
        headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok()
    };
    let windows: Vec<(f64, Option<f64>)> = ["x-floodcontrol", "x-ratelimit"]
        .iter()
        .filter_map(|w| {
            Some((
                number(format!("{w}-reset"))?,
                number(format!("{w}-remaining")),
            ))
        })
        .collect();
    let spent = windows
        .iter()
        .filter(|(_, remaining)| remaining.is_some_and(|r| r <= 0.0))
        .map(|(reset, _)| *reset)
        .reduce(f64::max);
    spent
        .or_else(|| windows.iter().map(|(reset, _)| *reset).reduce(f64::max))
        .map(|t| t as i64)
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, HipChatError> {
    let body = net::read_body(response, MAX_BODY)
        .await
        .map_err(|e| match e {
            net::BodyError::Transport(e) => transport_error(e),
            other => HipChatError::Decode {
                message: other.to_string(),
                raw: String::new(),
            },
        })?;
    serde_json::from_slice(&body).map_err(|e| HipChatError::Decode {
        message: e.to_string(),
        raw: String::from_utf8_lossy(&body).chars().take(2000).collect(),
    })
}

fn transport_error(e: reqwest::Error) -> HipChatError {
    if e.is_timeout() {
        HipChatError::Timeout
    } else {
        HipChatError::Unreachable(e.to_string())
    }
}

fn room_url(base: &str, room: RoomKey<'_>, rest: &[&str]) -> Result<reqwest::Url, HipChatError> {
    let id;
    let key = match room {
        RoomKey::Id(n) => {
            id = n.to_string();
            id.as_str()
        }
        RoomKey::Name(name) => name,
    };
    let mut segments = vec!["room", key];
    segments.extend_from_slice(rest);
    join(base, &segments)
}

/// `base` + percent-encoded path segments.
fn join(base: &str, segments: &[&str]) -> Result<reqwest::Url, HipChatError> {
    let mut url = reqwest::Url::parse(base)
        .map_err(|e| HipChatError::Unreachable(format!("bad API URL {base}: {e}")))?;
    url.path_segments_mut()
        .map_err(|_| HipChatError::Unreachable(format!("bad API URL {base}")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_encoded_and_bases_joined() {
        let u = room_url(
            "http://h/v2/",
            RoomKey::Name("dynaBOARD Zoë/Ops"),
            &["topic"],
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "http://h/v2/room/dynaBOARD%20Zo%C3%AB%2FOps/topic"
        );
        let u = room_url("http://h/v2", RoomKey::Id(7), &["notification"]).unwrap();
        assert_eq!(u.as_str(), "http://h/v2/room/7/notification");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_429_waits_for_the_window_that_refused() {
        // Flood control refused; the token window (5 minutes) still had room.
        let flood = headers(&[
            ("x-floodcontrol-remaining", "0"),
            ("x-floodcontrol-reset", "1000"),
            ("x-ratelimit-remaining", "480"),
            ("x-ratelimit-reset", "1290"),
        ]);
        assert_eq!(reset_header(&flood), Some(1000));
        let token = headers(&[
            ("x-floodcontrol-remaining", "12"),
            ("x-floodcontrol-reset", "1000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1290"),
        ]);
        assert_eq!(reset_header(&token), Some(1290));
        // Both spent, or no window says which: the later reset.
        let both = headers(&[
            ("x-floodcontrol-remaining", "0"),
            ("x-floodcontrol-reset", "1000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1290.5"),
        ]);
        assert_eq!(reset_header(&both), Some(1290));
        let unsaid = headers(&[
            ("x-floodcontrol-reset", "1000"),
            ("x-ratelimit-reset", "990"),
        ]);
        assert_eq!(reset_header(&unsaid), Some(1000));
        assert_eq!(reset_header(&headers(&[])), None);
    }
}
