//! HipChat's published limits (§7.1): requests per token per 5 minutes, and flood control of
//! 30 messages per minute per room, both with `X-…-Limit/-Remaining/-Reset` headers and 429.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hipboard_protocol::window::SlidingWindow;

/// Limit settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Requests per token per window.
    pub per_token: u32,
    /// Token window.
    pub token_window: Duration,
    /// Posted messages per room per window.
    pub per_room: u32,
    /// Room window.
    pub room_window: Duration,
}

impl Limits {
    /// HipChat Cloud's numbers: 500 per 5 minutes per token, 30 per minute per room.
    pub fn hipchat() -> Limits {
        Limits {
            per_token: 500,
            token_window: Duration::from_secs(300),
            per_room: 30,
            room_window: Duration::from_secs(60),
        }
    }
}

/// Outcome of counting one request against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The limit.
    pub limit: u32,
    /// What is left after this request.
    pub remaining: u32,
    /// Unix seconds when the oldest counted request leaves the window.
    pub reset: i64,
    /// Whether this request was over the limit (and not counted).
    pub exceeded: bool,
}

/// Sliding windows by key, the add-on's pacer's type: every call is placed when it is answered.
#[derive(Default)]
pub(super) struct Counters {
    windows: Mutex<HashMap<String, SlidingWindow>>,
    next_id: AtomicU64,
}

impl Counters {
    /// Counts a request under `key` at `now_ms` (Unix milliseconds).
    pub fn hit(&self, key: &str, limit: u32, window: Duration, now_ms: i64) -> Window {
        let now = Duration::from_millis(u64::try_from(now_ms).unwrap_or_default());
        let mut all = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let hits = all.entry(key.to_owned()).or_default();
        let exceeded = hits.is_full(now, limit as usize, window);
        if !exceeded {
            hits.count(self.next_id.fetch_add(1, Ordering::Relaxed), Some(now));
        }
        let oldest = hits.oldest().unwrap_or(now);
        Window {
            limit,
            remaining: limit.saturating_sub(hits.len() as u32),
            reset: ((oldest + window).as_millis() as i64 + 999) / 1000,
            exceeded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_window() {
        let c = Counters::default();
        let w = Duration::from_secs(60);
        assert!(!c.hit("r", 2, w, 0).exceeded);
        assert_eq!(c.hit("r", 2, w, 1000).remaining, 0);
        let third = c.hit("r", 2, w, 2000);
        assert!(third.exceeded);
        assert_eq!(third.reset, 60);
        assert!(
            !c.hit("r", 2, w, 60_001).exceeded,
            "the first hit left the window"
        );
    }
}
