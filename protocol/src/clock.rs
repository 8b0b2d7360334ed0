//! The time source, injectable so expiry, service hours and retry waits can be tested without
//! sleeping; shared by the add-on and the sandbox, so the demo hands both one clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::Notify;

/// Wall-clock time, real or set by a test.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: a fixed instant, movable by tests.
    fixed: Option<Arc<Fixed>>,
}

/// A test's clock: an instant in milliseconds, and who to wake when it moves.
#[derive(Debug)]
struct Fixed {
    ms: AtomicI64,
    moved: Notify,
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
