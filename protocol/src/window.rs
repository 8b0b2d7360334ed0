//! The sliding window HipChat counts its limits in (HIPCHAT-CONNECT.md §7.1): the add-on's pacer
//! keeps it before calling, the sandbox keeps it when answering.
//!
//! Times are [`Duration`]s since an epoch the owner picks (a process start, the Unix epoch): the
//! window only ever compares them.

use std::time::Duration;

/// The calls counted under one key (a room, a token): in flight, or placed at a known time.
#[derive(Debug, Clone, Default)]
pub struct SlidingWindow {
    slots: Vec<Slot>,
}

/// One counted call; `at` is unset while it is in flight.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u64,
    at: Option<Duration>,
}

impl SlidingWindow {
    /// Whether `limit` calls are already counted in the `window` before `now` (calls that left
    /// the window are forgotten first).
    pub fn is_full(&mut self, now: Duration, limit: usize, window: Duration) -> bool {
        self.slots
            .retain(|s| s.at.is_none_or(|t| now.saturating_sub(t) < window));
        self.slots.len() >= limit
    }

    /// How long until one more call fits (zero when it fits now). A call still in flight leaves
    /// the window no sooner than `window` from now.
    pub fn wait(&mut self, now: Duration, limit: usize, window: Duration) -> Duration {
        if !self.is_full(now, limit, window) {
            return Duration::ZERO;
        }
        self.slots
            .iter()
            .map(|s| {
                s.at.map_or(window, |t| window.saturating_sub(now.saturating_sub(t)))
            })
            .min()
            .unwrap_or_default()
    }

    /// Counts call `id`, placed at `at`, or in flight until [`SlidingWindow::place`] when `None`.
    pub fn count(&mut self, id: u64, at: Option<Duration>) {
        self.slots.push(Slot { id, at });
    }

    /// Places call `id`, counted in flight, at `at`.
    pub fn place(&mut self, id: u64, at: Duration) {
        for slot in self.slots.iter_mut().filter(|s| s.id == id) {
            slot.at = Some(at);
        }
    }

    /// Forgets call `id`, counted but never made.
    pub fn forget(&mut self, id: u64) {
        self.slots.retain(|s| s.id != id);
    }

    /// Calls counted.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no call is counted.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// When the earliest placed call was placed.
    pub fn oldest(&self) -> Option<Duration> {
        self.slots.iter().filter_map(|s| s.at).min()
    }

    /// Whether a call is in flight or was placed less than `horizon` before `now`.
    pub fn is_active(&self, now: Duration, horizon: Duration) -> bool {
        self.slots
            .iter()
            .any(|s| s.at.is_none_or(|t| now.saturating_sub(t) < horizon))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn counts_within_the_window_and_forgets_what_left_it() {
        let mut w = SlidingWindow::default();
        w.count(0, Some(s(0)));
        w.count(1, Some(s(1)));
        assert!(w.is_full(s(2), 2, s(60)));
        assert_eq!(w.wait(s(2), 2, s(60)), s(58));
        assert_eq!(w.oldest(), Some(s(0)));
        assert!(
            !w.is_full(s(60), 2, s(60)),
            "the first call left the window"
        );
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn a_call_in_flight_keeps_its_place_until_placed() {
        let mut w = SlidingWindow::default();
        w.count(7, None);
        assert_eq!(w.wait(s(100), 1, s(10)), s(10));
        assert!(w.is_active(s(1000), s(1)));
        w.place(7, s(100));
        assert_eq!(w.wait(s(104), 1, s(10)), s(6));
        assert!(!w.is_active(s(110), s(10)));
        assert_eq!(w.wait(s(110), 1, s(10)), Duration::ZERO);
        assert!(w.is_empty());
    }
}
