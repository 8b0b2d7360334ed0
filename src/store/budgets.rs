//! Rate budgets shared by instances (HipChat's limits hold for all of them together): per budget
//! key, the calls made within its window, taken with the record read as the precondition, so two
//! instances cannot both take the last call of a window.
//!
//! Calls are counted per slice of the window (a sixtieth of it), each slice's calls as if made at
//! its last millisecond: they leave the window up to one slice later than they really do, so the
//! count is never below HipChat's, and a budget's record stays a few hundred bytes whatever its
//! limit (it held every call's time before: 500 numbers for HipChat's token limit, read and
//! written with every call).

use serde::{Deserialize, Serialize};

use super::{Batch, Keyspace, Store, StoreError, StoreResult, decode};

/// How often taking a call is tried again when another instance took one at the same moment.
const ATTEMPTS: usize = 8;

/// Slices a window is counted in: a call may be counted up to a sixtieth of the window longer
/// than HipChat counts it (5 s of HipChat's 5 minutes), never shorter.
const SLICES: i64 = 60;

/// One budget: at most `limit` calls per `window_ms` under `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// What is limited, e.g. `i/{oauthId}` or `r/{room}`.
    pub key: String,
    /// Calls allowed per window.
    pub limit: usize,
    /// The window, milliseconds.
    pub window_ms: i64,
}

impl Budget {
    /// The millisecond a call made at `now_ms` is counted at: the last of its slice.
    fn counted_at(&self, now_ms: i64) -> i64 {
        let slice = (self.window_ms / SLICES).max(1);
        now_ms.div_euclid(slice) * slice + slice - 1
    }

    /// Counts one more call at `now_ms` in `slices` (this budget's record, slices that left the
    /// window dropped), or, when the budget is spent, leaves them and says how long until the
    /// oldest slices free a place.
    fn take(&self, slices: &mut Vec<(i64, u32)>, now_ms: i64) -> Result<(), i64> {
        slices.retain(|(at, _)| *at > now_ms - self.window_ms);
        slices.sort_unstable();
        let counted: u64 = slices.iter().map(|(_, calls)| u64::from(*calls)).sum();
        let limit = self.limit.max(1) as u64;
        if counted >= limit {
            // Free once enough of the oldest slices have left for one more call.
            let to_free = counted - limit + 1;
            let mut freed = 0;
            for (at, calls) in slices.iter() {
                freed += u64::from(*calls);
                if freed >= to_free {
                    return Err(at + self.window_ms - now_ms);
                }
            }
            // Not reached: the slices hold all `counted` calls.
            return Err(self.window_ms);
        }
        let at = self.counted_at(now_ms);
        match slices.last_mut() {
            Some((last, calls)) if *last == at => *calls = calls.saturating_add(1),
            _ => slices.push((at, 1)),
        }
        Ok(())
    }
}

/// A budget's record: `(counted at, calls)` per slice, oldest first. A record written before
/// slices (every call's time) is read as slices of one call each.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Record {
    Slices(Vec<(i64, u32)>),
    Calls(Vec<i64>),
}

impl Record {
    fn into_slices(self) -> Vec<(i64, u32)> {
        match self {
            Record::Slices(slices) => slices,
            Record::Calls(calls) => calls.into_iter().map(|at| (at, 1)).collect(),
        }
    }
}

impl Store {
    /// Takes one call at `now_ms` (Unix milliseconds) from every budget, or none: `Ok(None)`
    /// when taken, `Ok(Some(wait_ms))` when one of them is spent for that long.
    pub async fn take_budget(&self, budgets: &[Budget], now_ms: i64) -> StoreResult<Option<i64>> {
        for _ in 0..ATTEMPTS {
            let mut batch = Batch::new();
            let mut wait = 0;
            for budget in budgets {
                let key = budget.key.as_bytes();
                let stored = self.get_raw(Keyspace::Budgets, key).await?;
                let mut slices = match &stored {
                    Some(bytes) => decode::<Record>(Keyspace::Budgets, key, bytes)?.into_slices(),
                    None => Vec::new(),
                };
                match budget.take(&mut slices, now_ms) {
                    Ok(()) => {
                        batch.expect_bytes(Keyspace::Budgets, key.to_vec(), stored);
                        batch.put(Keyspace::Budgets, key.to_vec(), &Record::Slices(slices));
                    }
                    Err(spent_for) => wait = wait.max(spent_for),
                }
            }
            if wait > 0 {
                return Ok(Some(wait));
            }
            match self.apply(batch).await {
                Ok(()) => return Ok(None),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        // Busy with other instances' calls: a short wait, then the caller tries again.
        Ok(Some(50))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn budgets_are_taken_together_and_free_up_as_their_slices_leave_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Slices of 20 ms and 200 ms.
        let token = Budget {
            key: "i/a".into(),
            limit: 3,
            window_ms: 1_200,
        };
        let room = Budget {
            key: "r/1".into(),
            limit: 2,
            window_ms: 12_000,
        };
        let both = [token.clone(), room.clone()];
        let token = std::slice::from_ref(&token);
        assert_eq!(store.take_budget(&both, 0).await.unwrap(), None);
        assert_eq!(store.take_budget(&both, 100).await.unwrap(), None);
        assert_eq!(
            store.take_budget(&both, 200).await.unwrap(),
            Some(11_999),
            "the room's budget is spent until its first slice (counted at 199 ms) leaves"
        );
        assert_eq!(
            store.take_budget(token, 200).await.unwrap(),
            None,
            "a refused call took nothing from the token's budget"
        );
        assert_eq!(store.take_budget(token, 300).await.unwrap(), Some(919));
        assert_eq!(store.take_budget(token, 1_218).await.unwrap(), Some(1));
        assert_eq!(store.take_budget(token, 1_219).await.unwrap(), None);
        assert_eq!(store.take_budget(&both, 12_198).await.unwrap(), Some(1));
        assert_eq!(store.take_budget(&both, 12_199).await.unwrap(), None);
    }

    #[tokio::test]
    async fn no_window_ever_holds_more_calls_than_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let budget = [Budget {
            key: "i/a".into(),
            limit: 50,
            window_ms: 6_000,
        }];
        // A call tried every 7 ms for a minute; every admitted call's real time is kept.
        let mut admitted = Vec::new();
        for now in (0..60_000).step_by(7) {
            if store.take_budget(&budget, now).await.unwrap().is_none() {
                admitted.push(now);
            }
        }
        for (i, at) in admitted.iter().enumerate() {
            let within = admitted[i..]
                .iter()
                .take_while(|t| **t < at + 6_000)
                .count();
            assert!(within <= 50, "{within} calls in the window from {at} ms");
        }
        // Slices cost at most a sixtieth of the window: over 54 s of full windows, at least
        // 50 calls per 6.1 s.
        assert!(
            admitted.len() >= 9 * 50,
            "{} calls admitted",
            admitted.len()
        );
        let record = store.get_raw(Keyspace::Budgets, b"i/a").await.unwrap();
        let slices: Vec<(i64, u32)> = serde_json::from_slice(&record.unwrap()).unwrap();
        assert!(slices.len() <= 61, "{} slices kept", slices.len());
    }

    #[tokio::test]
    async fn a_record_of_call_times_from_before_slices_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut batch = Batch::new();
        batch.put(Keyspace::Budgets, b"i/a".to_vec(), &vec![100i64, 200]);
        store.apply(batch).await.unwrap();
        let budget = [Budget {
            key: "i/a".into(),
            limit: 3,
            window_ms: 6_000,
        }];
        assert_eq!(store.take_budget(&budget, 300).await.unwrap(), None);
        assert_eq!(
            store.take_budget(&budget, 400).await.unwrap(),
            Some(5_700),
            "the call at 100 ms leaves at 6,100 ms"
        );
    }
}
