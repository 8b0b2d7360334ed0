//! The time source, injectable so expiry, service hours and retry waits can be tested without
//! sleeping; shared by the add-on and the sandbox, so the demo hands both one clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::Notify;

/// Wall-clock time, real or set by a test.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: a fixed instant, movable by tests.
    fixed: Option<Arc<Fixed>>,
}

/// A test's clock: an instant in milliseconds, who to wake when it moves, and when each task
/// sleeping on it wakes (milliseconds), so a test can move it exactly as far as a sleep asks.
#[derive(Debug)]
struct Fixed {
    ms: AtomicI64,
    moved: Notify,
    sleeping: Mutex<Vec<i64>>,
}

/// One task's sleep on a fixed clock, listed while it lasts (however it ends).
struct Sleeping<'a> {
    fixed: &'a Fixed,
    until: i64,
}

impl<'a> Sleeping<'a> {
    fn new(fixed: &'a Fixed, until: i64) -> Sleeping<'a> {
        fixed.sleepers().push(until);
        Sleeping { fixed, until }
    }
}

impl Drop for Sleeping<'_> {
    fn drop(&mut self) {
        let mut sleeping = self.fixed.sleepers();
        if let Some(i) = sleeping.iter().position(|at| *at == self.until) {
            sleeping.swap_remove(i);
        }
    }
}

impl Fixed {
    fn sleepers(&self) -> std::sync::MutexGuard<'_, Vec<i64>> {
        // A list of instants is whole whatever panicked while it was held.
        self.sleeping.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock stopped at `at` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            fixed: Some(Arc::new(Fixed {
                ms: AtomicI64::new(at.timestamp_millis()),
                moved: Notify::new(),
                sleeping: Mutex::default(),
            })),
        }
    }

    /// Moves a fixed clock, waking the sleepers whose time has come; no effect on the system
    /// clock.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            fixed.ms.store(at.timestamp_millis(), Ordering::SeqCst);
            fixed.moved.notify_waiters();
        }
    }

    /// Moves a fixed clock forward by `by`; no effect on the system clock.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        self.set(self.now() + by);
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            None => Utc::now(),
            Some(fixed) => Utc
                .timestamp_millis_opt(fixed.ms.load(Ordering::SeqCst))
                .single()
                .unwrap_or_default(),
        }
    }

    /// On a fixed clock, the earliest instant a task sleeping on it waits for, if any sleeps on
    /// it still: a test moves the clock there to let the sleep end without overshooting it.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        let fixed = self.fixed.as_ref()?;
        let now = fixed.ms.load(Ordering::SeqCst);
        let next = fixed
            .sleepers()
            .iter()
            .copied()
            .filter(|at| *at > now)
            .min()?;
        Utc.timestamp_millis_opt(next).single()
    }

    /// Now, in Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Waits `wait`: real time on the system clock; on a fixed clock, until a test has moved it
    /// that far.
    pub async fn sleep(&self, wait: Duration) {
        let Some(fixed) = &self.fixed else {
            tokio::time::sleep(wait).await;
            return;
        };
        let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        let until = self.now() + wait;
        // Listed by the first millisecond (the clock's resolution) at which it has ended.
        let past_ms = until.timestamp_subsec_nanos() % 1_000_000 != 0;
        let _listed = Sleeping::new(fixed, until.timestamp_millis() + i64::from(past_ms));
        loop {
            // Registered before the check, so a move in between is not missed.
            let moved = fixed.moved.notified();
            if self.now() >= until {
                return;
            }
            moved.await;
        }
    }
}

/// Measures time elapsed on a [`Clock`], for intervals that must not jump with the wall clock.
#[derive(Debug, Clone)]
pub struct Stopwatch {
    clock: Clock,
    /// The runtime's monotonic instant on the system clock (a wall-clock jump does not move it);
    /// unused on a fixed clock, which is read instead.
    started: tokio::time::Instant,
    at: DateTime<Utc>,
}

impl Clock {
    /// A stopwatch started now.
    pub fn stopwatch(&self) -> Stopwatch {
        Stopwatch {
            clock: self.clone(),
            started: tokio::time::Instant::now(),
            at: self.now(),
        }
    }
}

impl Stopwatch {
    /// Time since the stopwatch started: monotonic time on the system clock, the distance the
    /// test moved it on a fixed clock.
    pub fn elapsed(&self) -> Duration {
        match &self.clock.fixed {
            None => self.started.elapsed(),
            Some(_) => (self.clock.now() - self.at).to_std().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fixed_clock_sleeps_until_it_is_moved() {
        let start = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let clock = Clock::fixed(start);
        let sleep = clock.sleep(Duration::from_secs(10));
        tokio::pin!(sleep);
        let pending = |r: Result<(), tokio::time::error::Elapsed>| r.is_err();
        // A zero timeout polls the sleep once.
        assert!(pending(
            tokio::time::timeout(Duration::ZERO, &mut sleep).await
        ));
        clock.advance(Duration::from_secs(9));
        assert!(pending(
            tokio::time::timeout(Duration::ZERO, &mut sleep).await
        ));
        clock.advance(Duration::from_secs(1));
        sleep.await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(10));
    }

    #[tokio::test]
    async fn next_wake_names_the_earliest_sleep_until_it_ends() {
        let start = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let clock = Clock::fixed(start);
        assert_eq!(clock.next_wake(), None);
        let mut long = Box::pin(clock.sleep(Duration::from_secs(10)));
        let mut short = Box::pin(clock.sleep(Duration::from_secs(3)));
        let pending = |r: Result<(), tokio::time::error::Elapsed>| r.is_err();
        assert!(pending(
            tokio::time::timeout(Duration::ZERO, &mut long).await
        ));
        assert!(pending(
            tokio::time::timeout(Duration::ZERO, &mut short).await
        ));
        assert_eq!(
            clock.next_wake(),
            Some(start + chrono::Duration::seconds(3))
        );
        clock.set(clock.next_wake().unwrap());
        short.await;
        assert_eq!(
            clock.next_wake(),
            Some(start + chrono::Duration::seconds(10))
        );
        // A sleep given up (dropped) is no longer waited for.
        drop(long);
        assert_eq!(clock.next_wake(), None);
        assert_eq!(Clock::system().next_wake(), None);
        // A wait finer than the clock's millisecond wakes at the next millisecond.
        let now = clock.now();
        let mut brief = Box::pin(clock.sleep(Duration::from_micros(400)));
        assert!(pending(
            tokio::time::timeout(Duration::ZERO, &mut brief).await
        ));
        assert_eq!(
            clock.next_wake(),
            Some(now + chrono::Duration::milliseconds(1))
        );
        clock.set(clock.next_wake().unwrap());
        brief.await;
    }

    #[test]
    fn a_stopwatch_on_a_fixed_clock_measures_the_moves() {
        let clock = Clock::fixed(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        let watch = clock.stopwatch();
        assert_eq!(watch.elapsed(), Duration::ZERO);
        clock.advance(Duration::from_millis(2500));
        assert_eq!(watch.elapsed(), Duration::from_millis(2500));
        // A clock set back reads as no time elapsed, never as negative.
        clock.set(Utc.timestamp_opt(1_600_000_000, 0).unwrap());
        assert_eq!(watch.elapsed(), Duration::ZERO);
    }
}
