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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Incident, IncidentState, Stamp};
    use crate::store::test_db::fresh_database;
    use crate::store::tests::installation;
    use crate::store::{Queue, QueueId};

    fn incident(title: &str) -> Incident {
        Incident {
            number: 0,
            room_id: 7,
            title: title.into(),
            state: IncidentState::Open,
            opened: Stamp {
                by: "Ann".into(),
                by_id: Some(1),
                at: 100,
            },
            acknowledged: None,
            resolved: None,
            issue: None,
        }
    }

    /// A sled store holding an installation, its token-less settings, two incidents, queue
    /// entries in both queues (one dequeued, so ids have gaps) and a delivery claim.
    async fn sled_with_data(dir: &std::path::Path) -> (Store, Vec<QueueId>) {
        let store = Store::open(dir).unwrap();
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &installation("inst", Some(7), 1));
        store.claim(&mut batch, "msg:42", 100, 3600);
        store.commit(batch).await.unwrap();
        for title in ["db down", "disk full"] {
            let mut batch = Batch::new();
            store
                .stage_new_incident(&mut batch, "inst", incident(title))
                .await
                .unwrap();
            store.commit(batch).await.unwrap();
        }
        let mut ids: Vec<QueueId> = Vec::new();
        let mut batch = Batch::new();
        for n in 0..3u32 {
            ids.push(store.enqueue(&mut batch, Queue::Outbox, &n).await.unwrap());
        }
        store
            .enqueue(&mut batch, Queue::Inbox, &"job")
            .await
            .unwrap();
        store.commit(batch).await.unwrap();
        let mut batch = Batch::new();
        store.dequeue(&mut batch, Queue::Outbox, ids.remove(0));
        store.commit(batch).await.unwrap();
        (store, ids)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sled_store_is_copied_whole_into_an_empty_database_once() {
        let Some(url) = fresh_database().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let (sled, outbox_ids) = sled_with_data(dir.path()).await;
        let pg = Store::open_postgres(&url, 2).await.unwrap();

        let copied = sled.copy_into(&pg).await.unwrap();
        assert_eq!(copied.len(), Keyspace::ALL.len());
        let count = |space| copied.iter().find(|c| c.space == space).unwrap().target;
        assert_eq!(count(Keyspace::Installations), 1);
        assert_eq!(count(Keyspace::Outbox), 2);
        assert_eq!(count(Keyspace::Inbox), 1);
        assert_eq!(count(Keyspace::Seen), 1);
        assert!(copied.iter().all(|c| c.source == c.target));

        // Everything reads back through the store's own interface.
        assert_eq!(
            pg.installation("inst").await.unwrap(),
            Some(installation("inst", Some(7), 1))
        );
        assert_eq!(pg.incident_count("inst").await, 2);
        assert_eq!(
            pg.incident("inst", 2).await.unwrap().unwrap().title,
            "disk full"
        );
        assert_eq!(pg.active_incidents("inst", 7).await.unwrap().len(), 2);
        let outbox: Vec<(QueueId, u32)> = pg.queued(Queue::Outbox).await.unwrap();
        assert_eq!(outbox, [(outbox_ids[0], 1), (outbox_ids[1], 2)]);
        assert!(
            pg.is_claimed("msg:42", 200).await.unwrap(),
            "dedupe survives"
        );
        let mut again = Batch::new();
        pg.claim(&mut again, "msg:42", 200, 3600);
        assert!(matches!(
            pg.commit(again).await,
            Err(StoreError::Duplicate(_))
        ));
        // The next incident number and queue id continue after the copied ones.
        let mut batch = Batch::new();
        let third = pg
            .stage_new_incident(&mut batch, "inst", incident("third"))
            .await
            .unwrap();
        let next = pg.enqueue(&mut batch, Queue::Outbox, &9u32).await.unwrap();
        pg.commit(batch).await.unwrap();
        assert_eq!(third.number, 3);
        assert!(next > outbox_ids[1], "{next:?} after {outbox_ids:?}");

        // A second copy into the now non-empty database is refused, and changes nothing.
        match sled.copy_into(&pg).await {
            Err(e @ StoreError::NotEmpty(_)) => {
                assert!(e.to_string().contains("not empty"), "{e}")
            }
            other => panic!("expected NotEmpty, got {other:?}"),
        }
        assert_eq!(pg.incident_count("inst").await, 3);
    }
}
