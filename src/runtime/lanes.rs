//! Ordered lanes: items with the same key run one after another in arrival order; different
//! keys run concurrently, up to a limit. A lane's task exists only while it has work.
//!
//! Keys belong to tenants (installations). One tenant may hold only a share of the slots, so a
//! tenant with many busy lanes cannot take every slot from the others; and an item that has to
//! wait (a retry's backoff, a rate limit) gives its slot back while it waits, keeping only its
//! lane's place.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Semaphore, watch};

use crate::clock::Clock;

type Work<K, T> = dyn Fn(K, T) -> Pin<Box<dyn Future<Output = Step> + Send>> + Send + Sync;

/// What became of one run of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Finished (done, or given up): the lane goes on.
    Done,
    /// Run it again after this wait; its slot is free meanwhile, its lane keeps waiting.
    Later(Duration),
}

/// A lane key that names the tenant it belongs to.
pub trait Tenanted {
    /// The tenant (installation) of this lane.
    fn tenant(&self) -> &str;
}

impl<T> Tenanted for (String, T) {
    fn tenant(&self) -> &str {
        &self.0
    }
}

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
    /// What an item's [`Step::Later`] waits on (tests move it).
    clock: Clock,
    permits: Semaphore,
    /// Slots one tenant may hold at once.
    per_tenant: usize,
    /// Per tenant: its own slot limit, and its items pushed and not yet finished.
    tenants: Mutex<HashMap<String, TenantState>>,
    /// Items pushed and not yet finished.
    pending: watch::Sender<usize>,
}

struct TenantState {
    slots: Arc<Semaphore>,
    pending: usize,
}

impl<K, T> Lanes<K, T>
where
    K: Eq + Hash + Clone + Send + Sync + std::fmt::Debug + Tenanted + 'static,
    T: Clone + Send + 'static,
{
    /// Lanes running `work` for each item, at most `concurrency` at once across keys and
    /// `per_tenant` at once for one tenant, waiting out [`Step::Later`] on `clock`. Must be
    /// called inside a Tokio runtime, which will run the work.
    pub fn new<F, Fut>(
        name: &'static str,
        concurrency: usize,
        per_tenant: usize,
        clock: Clock,
        work: F,
    ) -> Lanes<K, T>
    where
        F: Fn(K, T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Step> + Send + 'static,
    {
        Lanes {
            shared: Arc::new(Shared {
                name,
                runtime: tokio::runtime::Handle::current(),
                queues: Mutex::new(HashMap::new()),
                work: Box::new(move |k, t| Box::pin(work(k, t))),
                clock,
                permits: Semaphore::new(concurrency.max(1)),
                per_tenant: per_tenant.clamp(1, concurrency.max(1)),
                tenants: Mutex::new(HashMap::new()),
                pending: watch::channel(0).0,
            }),
        }
    }

    /// Items of `tenant` pushed and not yet finished.
    pub fn pending_of(&self, tenant: &str) -> usize {
        lock(&self.shared.tenants)
            .get(tenant)
            .map_or(0, |t| t.pending)
    }

    /// Appends an item to its key's lane, starting the lane if it is idle.
    pub fn push(&self, key: K, item: T) {
        self.shared.pending.send_modify(|n| *n += 1);
        {
            let per_tenant = self.shared.per_tenant;
            let mut tenants = lock(&self.shared.tenants);
            let state = tenants
                .entry(key.tenant().to_owned())
                .or_insert_with(|| TenantState {
                    slots: Arc::new(Semaphore::new(per_tenant)),
                    pending: 0,
                });
            state.pending += 1;
        }
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
    K: Eq + Hash + Clone + std::fmt::Debug + Tenanted,
    T: Clone,
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
        // Looked up per item: a tenant is forgotten whenever it has nothing pending.
        let tenant_slots = lock(&shared.tenants)
            .get(key.tenant())
            .map(|t| t.slots.clone());
        loop {
            // The tenant's share first: a tenant at its share waits without holding a slot.
            let tenant_permit = match &tenant_slots {
                Some(slots) => slots.acquire().await.ok(),
                None => None,
            };
            let permit = shared.permits.acquire().await;
            let outcome = AssertUnwindSafe((shared.work)(key.clone(), item.clone()))
                .catch_unwind()
                .await;
            drop(permit);
            drop(tenant_permit);
            match outcome {
                Ok(Step::Done) => break,
                Ok(Step::Later(wait)) => shared.clock.sleep(wait).await,
                Err(_) => {
                    // A bug in one item must not stall the lane or leak its pending count.
                    tracing::error!(
                        lanes = shared.name,
                        ?key,
                        "work item panicked; continuing with the next"
                    );
                    break;
                }
            }
        }
        finished(&shared, key.tenant());
    }
}

/// Counts one item of `tenant` as finished; forgets a tenant with nothing pending.
fn finished<K, T>(shared: &Shared<K, T>, tenant: &str) {
    {
        let mut tenants = lock(&shared.tenants);
        if let Some(state) = tenants.get_mut(tenant) {
            state.pending = state.pending.saturating_sub(1);
            if state.pending == 0 {
                tenants.remove(tenant);
            }
        }
    }
    shared.pending.send_modify(|n| *n = n.saturating_sub(1));
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
        let lanes = Lanes::new(
            "test",
            4,
            4,
            Clock::system(),
            move |key: (String, u8), n: u32| {
                let log = log2.clone();
                async move {
                    // Earlier items sleep longer: only per-key ordering keeps them in order.
                    tokio::time::sleep(Duration::from_millis(u64::from(10 - n))).await;
                    log.lock().unwrap().push((key.1, n));
                    Step::Done
                }
            },
        );
        for n in 0..5 {
            lanes.push(("t".into(), 1), n);
            lanes.push(("t".into(), 2), n);
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
        let lanes = Lanes::new(
            "test",
            1,
            1,
            Clock::system(),
            move |_: (String, u8), n: u32| {
                let done = done2.clone();
                async move {
                    assert!(n != 1, "boom");
                    done.lock().unwrap().push(n);
                    Step::Done
                }
            },
        );
        for n in 0..3 {
            lanes.push(("t".into(), 0), n);
        }
        lanes.wait_idle().await;
        assert_eq!(*done.lock().unwrap(), vec![0, 2]);
        assert_eq!(lanes.pending_of("t"), 0);
    }

    #[tokio::test]
    async fn one_tenant_cannot_take_every_slot() {
        // Tenant "busy" fills its lanes with items that never finish on their own; tenant
        // "other" still runs, because "busy" may hold only 2 of the 4 slots.
        let gate = Arc::new(tokio::sync::Notify::new());
        let ran = Arc::new(Mutex::new(Vec::new()));
        let (gate2, ran2) = (gate.clone(), ran.clone());
        let lanes = Lanes::new(
            "test",
            4,
            2,
            Clock::system(),
            move |key: (String, u8), n: u32| {
                let (gate, ran) = (gate2.clone(), ran2.clone());
                async move {
                    if key.0 == "busy" {
                        gate.notified().await;
                    }
                    ran.lock().unwrap().push((key.0, n));
                    Step::Done
                }
            },
        );
        for room in 0..10 {
            lanes.push(("busy".into(), room), 0);
        }
        lanes.push(("other".into(), 0), 7);
        tokio::time::timeout(Duration::from_secs(30), async {
            while !ran.lock().unwrap().contains(&("other".to_owned(), 7)) {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the other tenant runs while the busy one holds its share");
        assert_eq!(lanes.pending_of("busy"), 10);
        assert_eq!(lanes.pending_of("other"), 0);
    }

    #[tokio::test]
    async fn an_item_waiting_to_retry_frees_its_slot_and_keeps_its_lane() {
        // One slot. Lane A's first item asks to run again in an hour; meanwhile lane B runs,
        // and lane A's second item waits behind its first until the clock has moved that hour.
        let clock = Clock::fixed(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        let lanes = Lanes::new(
            "test",
            1,
            1,
            clock.clone(),
            move |key: (String, u8), n: u32| {
                let log = log2.clone();
                async move {
                    let mut log = log.lock().unwrap();
                    let first_try = !log.contains(&(key.1, n));
                    log.push((key.1, n));
                    if key.1 == 0 && n == 0 && first_try {
                        Step::Later(Duration::from_secs(3600))
                    } else {
                        Step::Done
                    }
                }
            },
        );
        lanes.push(("a".into(), 0), 0);
        lanes.push(("a".into(), 0), 1);
        lanes.push(("b".into(), 1), 0);
        // B ran in the slot A gave back; A is asleep (on this single-threaded runtime it went to
        // sleep in the same turn it gave the slot up, before B could run), its two items pending.
        while log.lock().unwrap().len() < 2 {
            tokio::task::yield_now().await;
        }
        assert_eq!(lanes.len(), 2);
        clock.advance(Duration::from_secs(3599));
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(lanes.len(), 2, "retried before its time");
        clock.advance(Duration::from_secs(1));
        lanes.wait_idle().await;
        assert_eq!(*log.lock().unwrap(), vec![(0, 0), (1, 0), (0, 0), (0, 1)]);
    }
}
