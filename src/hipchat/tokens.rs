//! Access tokens (HIPCHAT-CONNECT.md §4): one cached token per installation, renewed ahead of
//! `expires_in` on demand and by a background sweep, one request at a time per installation.
//! A 401 from the token endpoint means the client was revoked: the installation is marked so.

use std::collections::HashMap;
use std::sync::Mutex;

use super::client::{HipChatClient, HipChatError};
use super::wire::TokenResponse;
use crate::clock::Clock;
use crate::locks::KeyedLocks;
use crate::model::{Installation, StoredToken};
use crate::store::{Batch, Store, StoreError};

/// A token is renewed on demand when less than this is left.
const RENEW_MARGIN_SECS: i64 = 60;
/// The background sweep renews tokens with less than this left...
const SWEEP_MARGIN_SECS: i64 = 300;
/// ...but only for installations used within this window.
const ACTIVE_WINDOW_SECS: i64 = 3600;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// HipChat refused the credentials; the installation is marked revoked.
    #[error("installation {0} was revoked in HipChat")]
    Revoked(String),
    /// The installation is already marked revoked.
    #[error("installation {0} is revoked")]
    Inactive(String),
    /// The token endpoint failed otherwise.
    #[error(transparent)]
    HipChat(#[from] HipChatError),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The token cache.
pub struct Tokens {
    store: Store,
    client: HipChatClient,
    scopes: Vec<String>,
    clock: Clock,
    /// Per-installation locks, so concurrent callers share one token request.
    in_flight: KeyedLocks,
    /// Tokens in memory, in front of the stored ones: every HipChat call needs one.
    memo: Mutex<HashMap<String, StoredToken>>,
}

impl Tokens {
    /// A cache asking for `scopes` (the descriptor's).
    pub fn new(store: Store, client: HipChatClient, scopes: Vec<String>, clock: Clock) -> Tokens {
        Tokens {
            store,
            client,
            scopes,
            clock,
            in_flight: KeyedLocks::default(),
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// A valid access token for the installation.
    pub async fn get(&self, installation: &Installation) -> Result<String, TokenError> {
        if !installation.is_active() {
            return Err(TokenError::Inactive(installation.oauth_id.clone()));
        }
        let now = self.clock.unix();
        if let Some(token) = self.fresh(&installation.oauth_id, now).await? {
            return Ok(token);
        }
        let _turn = self.in_flight.lock(&installation.oauth_id).await;
        // Whoever held the lock before us may have fetched one already.
        if let Some(token) = self
            .fresh(&installation.oauth_id, self.clock.unix())
            .await?
        {
            return Ok(token);
        }
        self.renew(installation).await
    }

    /// Forgets the cached token (HipChat answered 401 to it).
    pub async fn invalidate(&self, oauth_id: &str) -> Result<(), TokenError> {
        lock(&self.memo).remove(oauth_id);
        Ok(self.store.drop_token(oauth_id).await?)
    }

    /// Renews tokens of recently used installations that expire soon; returns how many.
    pub async fn sweep(&self) -> usize {
        let now = self.clock.unix();
        let due = match self.store.tokens().await {
            Ok(tokens) => tokens,
            Err(e) => {
                tracing::error!(error = %e, "token sweep cannot read tokens");
                return 0;
            }
        };
        let mut renewed = 0;
        for (oauth_id, token) in due {
            if token.expires_at - now > SWEEP_MARGIN_SECS
                || now - token.last_used > ACTIVE_WINDOW_SECS
            {
                continue;
            }
            let Ok(Some(installation)) = self.store.installation(&oauth_id).await else {
                continue;
            };
            let _turn = self.in_flight.lock(&oauth_id).await;
            match self.renew_keeping_use(&installation, token.last_used).await {
                Ok(_) => renewed += 1,
                Err(e) => tracing::warn!(oauth_id, error = %e, "background token renewal failed"),
            }
        }
        renewed
    }

    /// Asks HipChat for a token with the installation's stored credentials and `scopes`, once,
    /// caching nothing: proves the credentials and every scope, or shows HipChat refusing them.
    pub async fn prove(
        &self,
        installation: &Installation,
        scopes: &[String],
    ) -> Result<TokenResponse, HipChatError> {
        prove(&self.client, installation, scopes).await
    }

    async fn fresh(&self, oauth_id: &str, now: i64) -> Result<Option<String>, TokenError> {
        let remembered = lock(&self.memo).get(oauth_id).cloned();
        let mut token = match remembered {
            Some(t) => t,
            None => match self.store.token(oauth_id).await? {
                Some(t) => t,
                None => return Ok(None),
            },
        };
        if token.expires_at - now <= RENEW_MARGIN_SECS {
            return Ok(None);
        }
        // Record use coarsely (once a minute) so the sweep knows who is active.
        if now - token.last_used > 60 {
            token.last_used = now;
            self.store.put_token(oauth_id, &token).await?;
        }
        let access = token.access_token.clone();
        lock(&self.memo).insert(oauth_id.to_owned(), token);
        Ok(Some(access))
    }

    async fn renew(&self, installation: &Installation) -> Result<String, TokenError> {
        self.renew_keeping_use(installation, self.clock.unix())
            .await
    }

    async fn renew_keeping_use(
        &self,
        installation: &Installation,
        last_used: i64,
    ) -> Result<String, TokenError> {
        let answer = self.prove(installation, &self.scopes).await;
        crate::metrics::token_renewal(match &answer {
            Ok(_) => "ok",
            Err(HipChatError::Unauthorized(_)) => "revoked",
            Err(_) => "failed",
        });
        match answer {
            Ok(t) => {
                let stored = StoredToken {
                    access_token: t.access_token.clone(),
                    expires_at: self.clock.unix() + t.expires_in as i64,
                    scope: t.scope.unwrap_or_else(|| self.scopes.join(" ")),
                    last_used,
                };
                self.store
                    .put_token(&installation.oauth_id, &stored)
                    .await?;
                lock(&self.memo).insert(installation.oauth_id.clone(), stored);
                Ok(t.access_token)
            }
            Err(HipChatError::Unauthorized(reason)) => {
                tracing::warn!(oauth_id = %installation.oauth_id, %reason, "token refused: marking installation revoked");
                self.mark_revoked(installation).await?;
                Err(TokenError::Revoked(installation.oauth_id.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn mark_revoked(&self, installation: &Installation) -> Result<(), StoreError> {
        let mut revoked = installation.clone();
        revoked.revoked_at = Some(self.clock.unix());
        let mut batch = Batch::new();
        self.store.put_installation(&mut batch, &revoked);
        self.store.commit(batch).await?;
        lock(&self.memo).remove(&installation.oauth_id);
        self.store.drop_token(&installation.oauth_id).await
    }
}

/// The client-credentials grant with an installation's stored credentials at its `token_url`: the
/// one place they are sent (the token cache, the credential checks, the uninstall proof).
pub async fn prove(
    client: &HipChatClient,
    installation: &Installation,
    scopes: &[String],
) -> Result<TokenResponse, HipChatError> {
    client
        .request_token(
            &installation.token_url,
            &installation.oauth_id,
            &installation.oauth_secret,
            scopes,
        )
        .await
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
