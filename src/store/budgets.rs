//! Rate budgets shared by instances (HipChat's limits hold for all of them together): per budget
//! key, the times of the calls made within its window, taken with the record read as the
//! precondition, so two instances cannot both take the last call of a window.

use super::{Batch, Keyspace, Store, StoreError, StoreResult};

/// How often taking a call is tried again when another instance took one at the same moment.
const ATTEMPTS: usize = 8;

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

impl Store {
    /// Takes one call at `now_ms` (Unix milliseconds) from every budget, or none: `Ok(None)`
    /// when taken, `Ok(Some(wait_ms))` when one of them is spent for that long.
    pub async fn take_budget(&self, budgets: &[Budget], now_ms: i64) -> StoreResult<Option<i64>> {
        for _ in 0..ATTEMPTS {
            let mut batch = Batch::new();
            let mut wait = 0;
            for budget in budgets {
                let key = budget.key.as_bytes();
                let stored: Option<Vec<i64>> = self.get(Keyspace::Budgets, key).await?;
                let mut calls: Vec<i64> = stored
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|at| *at > now_ms - budget.window_ms)
                    .collect();
                calls.sort_unstable();
                let limit = budget.limit.max(1);
                if calls.len() >= limit {
                    // The call that frees a place is the one `limit` calls back from the end.
                    let freeing = calls[calls.len() - limit];
                    wait = wait.max(freeing + budget.window_ms - now_ms);
                    continue;
                }
                calls.push(now_ms);
                batch.expect(Keyspace::Budgets, key.to_vec(), stored.as_ref());
                batch.put(Keyspace::Budgets, key.to_vec(), &calls);
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
    async fn budgets_are_taken_together_and_free_up_as_their_window_slides() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let token = Budget {
            key: "i/a".into(),
            limit: 3,
            window_ms: 1_000,
        };
        let room = Budget {
            key: "r/1".into(),
            limit: 2,
            window_ms: 10_000,
        };
        let both = [token.clone(), room.clone()];
        assert_eq!(store.take_budget(&both, 0).await.unwrap(), None);
        assert_eq!(store.take_budget(&both, 100).await.unwrap(), None);
        assert_eq!(
            store.take_budget(&both, 200).await.unwrap(),
            Some(9_800),
            "the room's budget is spent until its first call leaves the window"
        );
        assert_eq!(
            store
                .take_budget(std::slice::from_ref(&token), 200)
                .await
                .unwrap(),
            None,
            "a refused call took nothing from the token's budget"
        );
        assert_eq!(
            store
                .take_budget(std::slice::from_ref(&token), 300)
                .await
                .unwrap(),
            Some(700)
        );
        assert_eq!(
            store
                .take_budget(std::slice::from_ref(&token), 1_000)
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.take_budget(&both, 10_000).await.unwrap(), None);
    }
}
