//! Installations removed lately, remembered for a bounded while: HipChat's two uninstall flows
//! (the `DELETE` and the `uninstalledUrl` redirect) may come in either order, and the second must
//! still find the HipChat the first one removed the last installation of.

use super::{Batch, Keyspace, Store, StoreResult};
use crate::model::{Installation, KnownHipChat, REMEMBERED_AT_MOST, Removed};

impl Store {
    /// The installation `oauth_id` if it was removed less than
    /// [`REMEMBERED_FOR_SECS`](crate::model::REMEMBERED_FOR_SECS) before `now`.
    pub async fn removed_installation(
        &self,
        oauth_id: &str,
        now: i64,
    ) -> StoreResult<Option<Removed>> {
        let found: Option<Removed> = self.get(Keyspace::Removed, oauth_id.as_bytes()).await?;
        Ok(found.filter(|r| r.remembered_at(now)))
    }

    /// HipChats whose installations were removed less than
    /// [`REMEMBERED_FOR_SECS`](crate::model::REMEMBERED_FOR_SECS) before `now`.
    pub(super) async fn recently_left_hipchats(&self, now: i64) -> StoreResult<Vec<KnownHipChat>> {
        let all = self
            .inner
            .removed
            .get(|| async {
                let removed: Vec<(Vec<u8>, Removed)> = self.scan(Keyspace::Removed, b"").await?;
                Ok(std::sync::Arc::new(
                    removed.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
                ))
            })
            .await?;
        Ok(all
            .iter()
            .filter(|r| r.remembered_at(now))
            .map(|r| r.hipchat.clone())
            .collect())
    }

    /// Adds to `batch` the memory of `installation`, removed at `now`, and forgets what is past
    /// [`REMEMBERED_FOR_SECS`](crate::model::REMEMBERED_FOR_SECS) or beyond [`REMEMBERED_AT_MOST`].
    pub(super) async fn remember_removed(
        &self,
        batch: &mut Batch,
        installation: &Installation,
        now: i64,
    ) -> StoreResult<()> {
        self.remember_removed_within(batch, installation, now, REMEMBERED_AT_MOST)
            .await
    }

    /// [`Store::remember_removed`], keeping at most `limit`.
    pub(super) async fn remember_removed_within(
        &self,
        batch: &mut Batch,
        installation: &Installation,
        now: i64,
        limit: usize,
    ) -> StoreResult<()> {
        let mut kept: Vec<Removed> = self
            .scan::<Removed>(Keyspace::Removed, b"")
            .await?
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| r.oauth_id != installation.oauth_id)
            .collect();
        kept.sort_by_key(|r| std::cmp::Reverse(r.removed_at));
        let forget = kept
            .iter()
            .enumerate()
            .filter(|(i, r)| *i + 1 >= limit || !r.remembered_at(now));
        for (_, r) in forget {
            batch.remove(Keyspace::Removed, r.oauth_id.as_bytes().to_vec());
        }
        let removed = Removed {
            oauth_id: installation.oauth_id.clone(),
            hipchat: KnownHipChat {
                capabilities_url: installation.capabilities_url.clone(),
                homepage: installation.homepage.clone(),
            },
            removed_at: now,
        };
        batch.put(
            Keyspace::Removed,
            installation.oauth_id.as_bytes().to_vec(),
            &removed,
        );
        Ok(())
    }
}
