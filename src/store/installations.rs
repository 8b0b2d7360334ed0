//! Installations (keyed by oauthId) and their cached access tokens.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{Batch, Keyspace, Store, StoreResult};
use crate::model::{Installation, KnownHipChat, StoredToken};

/// Decoded installations, in front of the tree. Any write to the tree clears it and bumps the
/// generation, so a reader that read the tree before the write cannot put back a stale value.
/// Only existing installations are cached: unknown issuers (forged tokens) cannot grow it.
#[derive(Default)]
pub(super) struct Cache {
    inner: RwLock<(u64, HashMap<String, Installation>)>,
}

/// Most installations kept decoded at once.
const CACHE_LIMIT: usize = 20_000;

impl Store {
    /// One installation by oauthId. On a store shared with other instances it is always read
    /// from the store: an uninstall or revocation through another instance takes effect at
    /// once, not when its announcement arrives.
    pub async fn installation(&self, oauth_id: &str) -> StoreResult<Option<Installation>> {
        if self.is_shared() {
            return self.get(Keyspace::Installations, oauth_id.as_bytes()).await;
        }
        self.cached_installation(oauth_id).await
    }

    /// One installation by oauthId, from the cache even on a shared store, where another
    /// instance's change shows once its announcement arrives (milliseconds later): for work a
    /// read that late cannot make unsafe, such as the outbox's calls, which HipChat refuses
    /// for a removed installation's token anyway.
    pub async fn cached_installation(&self, oauth_id: &str) -> StoreResult<Option<Installation>> {
        let cache = &self.inner.installations.inner;
        let generation = {
            let read = cache.read().unwrap_or_else(|p| p.into_inner());
            if let Some(found) = read.1.get(oauth_id) {
                return Ok(Some(found.clone()));
            }
            read.0
        };
        let found: Option<Installation> = self
            .get(Keyspace::Installations, oauth_id.as_bytes())
            .await?;
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
    /// [`crate::model::REMEMBERED_FOR_SECS`] before `now` (Unix seconds), each once: the uninstall
    /// redirect may come after the `DELETE` removed the last installation of its HipChat.
    pub async fn known_hipchats(&self, now: i64) -> StoreResult<Vec<KnownHipChat>> {
        let mut known = self.installed_hipchats().await?.to_vec();
        known.extend(self.recently_left_hipchats(now).await?);
        known.sort();
        known.dedup();
        Ok(known)
    }

    /// Every HipChat with an installation, each once. Cached until installations change: the
    /// unsigned uninstall redirect asks, and must stay cheap.
    async fn installed_hipchats(&self) -> StoreResult<Arc<Vec<KnownHipChat>>> {
        self.inner
            .known_hipchats
            .get(|| async {
                let mut known: Vec<KnownHipChat> = self
                    .installations()
                    .await?
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
            .await
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
    pub async fn installations(&self) -> StoreResult<Vec<Installation>> {
        Ok(self
            .scan(Keyspace::Installations, b"")
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }

    /// Number of installations.
    pub async fn installation_count(&self) -> usize {
        self.count(Keyspace::Installations, b"").await
    }

    /// Adds (or replaces) an installation to the batch.
    pub fn put_installation(&self, batch: &mut Batch, installation: &Installation) {
        batch.put(
            Keyspace::Installations,
            installation.oauth_id.as_bytes().to_vec(),
            installation,
        );
    }

    /// The cached token of an installation.
    pub async fn token(&self, oauth_id: &str) -> StoreResult<Option<StoredToken>> {
        self.get(Keyspace::Tokens, oauth_id.as_bytes()).await
    }

    /// Every cached token with its installation id.
    pub async fn tokens(&self) -> StoreResult<Vec<(String, StoredToken)>> {
        Ok(self
            .scan(Keyspace::Tokens, b"")
            .await?
            .into_iter()
            .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
            .collect())
    }

    /// Caches a token. Not flushed: a lost token is simply requested again.
    pub async fn put_token(&self, oauth_id: &str, token: &StoredToken) -> StoreResult<()> {
        let mut batch = Batch::new();
        batch.put(Keyspace::Tokens, oauth_id.as_bytes().to_vec(), token);
        self.apply(batch).await
    }

    /// Forgets a cached token (HipChat refused it).
    pub async fn drop_token(&self, oauth_id: &str) -> StoreResult<()> {
        let mut batch = Batch::new();
        batch.remove(Keyspace::Tokens, oauth_id.as_bytes().to_vec());
        self.apply(batch).await
    }
}
