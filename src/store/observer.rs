//! Hooks through which the process watches the store's commits and flushes (the metrics module
//! installs one); the store itself knows no metrics.

use std::sync::OnceLock;
use std::time::Duration;

/// What is told about the store's durable writes.
pub trait StoreObserver: Send + Sync {
    /// One durable commit (apply and flush) took `elapsed`.
    fn committed(&self, elapsed: Duration);
    /// One flush took `elapsed` and made `commits` waiting commits durable at once.
    fn flushed(&self, elapsed: Duration, commits: u64);
}

static OBSERVER: OnceLock<&'static dyn StoreObserver> = OnceLock::new();

/// Installs the process-wide observer; the first one stays. Returns whether this one did.
pub fn observe(observer: &'static dyn StoreObserver) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// The installed observer, if any.
pub(super) fn observer() -> Option<&'static dyn StoreObserver> {
    OBSERVER.get().copied()
}
