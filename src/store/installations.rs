//! Installations (keyed by oauthId) and their cached access tokens.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use super::{Batch, Store, StoreResult, TreeId};

/// Decoded installations, in front of the tree. Any write to the tree clears it and bumps the
/// generation, so a reader that read the tree before the write cannot put back a stale value.
/// Only existing installations are cached: unknown issuers (forged tokens) cannot grow it.
#[derive(Default)]
pub(super) struct Cache {
    inner: RwLock<(u64, HashMap<String, Installation>)>,
}

/// A HipChat the add-on is (or lately was) installed in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KnownHipChat {
    /// Its capabilities document.
    pub capabilities_url: String,
    /// Its web home.
    pub homepage: String,
}

/// Most installations kept decoded at once.
const CACHE_LIMIT: usize = 20_000;

/// One installation of the add-on: a room or a whole group (HIPCHAT-CONNECT.md §3.5).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Installation {
    /// OAuth client id, the primary key and the JWT `iss`.
    pub oauth_id: String,
    /// Shared secret for JWTs and token requests.
    pub oauth_secret: String,
    /// HipChat group.
    pub group_id: i64,
    /// Group name from the token response.
    #[serde(default)]
    pub group_name: Option<String>,
    /// Room of a room installation; `None` for a global one.
    #[serde(default)]
    pub room_id: Option<i64>,
    /// HipChat's capabilities document.
    pub capabilities_url: String,
    /// OAuth2 token endpoint.
    pub token_url: String,
    /// REST API base, always ending in `/`.
    pub api_url: String,
    /// HipChat web origin (hosts `all.js`).
    pub homepage: String,
    /// Unix milliseconds of installation (orders installations made in the same second).
    pub installed_at_ms: i64,
    /// Set when the token endpoint refused the credentials: the client was revoked.
    #[serde(default)]
    pub revoked_at: Option<i64>,
}

impl Installation {
    /// Whether the installation may still be used.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// Whether this installation serves `room_id`: its own room, or any room for a global one.
    pub fn covers_room(&self, room_id: i64) -> bool {
        self.room_id.is_none_or(|own| own == room_id)
    }
}

/// A cached OAuth access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredToken {
    /// The bearer token.
    pub access_token: String,
    /// Unix seconds when HipChat stops accepting it.
    pub expires_at: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Unix seconds of the last use, so idle installations are not renewed forever.
    pub last_used: i64,
}

impl Store {
    /// One installation by oauthId.
    pub fn installation(&self, oauth_id: &str) -> StoreResult<Option<Installation>> {
        let cache = &self.inner.installations.inner;
        let generation = {
            let read = cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some(found) = read.1.get(oauth_id) {
                return Ok(Some(found.clone()));
            }
            read.0
        };
        let found: Option<Installation> = self.get(TreeId::Installations, oauth_id.as_bytes())?;
        if let Some(installation) = &found {
            let mut write = cache.write().unwrap_or_else(|p| p.into_inner());
            if write.0 == generation {
                if write.1.len() >= CACHE_LIMIT {
                    write.1.clear();
                }
                write.1.insert(oauth_id.to_owned(), installation.clone());
            }
        }
        Ok(found)
    }

    /// Every HipChat with an installation, or with one removed less than
    /// [`super::REMEMBERED_FOR_SECS`] before `now` (Unix seconds), each once: the uninstall
    /// redirect may come after the `DELETE` removed the last installation of its HipChat.
    pub fn known_hipchats(&self, now: i64) -> StoreResult<Vec<KnownHipChat>> {
        let mut known = self.installed_hipchats()?.to_vec();
        known.extend(self.recently_left_hipchats(now)?);
        known.sort();
        known.dedup();
        Ok(known)
    }

    /// Every HipChat with an installation, each once. Cached until installations change: the
    /// unsigned uninstall redirect asks, and must stay cheap.
    fn installed_hipchats(&self) -> StoreResult<Arc<Vec<KnownHipChat>>> {
        self.inner.known_hipchats.get(|| {
            let mut known: Vec<KnownHipChat> = self
                .installations()?
                .into_iter()
                .map(|i| KnownHipChat {
                    capabilities_url: i.capabilities_url,
                    homepage: i.homepage,
                })
                .collect();
            known.sort();
            known.dedup();
            Ok(Arc::new(known))
        })
    }

    /// Called after a batch wrote the installations tree.
    pub(super) fn installations_changed(&self) {
        let mut write = self
            .inner
            .installations
            .inner
            .write()
            .unwrap_or_else(|p| p.into_inner());
        write.0 += 1;
        write.1.clear();
    }

    /// Every installation, oldest key first.
    pub fn installations(&self) -> StoreResult<Vec<Installation>> {
        Ok(self
            .scan(TreeId::Installations, b"")?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// Number of installations.
    pub fn installation_count(&self) -> usize {
        self.count(TreeId::Installations, b"")
    }

    /// Adds (or replaces) an installation to the batch.
    pub fn put_installation(&self, batch: &mut Batch, installation: &Installation) {
        batch.put(
            TreeId::Installations,
            installation.oauth_id.as_bytes().to_vec(),
            installation,
        );
    }

    /// The cached token of an installation.
    pub fn token(&self, oauth_id: &str) -> StoreResult<Option<StoredToken>> {
        self.get(TreeId::Tokens, oauth_id.as_bytes())
    }

    /// Every cached token with its installation id.
    pub fn tokens(&self) -> StoreResult<Vec<(String, StoredToken)>> {
        Ok(self
            .scan(TreeId::Tokens, b"")?
            .into_iter()
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
            .collect())
    }

    /// Caches a token. Not flushed: a lost token is simply requested again.
    pub fn put_token(&self, oauth_id: &str, token: &StoredToken) -> StoreResult<()> {
        let mut batch = Batch::new();
        batch.put(TreeId::Tokens, oauth_id.as_bytes().to_vec(), token);
        self.apply(batch)
    }

    /// Forgets a cached token (HipChat refused it).
    pub fn drop_token(&self, oauth_id: &str) -> StoreResult<()> {
        let mut batch = Batch::new();
        batch.remove(TreeId::Tokens, oauth_id.as_bytes().to_vec());
        self.apply(batch)
    }
}
