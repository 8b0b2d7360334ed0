//! Shared lanes, for several instances on one store: an index of each lane's queue entries (so
//! the first of a lane is found without reading the queue) and turns (which instance works a
//! lane now, until when). A turn is a lease: taken with the record read as its precondition,
//! so two instances cannot both take it, and free again once its holder ends it or it expires.

use serde::{Deserialize, Serialize};

use super::queue::{Queue, QueueId};
use super::{Batch, Keyspace, Store, StoreError, StoreResult};

/// Who works a lane, and until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Turn {
    holder: String,
    until: i64,
}

/// `{queue}/{hex(lane)}/`: hex keeps any lane name (room names included) from running into
/// the id that follows.
fn lane_prefix(queue: Queue, lane: &str) -> Vec<u8> {
    let mut key = queue.name().as_bytes().to_vec();
    key.push(b'/');
    for byte in lane.as_bytes() {
        key.extend_from_slice(format!("{byte:02x}").as_bytes());
    }
    key.push(b'/');
    key
}

fn index_key(queue: Queue, lane: &str, id: QueueId) -> Vec<u8> {
    let mut key = lane_prefix(queue, lane);
    key.extend_from_slice(&id.0.to_be_bytes());
    key
}

impl Store {
    /// Adds entry `id` of `queue` to the index of `lane`, in the batch that enqueues it.
    pub fn index_in_lane(&self, batch: &mut Batch, queue: Queue, lane: &str, id: QueueId) {
        batch.put_bytes(Keyspace::LaneIndex, index_key(queue, lane, id), Vec::new());
    }

    /// Removes entry `id` from the index of `lane`, in the batch that dequeues it.
    pub fn unindex_in_lane(&self, batch: &mut Batch, queue: Queue, lane: &str, id: QueueId) {
        batch.remove(Keyspace::LaneIndex, index_key(queue, lane, id));
    }

    /// The first entry of `lane` still queued. Index records whose entry is gone (dequeued
    /// without its lane) are removed on the way.
    pub async fn first_in_lane(&self, queue: Queue, lane: &str) -> StoreResult<Option<QueueId>> {
        let prefix = lane_prefix(queue, lane);
        loop {
            let first = self.first_key(Keyspace::LaneIndex, &prefix).await?;
            let Some(key) = first else { return Ok(None) };
            let id = <[u8; 8]>::try_from(&key[prefix.len()..])
                .map(|bytes| QueueId(u64::from_be_bytes(bytes)))
                .map_err(|_| StoreError::Corrupt {
                    tree: Keyspace::LaneIndex.name(),
                    key: String::from_utf8_lossy(&key).into_owned(),
                    reason: "lane index key does not end in an 8-byte id".into(),
                })?;
            if self.is_queued(queue, id).await? {
                return Ok(Some(id));
            }
            let mut batch = Batch::new();
            batch.remove(Keyspace::LaneIndex, key);
            self.apply(batch).await?;
        }
    }

    /// Takes (or extends) `holder`'s turn on `lane` until `until`; `false` while another
    /// holder's turn lasts (at `now`) or another instance took it at the same moment.
    pub async fn take_turn(
        &self,
        queue: Queue,
        lane: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let key = lane_prefix(queue, lane);
        let current: Option<Turn> = self.get(Keyspace::Turns, &key).await?;
        if current
            .as_ref()
            .is_some_and(|turn| turn.holder != holder && turn.until > now)
        {
            return Ok(false);
        }
        let mut batch = Batch::new();
        batch.expect(Keyspace::Turns, key.clone(), current.as_ref());
        let turn = Turn {
            holder: holder.to_owned(),
            until,
        };
        batch.put(Keyspace::Turns, key, &turn);
        match self.apply(batch).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ends `holder`'s turn on `lane`, if it still holds it.
    pub async fn end_turn(&self, queue: Queue, lane: &str, holder: &str) -> StoreResult<()> {
        let key = lane_prefix(queue, lane);
        let current: Option<Turn> = self.get(Keyspace::Turns, &key).await?;
        let Some(turn) = current.filter(|turn| turn.holder == holder) else {
            return Ok(());
        };
        let mut batch = Batch::new();
        batch.expect(Keyspace::Turns, key.clone(), Some(&turn));
        batch.remove(Keyspace::Turns, key);
        match self.apply(batch).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_turn_is_one_holders_until_it_ends_or_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let lane = "oauth/12";
        assert!(
            store
                .take_turn(Queue::Outbox, lane, "a", 100, 160)
                .await
                .unwrap()
        );
        assert!(
            !store
                .take_turn(Queue::Outbox, lane, "b", 120, 180)
                .await
                .unwrap()
        );
        assert!(
            store
                .take_turn(Queue::Outbox, lane, "a", 120, 180)
                .await
                .unwrap(),
            "its holder extends it"
        );
        assert!(
            store
                .take_turn(Queue::Inbox, lane, "b", 120, 180)
                .await
                .unwrap(),
            "the other queue's lane is another lane"
        );
        store.end_turn(Queue::Outbox, lane, "b").await.unwrap();
        assert!(
            !store
                .take_turn(Queue::Outbox, lane, "b", 121, 181)
                .await
                .unwrap()
        );
        store.end_turn(Queue::Outbox, lane, "a").await.unwrap();
        assert!(
            store
                .take_turn(Queue::Outbox, lane, "b", 121, 181)
                .await
                .unwrap()
        );
        assert!(
            store
                .take_turn(Queue::Outbox, lane, "c", 181, 241)
                .await
                .unwrap(),
            "an expired turn is free"
        );
    }

    #[tokio::test]
    async fn the_first_of_a_lane_skips_entries_already_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let lane = "oauth/Room / with slashes";
        let mut ids = Vec::new();
        for n in 0..3u64 {
            let mut batch = Batch::new();
            let id = store.enqueue(&mut batch, Queue::Inbox, &n).await.unwrap();
            store.index_in_lane(&mut batch, Queue::Inbox, lane, id);
            store.apply(batch).await.unwrap();
            ids.push(id);
        }
        assert_eq!(
            store.first_in_lane(Queue::Inbox, lane).await.unwrap(),
            Some(ids[0])
        );
        assert_eq!(
            store
                .first_in_lane(Queue::Inbox, "oauth/Room ")
                .await
                .unwrap(),
            None
        );
        // Dequeued with its lane, and dequeued without it: both are passed over.
        let mut batch = Batch::new();
        store.dequeue(&mut batch, Queue::Inbox, ids[0]);
        store.unindex_in_lane(&mut batch, Queue::Inbox, lane, ids[0]);
        store.dequeue(&mut batch, Queue::Inbox, ids[1]);
        store.apply(batch).await.unwrap();
        assert_eq!(
            store.first_in_lane(Queue::Inbox, lane).await.unwrap(),
            Some(ids[2])
        );
        assert_eq!(
            store.count(Keyspace::LaneIndex, b"").await,
            1,
            "stale record removed"
        );
    }
}
