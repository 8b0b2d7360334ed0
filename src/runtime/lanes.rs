//! Ordered lanes: items with the same key run one after another in arrival order; different
//! keys run concurrently, up to a limit. A lane's task exists only while it has work.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use tokio::sync::{Semaphore, watch};

type Work<K, T> = dyn Fn(K, T) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// Per-key FIFO execution.
pub struct Lanes<K, T> {
    shared: Arc<Shared<K, T>>,
}

impl<K, T> Clone for Lanes<K, T> {
    fn clone(&self) -> Self {
        Lanes {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<K, T> {
    name: &'static str,
    /// The runtime that owns the lanes' tasks: items pushed from elsewhere still run there,
    /// and stop with it.
    runtime: tokio::runtime::Handle,
    queues: Mutex<HashMap<K, VecDeque<T>>>,
    work: Box<Work<K, T>>,
    permits: Semaphore,
    /// Items pushed and not yet finished.
    pending: watch::Sender<usize>,
}

impl<K, T> Lanes<K, T>
where
    K: Eq + Hash + Clone + Send + Sync + std::fmt::Debug + 'static,
    T: Send + 'static,
{
    /// Lanes running `work` for each item, at most `concurrency` at once across keys.
    /// Must be called inside a Tokio runtime, which will run the work.
    pub fn new<F, Fut>(name: &'static str, concurrency: usize, work: F) -> Lanes<K, T>
    where
        F: Fn(K, T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Lanes {
            shared: Arc::new(Shared {
                name,
                runtime: tokio::runtime::Handle::current(),
                queues: Mutex::new(HashMap::new()),
                work: Box::new(move |k, t| Box::pin(work(k, t))),
                permits: Semaphore::new(concurrency.max(1)),
                pending: watch::channel(0).0,
            }),
        }
    }

    /// Appends an item to its key's lane, starting the lane if it is idle.
    pub fn push(&self, key: K, item: T) {
        self.shared.pending.send_modify(|n| *n += 1);
        let start = {
            let mut queues = lock(&self.shared.queues);
            match queues.get_mut(&key) {
                Some(queue) => {
                    queue.push_back(item);
                    false
                }
                None => {
                    queues.insert(key.clone(), VecDeque::from([item]));
                    true
                }
            }
        };
        if start {
            let shared = self.shared.clone();
            self.shared.runtime.spawn(run_lane(shared, key));
        }
    }

    /// Items pushed and not yet finished.
    pub fn len(&self) -> usize {
        *self.shared.pending.borrow()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every pushed item has finished.
    pub async fn wait_idle(&self) {
        let mut rx = self.shared.pending.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we hold `self`.
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

async fn run_lane<K, T>(shared: Arc<Shared<K, T>>, key: K)
where
    K: Eq + Hash + Clone + std::fmt::Debug,
{
    loop {
        let item = {
            let mut queues = lock(&shared.queues);
            match queues.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(item) => item,
                None => {
                    // Removed under the lock: a concurrent push will start a new lane.
                    queues.remove(&key);
                    return;
                }
            }
        };
        let permit = shared.permits.acquire().await;
        let outcome = AssertUnwindSafe((shared.work)(key.clone(), item))
            .catch_unwind()
            .await;
        drop(permit);
        if outcome.is_err() {
            // A bug in one item must not stall the lane or leak its pending count.
            tracing::error!(
                lanes = shared.name,
                ?key,
                "work item panicked; continuing with the next"
            );
        }
        shared.pending.send_modify(|n| *n = n.saturating_sub(1));
    }
}

fn lock<V>(m: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn same_key_in_order_other_keys_in_parallel() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        let lanes = Lanes::new("test", 4, move |key: u8, n: u32| {
            let log = log2.clone();
            async move {
                // Earlier items sleep longer: only per-key ordering keeps them in order.
                tokio::time::sleep(Duration::from_millis(u64::from(10 - n))).await;
                log.lock().unwrap().push((key, n));
            }
        });
        for n in 0..5 {
            lanes.push(1, n);
            lanes.push(2, n);
        }
        lanes.wait_idle().await;
        let log = log.lock().unwrap();
        for key in [1, 2] {
            let seen: Vec<u32> = log
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, n)| *n)
                .collect();
            assert_eq!(seen, vec![0, 1, 2, 3, 4]);
        }
        assert!(lanes.is_empty());
    }

    #[tokio::test]
    async fn a_panicking_item_does_not_stall_its_lane() {
        let done = Arc::new(Mutex::new(Vec::new()));
        let done2 = done.clone();
        let lanes = Lanes::new("test", 1, move |_: u8, n: u32| {
            let done = done2.clone();
            async move {
                assert!(n != 1, "boom");
                done.lock().unwrap().push(n);
            }
        });
        for n in 0..3 {
            lanes.push(0, n);
        }
        lanes.wait_idle().await;
        assert_eq!(*done.lock().unwrap(), vec![0, 2]);
    }
}
