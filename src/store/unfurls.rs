//! When each issue was last unfurled in each room, so a link is not unfurled again too soon.

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::IssueKey;

fn key(oauth_id: &str, room_id: i64, issue: &IssueKey) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(format!("{room_id}/{issue}").as_bytes());
    k
}

impl Store {
    /// Unix seconds of the last unfurl of `issue` in the room.
    pub async fn unfurled_at(
        &self,
        oauth_id: &str,
        room_id: i64,
        issue: &IssueKey,
    ) -> StoreResult<Option<i64>> {
        self.get(Keyspace::Unfurls, &key(oauth_id, room_id, issue))
            .await
    }

    /// Records an unfurl in the batch that posts it.
    pub fn mark_unfurled(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        room_id: i64,
        issue: &IssueKey,
        at: i64,
    ) {
        batch.put(Keyspace::Unfurls, key(oauth_id, room_id, issue), &at);
    }

    /// Forgets unfurls older than `older_than`; returns how many.
    pub async fn sweep_unfurls(&self, older_than: i64) -> StoreResult<usize> {
        let stale: Vec<Vec<u8>> = self
            .scan::<i64>(Keyspace::Unfurls, b"")
            .await?
            .into_iter()
            .filter(|(_, at)| *at < older_than)
            .map(|(k, _)| k)
            .collect();
        let n = stale.len();
        let mut batch = Batch::new();
        for k in stale {
            batch.remove(Keyspace::Unfurls, k);
        }
        self.apply(batch).await?;
        Ok(n)
    }
}
