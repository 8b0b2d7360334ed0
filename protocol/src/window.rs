//! The sliding window HipChat counts its limits in (HIPCHAT-CONNECT.md §7.1): the add-on's pacer
//! keeps it before calling, the sandbox keeps it when answering.
//!
//! Times are [`Duration`]s since an epoch the owner picks (a process start, the Unix epoch): the
//! window only ever compares them.

use std::collections::VecDeque;
use std::time::Duration;

/// The calls counted under one key (a room, a token): in flight, or placed at a known time.
///
/// Placed calls are kept in time order, so that forgetting those that left the window and
/// finding the next to leave look at the oldest only: a window holding a minute of calls at
/// thousands a second costs no more per call than one holding ten.
#[derive(Debug, Clone, Default)]
pub struct SlidingWindow {
    /// Calls admitted and not yet placed, by id: at most the callers' concurrency.
    in_flight: Vec<u64>,
    /// When each placed call was placed, oldest first.
    placed: VecDeque<Duration>,
}

impl SlidingWindow {
    /// Whether `limit` calls are already counted in the `window` before `now` (calls that left
    /// the window are forgotten first).
    pub fn is_full(&mut self, now: Duration, limit: usize, window: Duration) -> bool {
        while self
            .placed
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= window)
        {
            self.placed.pop_front();
        }
        self.len() >= limit
    }

    /// How long until one more call fits (zero when it fits now). A call still in flight leaves
    /// the window no sooner than `window` from now.
    pub fn wait(&mut self, now: Duration, limit: usize, window: Duration) -> Duration {
        if !self.is_full(now, limit, window) {
            return Duration::ZERO;
        }
        let oldest = self
            .placed
            .front()
            .map(|t| window.saturating_sub(now.saturating_sub(*t)));
        let in_flight = (!self.in_flight.is_empty()).then_some(window);
        oldest
            .into_iter()
            .chain(in_flight)
            .min()
            .unwrap_or_default()
    }

    /// Counts call `id`, placed at `at`, or in flight until [`SlidingWindow::place`] when `None`.
    pub fn count(&mut self, id: u64, at: Option<Duration>) {
        match at {
            Some(at) => self.insert(at),
            None => self.in_flight.push(id),
        }
    }

    /// Places call `id`, counted in flight, at `at`.
    pub fn place(&mut self, id: u64, at: Duration) {
        if self.take_in_flight(id) {
            self.insert(at);
        }
    }

    /// Forgets call `id`, counted in flight but never made.
    pub fn forget(&mut self, id: u64) {
        self.take_in_flight(id);
    }

    /// Calls counted.
    pub fn len(&self) -> usize {
        self.in_flight.len() + self.placed.len()
    }

    /// Whether no call is counted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When the earliest placed call was placed.
    pub fn oldest(&self) -> Option<Duration> {
        self.placed.front().copied()
    }

    /// Whether a call is in flight or was placed less than `horizon` before `now`.
    pub fn is_active(&self, now: Duration, horizon: Duration) -> bool {
        !self.in_flight.is_empty()
            || self
                .placed
                .back()
                .is_some_and(|t| now.saturating_sub(*t) < horizon)
    }

    /// Removes `id` from the calls in flight; whether it was there.
    fn take_in_flight(&mut self, id: u64) -> bool {
        match self.in_flight.iter().position(|f| *f == id) {
            Some(i) => {
                self.in_flight.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Adds a placed call in time order: almost always at the end (calls finish in turn), and
    /// where it belongs when a clock went back.
    fn insert(&mut self, at: Duration) {
        let i = self.placed.partition_point(|t| *t <= at);
        self.placed.insert(i, at);
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

    #[test]
    fn calls_placed_out_of_order_leave_the_window_in_time_order() {
        let mut w = SlidingWindow::default();
        w.count(1, None);
        w.count(2, None);
        w.place(2, s(5));
        w.place(1, s(3));
        w.count(3, Some(s(4)));
        assert_eq!(w.oldest(), Some(s(3)));
        assert_eq!(
            w.wait(s(6), 3, s(10)),
            s(7),
            "the call placed at 3 s leaves first"
        );
        assert!(!w.is_full(s(13), 3, s(10)));
        assert_eq!(w.len(), 2);
        assert_eq!(w.wait(s(13), 2, s(10)), s(1));
        assert!(!w.is_full(s(15), 1, s(10)));
    }

    #[test]
    fn a_forgotten_call_is_not_counted_and_cannot_be_placed() {
        let mut w = SlidingWindow::default();
        w.count(1, None);
        w.count(2, None);
        w.forget(1);
        w.place(1, s(1));
        assert_eq!(w.len(), 1);
        assert_eq!(w.wait(s(1), 1, s(10)), s(10), "call 2 is still in flight");
        w.place(2, s(2));
        assert_eq!(w.wait(s(3), 1, s(10)), s(9));
    }

    #[test]
    fn a_full_minute_at_a_high_rate_is_counted_exactly() {
        let mut w = SlidingWindow::default();
        let ms = Duration::from_millis;
        // Two calls tried every millisecond: the first 30 s fill the window, which then stays
        // full until those calls leave it, 60 s after they were made.
        for t in 0..120_000u64 {
            let now = ms(t);
            for attempt in 0..2 {
                let full = w.is_full(now, 60_000, s(60));
                assert_eq!(full, t % 60_000 >= 30_000, "at {t} ms, attempt {attempt}");
                if !full {
                    w.count(2 * t + attempt, Some(now));
                }
            }
        }
        assert_eq!(w.len(), 60_000);
        assert_eq!(w.wait(ms(119_999), 60_000, s(60)), ms(1));
    }
}
