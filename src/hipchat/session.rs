//! The HipChat session of an installation: every outbound call gets its token here (renewed ahead
//! of expiry, and once after a 401), is admitted by the pacer (HipChat's per-token and per-room
//! limits) and is retried on transient failures as its [`Policy`] says.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::client::{Api, HipChatClient, HipChatError};
use super::pacer::{Pacer, RateLimits};
use super::retry::Policy;
use super::tokens::{TokenError, Tokens};
use crate::clock::Clock;
use crate::model::Installation;
use crate::store::Store;

/// Why a call through a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// HipChat failed or refused.
    #[error(transparent)]
    HipChat(#[from] HipChatError),
}

/// Which of HipChat's limits a call counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Any call: the token's budget (500 per 5 minutes).
    Call,
    /// A message posted to a room: the token's budget and the room's (30 a minute).
    Post {
        /// The room posted to.
        room_id: i64,
    },
}

/// What one attempt of a call is given: the installation's API and a current token.
pub struct Access<'a> {
    base: &'a str,
    token: String,
}

impl Access<'_> {
    /// The REST API to call.
    pub fn api(&self) -> Api<'_> {
        Api {
            base: self.base,
            token: &self.token,
        }
    }
}

/// The sessions of every installation (one per app): the token cache and the pacer they share.
pub struct Sessions {
    client: HipChatClient,
    tokens: Arc<Tokens>,
    pacer: Pacer,
    clock: Clock,
}

impl Sessions {
    /// Sessions calling through `client` with `tokens`, keeping `limits` (together with every
    /// other instance on a shared `store`), waiting on `clock`.
    pub fn new(
        client: HipChatClient,
        tokens: Arc<Tokens>,
        limits: RateLimits,
        store: &Store,
        clock: Clock,
    ) -> Sessions {
        let pacer = Pacer::new(limits, clock.clone());
        let pacer = match store.is_shared() {
            true => pacer.shared_through(store.clone()),
            false => pacer,
        };
        Sessions {
            client,
            tokens,
            pacer,
            clock,
        }
    }

    /// The session of `installation`.
    pub fn of<'a>(&'a self, installation: &'a Installation) -> Session<'a> {
        Session {
            sessions: self,
            installation,
        }
    }

    /// The REST client the calls are made with.
    pub fn client(&self) -> &HipChatClient {
        &self.client
    }

    /// The token cache.
    pub fn tokens(&self) -> &Arc<Tokens> {
        &self.tokens
    }
}

/// One installation's session.
pub struct Session<'a> {
    sessions: &'a Sessions,
    installation: &'a Installation,
}

impl<'a> Session<'a> {
    /// Makes a call, waiting for the pacer and retrying transient failures as `policy` allows.
    /// `call` is one attempt; it may be made several times.
    pub async fn call<T, F, Fut>(
        &self,
        policy: Policy,
        pace: Pace,
        mut call: F,
    ) -> Result<T, SessionError>
    where
        F: FnMut(Access<'a>) -> Fut,
        Fut: Future<Output = Result<T, HipChatError>>,
    {
        let clock = &self.sessions.clock;
        let start = clock.now();
        let spent = || (clock.now() - start).to_std().unwrap_or_default();
        let mut attempt = 0;
        loop {
            let error = match self.attempt(pace, &mut call).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(SessionError::HipChat(e))) => e,
                Ok(Err(e)) => return Err(e),
                Err(wait) if policy.may_wait(spent(), wait) => {
                    clock.sleep(wait).await;
                    continue;
                }
                Err(wait) => {
                    // Over the pacer's budget for longer than the caller can wait: what HipChat
                    // would answer, without asking it.
                    let reset = clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    return Err(SessionError::HipChat(HipChatError::RateLimited {
                        reset_at: Some(reset.timestamp()),
                        flood: matches!(pace, Pace::Post { .. }),
                    }));
                }
            };
            attempt += 1;
            match policy.retry_after(&error, attempt, spent(), clock.unix()) {
                Some(wait) => {
                    tracing::info!(oauth_id = %self.installation.oauth_id, attempt, ?wait, %error, "HipChat call failed; will retry");
                    clock.sleep(wait).await;
                }
                None => return Err(error.into()),
            }
        }
    }

    /// One attempt, without waiting: `Err(wait)` when the pacer has no room for it yet. A 401
    /// drops the cached token and the call is made once more with a fresh one.
    pub async fn attempt<T, F, Fut>(
        &self,
        pace: Pace,
        call: &mut F,
    ) -> Result<Result<T, SessionError>, Duration>
    where
        F: FnMut(Access<'a>) -> Fut,
        Fut: Future<Output = Result<T, HipChatError>>,
    {
        let installation = self.installation;
        let mut renewed = false;
        loop {
            let token = match self.sessions.tokens.get(installation).await {
                Ok(token) => token,
                Err(e) => return Ok(Err(e.into())),
            };
            let (room_id, posts_message) = match pace {
                Pace::Call => (0, false),
                Pace::Post { room_id } => (room_id, true),
            };
            // Held until the answer is in: the call's place in the window is when it finished.
            let permit = self
                .sessions
                .pacer
                .try_admit_everywhere(&installation.oauth_id, room_id, posts_message)
                .await
                .inspect_err(|wait| crate::metrics::pacing_wait(*wait))?;
            let answer = call(Access {
                base: &installation.api_url,
                token,
            })
            .await;
            drop(permit);
            match answer {
                Err(HipChatError::Unauthorized(reason)) if !renewed => {
                    // The cached token may have been revoked early; one fresh token, then judge.
                    tracing::info!(oauth_id = %installation.oauth_id, %reason, "token refused; renewing it once");
                    renewed = true;
                    if let Err(e) = self
                        .sessions
                        .tokens
                        .invalidate(&installation.oauth_id)
                        .await
                    {
                        tracing::warn!(error = %e, "cannot drop cached token");
                    }
                }
                answer => return Ok(answer.map_err(SessionError::from)),
            }
        }
    }
}
