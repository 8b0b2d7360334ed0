//! Claims on messages whose answer changed nothing (`/help`, a usage reply, a refusal), kept in
//! memory instead of the store (issue 16): writing one to the store for every such message cost
//! a quarter of a core in the store's log threads. Losing them in a crash costs at most one
//! repeated answer to a redelivered message that changed nothing; a clean shutdown writes them
//! to the store, so they survive an ordinary restart like every other claim.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Most claims held; beyond it the oldest are forgotten first (each costs a repeated answer
/// at worst, never a repeated change).
const CAPACITY: usize = 200_000;

/// Unexpired in-memory claims, oldest first.
#[derive(Default)]
pub(super) struct RecentClaims {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Claim → its expiry (Unix seconds).
    expiry: HashMap<String, i64>,
    /// Claims in the order taken (expiries are too: one TTL for all).
    order: VecDeque<String>,
}

impl RecentClaims {
    /// Takes a claim on `key` until `expires_at`; `false` when an unexpired one is held.
    pub(super) fn claim(&self, key: &str, now: i64, expires_at: i64) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.forget_expired(now);
        if inner.expiry.get(key).is_some_and(|&at| at > now) {
            return false;
        }
        while inner.order.len() >= CAPACITY {
            inner.forget_oldest();
        }
        inner.expiry.insert(key.to_owned(), expires_at);
        inner.order.push_back(key.to_owned());
        true
    }

    /// Whether an unexpired claim on `key` is held.
    pub(super) fn holds(&self, key: &str, now: i64) -> bool {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.expiry.get(key).is_some_and(|&at| at > now)
    }

    /// Every unexpired claim with its expiry, for writing to the store at shutdown.
    pub(super) fn unexpired(&self, now: i64) -> Vec<(String, i64)> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .expiry
            .iter()
            .filter(|&(_, &at)| at > now)
            .map(|(k, &at)| (k.clone(), at))
            .collect()
    }
}

impl Inner {
    fn forget_expired(&mut self, now: i64) {
        while let Some(oldest) = self.order.front() {
            if self.expiry.get(oldest).is_some_and(|&at| at > now) {
                return;
            }
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some(key) = self.order.pop_front() {
            self.expiry.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_holds_until_it_expires_and_room_is_bounded() {
        let claims = RecentClaims::default();
        assert!(claims.claim("a", 0, 10));
        assert!(!claims.claim("a", 9, 19), "held");
        assert!(claims.holds("a", 9));
        assert!(!claims.holds("a", 10));
        assert!(claims.claim("a", 10, 20), "expired, claimed again");
        assert_eq!(claims.unexpired(10), [("a".to_owned(), 20)]);
        for n in 0..CAPACITY + 5 {
            claims.claim(&n.to_string(), 11, 21);
        }
        let inner = claims.inner.lock().unwrap();
        assert_eq!(inner.order.len(), CAPACITY);
        assert_eq!(inner.expiry.len(), CAPACITY);
        assert!(!inner.expiry.contains_key("a"), "the oldest went first");
    }
}
