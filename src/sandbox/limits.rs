//! HipChat's published limits (§7.1): requests per token per 5 minutes, and flood control of
//! 30 messages per minute per room, both with `X-…-Limit/-Remaining/-Reset` headers and 429.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

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

/// Sliding-window counters by key.
#[derive(Default)]
pub(super) struct Counters {
    hits: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl Counters {
    /// Counts a request under `key` at `now_ms`.
    pub fn hit(&self, key: &str, limit: u32, window: Duration, now_ms: i64) -> Window {
        let window_ms = window.as_millis() as i64;
        let mut all = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let hits = all.entry(key.to_owned()).or_default();
        while hits.front().is_some_and(|t| *t <= now_ms - window_ms) {
            hits.pop_front();
        }
        let exceeded = hits.len() as u32 >= limit;
        if !exceeded {
            hits.push_back(now_ms);
        }
        let oldest = hits.front().copied().unwrap_or(now_ms);
        Window {
            limit,
            remaining: limit.saturating_sub(hits.len() as u32),
            reset: (oldest + window_ms + 999) / 1000,
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
