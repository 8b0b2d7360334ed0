//! A value derived from stored records, kept until a write to those records invalidates it.

use std::sync::Mutex;

use super::StoreResult;

/// The cached value with the invalidation generation it was computed at. A computation that
/// started before an invalidation does not put back its (possibly stale) result.
pub(super) struct Derived<T> {
    state: Mutex<(u64, Option<T>)>,
}

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived {
            state: Mutex::new((0, None)),
        }
    }
}

impl<T: Clone> Derived<T> {
    /// The cached value, or `compute`'s, kept unless invalidated meanwhile.
    pub(super) async fn get<F: Future<Output = StoreResult<T>>>(
        &self,
        compute: impl FnOnce() -> F,
    ) -> StoreResult<T> {
        let generation = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(value) = &state.1 {
                return Ok(value.clone());
            }
            state.0
        };
        let value = compute().await?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 == generation {
            state.1 = Some(value.clone());
        }
        Ok(value)
    }

    /// Drops the value: the records it came from changed.
    pub(super) fn invalidate(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 += 1;
        state.1 = None;
    }
}
