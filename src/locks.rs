//! Named async locks: one at a time per key (an installation, a user), any number of keys at
//! once. Unused locks are dropped so the map stays as small as the set of busy keys. On a store
//! shared with other instances, [`KeyedLocks::across_instances`] also holds a lease in the store,
//! so one holder per key in all instances together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use crate::clock::Clock;
use crate::store::Store;

/// How long a lease held for a lock lasts unless released: longer than any holder keeps it.
const LEASE_SECS: i64 = 60;

/// How soon a lock held by another instance is asked for again: a few round trips to the
/// store, about as long as a holder keeps it.
const RETRY: Duration = Duration::from_millis(5);

/// Locks by key.
#[derive(Default)]
pub struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The store whose leases other instances see, and who this instance is to them.
    shared: Option<Shared>,
}

struct Shared {
    store: Store,
    clock: Clock,
    /// This instance, to the others.
    instance: String,
    /// Numbers this instance's holds: each hold is a holder of its own, so that ending one
    /// (in the background, after its drop) can never end the next one's lease.
    holds: std::sync::atomic::AtomicU64,
    /// What the leases are for, in their names.
    purpose: &'static str,
}

/// A held lock; dropping it lets the next holder in.
pub struct Held {
    _local: OwnedMutexGuard<()>,
    /// The store lease to end, with its name and holder.
    lease: Option<(Store, String, String)>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some((store, name, holder)) = self.lease.take() else {
            return;
        };
        // Ended in the background: a drop cannot wait. Should that fail, the lease expires.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = store.end_lease(&name, &holder).await {
                    tracing::warn!(lease = name, error = %e, "cannot end a lease; it will expire");
                }
            });
        }
    }
}

impl KeyedLocks {
    /// Locks held in all instances on `store` together, when it is shared (else in this
    /// process, as [`KeyedLocks::default`]); `purpose` names them in the store.
    pub fn across_instances(store: &Store, clock: Clock, purpose: &'static str) -> KeyedLocks {
        KeyedLocks {
            locks: Mutex::default(),
            shared: store.is_shared().then(|| Shared {
                store: store.clone(),
                clock,
                instance: uuid::Uuid::new_v4().to_string(),
                holds: std::sync::atomic::AtomicU64::new(0),
                purpose,
            }),
        }
    }

    /// Waits for the lock of `key`; it is held until the guard is dropped.
    pub async fn lock(&self, key: &str) -> Held {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            if map.len() > 1024 {
                map.retain(|_, l| Arc::strong_count(l) > 1);
            }
            map.entry(key.to_owned()).or_default().clone()
        };
        let local = lock.lock_owned().await;
        let Some(shared) = &self.shared else {
            return Held {
                _local: local,
                lease: None,
            };
        };
        let name = format!("{}/{key}", shared.purpose);
        let hold = shared
            .holds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let holder = format!("{}/{hold}", shared.instance);
        loop {
            let now = shared.clock.unix();
            match shared
                .store
                .take_lease(&name, &holder, now, now + LEASE_SECS)
                .await
            {
                Ok(true) => {
                    return Held {
                        _local: local,
                        lease: Some((shared.store.clone(), name, holder)),
                    };
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(lease = name, error = %e, "cannot take a lease; retrying"),
            }
            tokio::time::sleep(RETRY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn one_holder_per_key() {
        let locks = Arc::new(KeyedLocks::default());
        let held = locks.lock("a").await;
        let other = tokio::time::timeout(Duration::from_millis(50), locks.lock("b")).await;
        assert!(other.is_ok(), "another key is free");
        let same = tokio::time::timeout(Duration::from_millis(50), locks.lock("a")).await;
        assert!(same.is_err(), "the same key waits");
        drop(held);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), locks.lock("a"))
                .await
                .is_ok()
        );
    }
}
