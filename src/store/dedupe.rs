//! Claims on delivery ids (message ids, dynaBOARD event ids) so each is acted on once.
//!
//! A claim is written in the same batch as the work it guards and expires after a while
//! (at least 15 minutes, DESIGN.md "Dedupe"); expired claims are swept in the background.

use super::batch::claim_expiry;
use super::{Batch, Store, StoreResult, TreeId};

impl Store {
    /// Adds a claim on `key` to the batch; committing fails with `Duplicate` if it is held.
    pub fn claim(&self, batch: &mut Batch, key: &str, now: i64, ttl_secs: i64) {
        batch.claim(TreeId::Seen, key.as_bytes().to_vec(), now, now + ttl_secs);
    }

    /// Whether an unexpired claim on `key` exists.
    pub fn is_claimed(&self, key: &str, now: i64) -> StoreResult<bool> {
        Ok(self
            .tree(TreeId::Seen)
            .get(key.as_bytes())?
            .is_some_and(|v| claim_expiry(&v) > now))
    }

    /// Writes claims held elsewhere (in memory) as they are: `(key, expiry)`. A claim already
    /// stored is the same claim and keeps the later expiry.
    pub fn keep_claims(&self, claims: &[(String, i64)]) -> StoreResult<()> {
        let tree = self.tree(TreeId::Seen);
        for (key, expires_at) in claims {
            let later = |old: Option<&[u8]>| {
                let kept = old.map_or(i64::MIN, claim_expiry).max(*expires_at);
                Some(kept.to_be_bytes().to_vec())
            };
            tree.update_and_fetch(key.as_bytes(), later)?;
        }
        Ok(())
    }

    /// Removes expired claims; returns how many.
    pub fn sweep_claims(&self, now: i64) -> StoreResult<usize> {
        let tree = self.tree(TreeId::Seen);
        let mut removed = 0;
        for kv in tree.iter() {
            let (k, v) = kv?;
            if claim_expiry(&v) <= now {
                // Only remove the value we looked at; a fresh claim raced in stays.
                if tree.compare_and_swap(&k, Some(v), None::<&[u8]>)?.is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}
