//! What several instances on one store coordinate with: leases (which instance holds a named
//! thing now, until when: a lane's turn, a user's chat room being opened), taken with the record
//! read as their precondition, so two instances cannot both take one, and free again once their
//! holder ends them or they expire; and an index of each lane's queue entries, so the first of a
//! lane is found without reading the queue.

use serde::{Deserialize, Serialize};

use super::queue::{Queue, QueueId};
use super::{Batch, Keyspace, Store, StoreError, StoreResult};

/// Who holds a lease, and until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Lease {
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

    /// The first entry of `lane` still queued, if it comes before `before`. Index records
    /// whose entry is gone (dequeued without its lane) are removed on the way.
    pub async fn first_in_lane(
        &self,
        queue: Queue,
        lane: &str,
        before: QueueId,
    ) -> StoreResult<Option<QueueId>> {
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
            if id >= before {
                // Nothing earlier: whether `before` itself is still queued is for its runner
                // to find out (it reads the entry anyway).
                return Ok(None);
            }
            if self.is_queued(queue, id).await? {
                return Ok(Some(id));
            }
            let mut batch = Batch::new();
            batch.remove(Keyspace::LaneIndex, key);
            self.apply(batch).await?;
        }
    }

    /// Takes (or extends) `holder`'s lease on `name` until `until`; `false` while another
    /// holder's lease lasts (at `now`) or another instance took it at the same moment.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let key = name.as_bytes();
        let current: Option<Lease> = self.get(Keyspace::Turns, key).await?;
        if current
            .as_ref()
            .is_some_and(|lease| lease.holder != holder && lease.until > now)
        {
            return Ok(false);
        }
        let mut batch = Batch::new();
        batch.expect(Keyspace::Turns, key.to_vec(), current.as_ref());
        let lease = Lease {
            holder: holder.to_owned(),
            until,
        };
        batch.put(Keyspace::Turns, key.to_vec(), &lease);
        match self.apply(batch).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Ends `holder`'s lease on `name`, if it still holds it.
    pub async fn end_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        let key = name.as_bytes();
        let current: Option<Lease> = self.get(Keyspace::Turns, key).await?;
        let Some(lease) = current.filter(|lease| lease.holder == holder) else {
            return Ok(());
        };
        let mut batch = Batch::new();
        batch.expect(Keyspace::Turns, key.to_vec(), Some(&lease));
        batch.remove(Keyspace::Turns, key.to_vec());
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
    async fn a_lease_is_one_holders_until_it_ends_or_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let name = "turn/outbox/oauth/12";
        assert!(store.take_lease(name, "a", 100, 160).await.unwrap());
        assert!(!store.take_lease(name, "b", 120, 180).await.unwrap());
        assert!(
            store.take_lease(name, "a", 120, 180).await.unwrap(),
            "its holder extends it"
        );
        assert!(
            store
                .take_lease("turn/inbox/oauth/12", "b", 120, 180)
                .await
                .unwrap(),
            "another name is another lease"
        );
        store.end_lease(name, "b").await.unwrap();
        assert!(
            !store.take_lease(name, "b", 121, 181).await.unwrap(),
            "only its holder ends it"
        );
        store.end_lease(name, "a").await.unwrap();
        assert!(store.take_lease(name, "b", 121, 181).await.unwrap());
        assert!(
            store.take_lease(name, "c", 181, 241).await.unwrap(),
            "an expired lease is free"
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
        let last = QueueId(u64::MAX);
        assert_eq!(
            store.first_in_lane(Queue::Inbox, lane, last).await.unwrap(),
            Some(ids[0])
        );
        assert_eq!(
            store
                .first_in_lane(Queue::Inbox, lane, ids[0])
                .await
                .unwrap(),
            None,
            "nothing before the first"
        );
        assert_eq!(
            store
                .first_in_lane(Queue::Inbox, "oauth/Room ", last)
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
            store.first_in_lane(Queue::Inbox, lane, last).await.unwrap(),
            Some(ids[2])
        );
        assert_eq!(
            store.count(Keyspace::LaneIndex, b"").await,
            1,
            "stale record removed"
        );
    }
}
