//! Durable FIFO queues: the inbox (accepted work not yet done) and the outbox (calls to HipChat
//! not yet accepted by it). Keys are increasing ids, so iteration order is arrival order.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Batch, Keyspace, Store, StoreError, StoreResult};

/// Which queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Accepted webhooks and events waiting for their handler.
    Inbox,
    /// Notifications, glance pushes and room changes waiting for HipChat.
    Outbox,
}

/// Position of an entry in a queue.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct QueueId(pub u64);

impl Queue {
    /// The queue's stable name (in keys of its lanes).
    pub fn name(self) -> &'static str {
        match self {
            Queue::Inbox => "inbox",
            Queue::Outbox => "outbox",
        }
    }

    fn space(self) -> Keyspace {
        match self {
            Queue::Inbox => Keyspace::Inbox,
            Queue::Outbox => Keyspace::Outbox,
        }
    }
}

impl Store {
    /// Adds an entry to the batch under a fresh id and returns that id.
    pub async fn enqueue<T: Serialize>(
        &self,
        batch: &mut Batch,
        queue: Queue,
        entry: &T,
    ) -> StoreResult<QueueId> {
        let id = QueueId(self.next_id().await?);
        batch.put(queue.space(), id.0.to_be_bytes().to_vec(), entry);
        Ok(id)
    }

    /// Overwrites an entry (e.g. its attempt count) in the batch.
    pub fn requeue<T: Serialize>(&self, batch: &mut Batch, queue: Queue, id: QueueId, entry: &T) {
        batch.put(queue.space(), id.0.to_be_bytes().to_vec(), entry);
    }

    /// Removes an entry in the batch.
    pub fn dequeue(&self, batch: &mut Batch, queue: Queue, id: QueueId) {
        batch.remove(queue.space(), id.0.to_be_bytes().to_vec());
    }

    /// Every entry, oldest first.
    pub async fn queued<T: DeserializeOwned>(
        &self,
        queue: Queue,
    ) -> StoreResult<Vec<(QueueId, T)>> {
        self.scan(queue.space(), b"")
            .await?
            .into_iter()
            .map(|(k, v)| Ok((QueueId(key_to_id(queue.space(), &k)?), v)))
            .collect()
    }

    /// One entry, if still queued.
    pub async fn queued_entry<T: DeserializeOwned>(
        &self,
        queue: Queue,
        id: QueueId,
    ) -> StoreResult<Option<T>> {
        self.get(queue.space(), &id.0.to_be_bytes()).await
    }

    /// Whether entry `id` is still queued.
    pub async fn is_queued(&self, queue: Queue, id: QueueId) -> StoreResult<bool> {
        Ok(self
            .get_raw(queue.space(), &id.0.to_be_bytes())
            .await?
            .is_some())
    }

    /// Number of entries.
    pub async fn queue_len(&self, queue: Queue) -> usize {
        self.count(queue.space(), b"").await
    }

    /// When the oldest entry was queued (its `created_at`, Unix seconds), if any is queued.
    pub async fn oldest_queued_at(&self, queue: Queue) -> StoreResult<Option<i64>> {
        #[derive(serde::Deserialize)]
        struct Stamp {
            #[serde(default)]
            created_at: i64,
        }
        let first: Option<Stamp> = self.first(queue.space()).await?;
        Ok(first.map(|stamp| stamp.created_at))
    }
}

fn key_to_id(space: Keyspace, key: &[u8]) -> StoreResult<u64> {
    <[u8; 8]>::try_from(key)
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt {
            tree: space.name(),
            key: String::from_utf8_lossy(key).into_owned(),
            reason: "queue key is not 8 bytes".into(),
        })
}
