//! Copying every record of one store into another, empty one (`hipboard migrate --to`): the
//! records' bytes as stored, key space by key space, so nothing is decoded or reinterpreted.

use super::backend::{Backend, Keyspace};
use super::{Batch, Engine, Store, StoreError, StoreResult};

/// Records written per batch: small enough for one quick transaction, large enough that a
/// copy of many records is not one round trip per record.
const RECORDS_PER_BATCH: usize = 500;

/// One key space after a copy: how many records the source and the target hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// The key space.
    pub space: Keyspace,
    /// Records in the source.
    pub source: usize,
    /// Records in the target after the copy.
    pub target: usize,
}

impl Store {
    /// Whether no record is stored in any key space.
    pub async fn is_empty(&self) -> StoreResult<bool> {
        match &self.inner.backend {
            Engine::Postgres(pg) => pg.is_empty().await,
            engine @ Engine::Sled(_) => {
                for space in Keyspace::ALL {
                    if engine.count(space, b"").await? > 0 {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }

    /// Copies every record of this store into `target`, a PostgreSQL store that must be empty
    /// ([`StoreError::NotEmpty`] otherwise), then raises the target's ids above every queue id
    /// copied, so new queue entries sort after the copied ones. Returns each key space's counts
    /// on both sides, checked equal (`Io` otherwise). Nothing may write to either store
    /// meanwhile: sled's lock keeps a server off the source; start no instance on the target.
    /// Each space is read whole into memory, then written in batches.
    pub async fn copy_into(&self, target: &Store) -> StoreResult<Vec<Copied>> {
        let Engine::Postgres(pg) = &target.inner.backend else {
            return Err(StoreError::Io(
                "stores are copied into PostgreSQL only".to_string(),
            ));
        };
        if !target.is_empty().await? {
            return Err(StoreError::NotEmpty(pg.target().to_string()));
        }
        let mut max_id = 0u64;
        for space in Keyspace::ALL {
            let records = self.inner.backend.scan(space, b"", None).await?;
            if matches!(space, Keyspace::Inbox | Keyspace::Outbox) {
                max_id = records
                    .iter()
                    .filter_map(|(key, _)| <[u8; 8]>::try_from(key.as_slice()).ok())
                    .map(u64::from_be_bytes)
                    .fold(max_id, u64::max);
            }
            for chunk in records.chunks(RECORDS_PER_BATCH) {
                let mut batch = Batch::new();
                for (key, value) in chunk {
                    batch.put_bytes(space, key.clone(), value.clone());
                }
                target.apply(batch).await?;
            }
        }
        pg.ensure_ids_above(max_id).await?;
        target.flush().await?;

        let mut counts = Vec::with_capacity(Keyspace::ALL.len());
        for space in Keyspace::ALL {
            let copied = Copied {
                space,
                source: self.inner.backend.count(space, b"").await?,
                target: target.inner.backend.count(space, b"").await?,
            };
            if copied.source != copied.target {
                return Err(StoreError::Io(format!(
                    "copy incomplete: {} holds {} records in the source, {} in the target",
                    space.name(),
                    copied.source,
                    copied.target
                )));
            }
            counts.push(copied);
        }
        Ok(counts)
    }
}
