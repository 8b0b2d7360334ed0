//! Short-lived cache of dynaBOARD issues, per installation (DESIGN.md: TTL at most 60 s).

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::{CachedIssue, IssueKey};

fn key(oauth_id: &str, issue: &IssueKey) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(issue.as_str().as_bytes());
    k
}

impl Store {
    /// The cached issue, however old; callers judge freshness.
    pub async fn cached_issue(
        &self,
        oauth_id: &str,
        issue: &IssueKey,
    ) -> StoreResult<Option<CachedIssue>> {
        self.get(Keyspace::IssueCache, &key(oauth_id, issue)).await
    }

    /// Caches an issue. Not flushed: losing a cache entry costs one lookup.
    pub async fn cache_issue(&self, oauth_id: &str, cached: &CachedIssue) -> StoreResult<()> {
        let mut batch = Batch::new();
        batch.put(
            Keyspace::IssueCache,
            key(oauth_id, &cached.issue.key),
            cached,
        );
        self.apply(batch).await
    }

    /// Forgets an installation's cached issues (its connection changed).
    pub async fn clear_issue_cache(&self, oauth_id: &str) -> StoreResult<()> {
        let mut batch = Batch::new();
        for k in self
            .keys(Keyspace::IssueCache, &installation_prefix(oauth_id))
            .await?
        {
            batch.remove(Keyspace::IssueCache, k);
        }
        self.apply(batch).await
    }

    /// Removes entries fetched before `older_than`; returns how many.
    pub async fn sweep_issue_cache(&self, older_than: i64) -> StoreResult<usize> {
        let stale: Vec<Vec<u8>> = self
            .scan::<CachedIssue>(Keyspace::IssueCache, b"")
            .await?
            .into_iter()
            .filter(|(_, c)| c.fetched_at < older_than)
            .map(|(k, _)| k)
            .collect();
        let n = stale.len();
        let mut batch = Batch::new();
        for k in stale {
            batch.remove(Keyspace::IssueCache, k);
        }
        self.apply(batch).await?;
        Ok(n)
    }
}
