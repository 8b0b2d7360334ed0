//! The time source, injectable so expiry and service-hours logic can be tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

/// Wall-clock time, real or set by a test.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. `Some`: a fixed instant in milliseconds, movable by tests.
    fixed_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { fixed_ms: None }
    }

    /// A clock stopped at `at` until [`Clock::set`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            fixed_ms: Some(Arc::new(AtomicI64::new(at.timestamp_millis()))),
        }
    }

    /// Moves a fixed clock; no effect on the system clock.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(ms) = &self.fixed_ms {
            ms.store(at.timestamp_millis(), Ordering::SeqCst);
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed_ms {
            None => Utc::now(),
            Some(ms) => Utc
                .timestamp_millis_opt(ms.load(Ordering::SeqCst))
                .single()
                .unwrap_or_default(),
        }
    }

    /// Now, in Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }
}
