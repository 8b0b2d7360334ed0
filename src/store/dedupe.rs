//! Claims on delivery ids (message ids, dynaBOARD event ids) so each is acted on once.
//!
//! A claim is written in the same batch as the work it guards and expires after a while
//! (at least 15 minutes, DESIGN.md "Dedupe"); expired claims are swept in the background.

use super::{Batch, Keyspace, Store, StoreError, StoreResult, claim_expiry, claim_value};

impl Store {
    /// Adds a claim on `key` to the batch; committing fails with `Duplicate` if it is held.
    pub fn claim(&self, batch: &mut Batch, key: &str, now: i64, ttl_secs: i64) {
        batch.claim(Keyspace::Seen, key.as_bytes().to_vec(), now, now + ttl_secs);
    }

    /// Whether an unexpired claim on `key` exists.
    pub async fn is_claimed(&self, key: &str, now: i64) -> StoreResult<bool> {
        self.claim_held(Keyspace::Seen, key.as_bytes(), now).await
    }

    /// Writes claims held elsewhere (in memory) as they are: `(key, expiry)`. A claim already
    /// stored is the same claim and keeps the later expiry.
    pub async fn keep_claims(&self, claims: &[(String, i64)]) -> StoreResult<()> {
        for (key, expires_at) in claims {
            let key = key.as_bytes();
            // Read, then write the later expiry on condition nobody changed it meanwhile.
            loop {
                let old = self.get_raw(Keyspace::Seen, key).await?;
                let kept = old
                    .as_deref()
                    .map_or(i64::MIN, claim_expiry)
                    .max(*expires_at);
                let mut batch = Batch::new();
                batch.expect_bytes(Keyspace::Seen, key.to_vec(), old);
                batch.put_bytes(Keyspace::Seen, key.to_vec(), claim_value(kept).to_vec());
                match self.apply(batch).await {
                    Err(StoreError::Conflict(_)) => continue,
                    done => break done?,
                }
            }
        }
        Ok(())
    }

    /// Removes expired claims; returns how many.
    pub async fn sweep_claims(&self, now: i64) -> StoreResult<usize> {
        let mut removed = 0;
        for (k, v) in self.scan_raw(Keyspace::Seen, b"").await? {
            if claim_expiry(&v) <= now {
                // Only remove the value we looked at; a fresh claim raced in stays.
                let mut batch = Batch::new();
                batch.expect_bytes(Keyspace::Seen, k.clone(), Some(v));
                batch.remove(Keyspace::Seen, k);
                match self.apply(batch).await {
                    Ok(()) => removed += 1,
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }
}
