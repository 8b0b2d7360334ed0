//! The retry policy of HipChat calls: HipChat's reset time for 429s, exponential backoff with
//! jitter for 5xx and timeouts, never for requests HipChat refused on their merits; interactive
//! calls within a small budget, background calls over a bounded number of attempts.

use std::time::Duration;

use super::client::HipChatError;

/// Exponential backoff bounds.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay before the first retry.
    pub base: Duration,
    /// Largest delay between two attempts.
    pub max: Duration,
}

/// Background sends: start at 1 s, never wait more than 5 minutes between attempts.
pub const OUTBOX_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(1),
    max: Duration::from_secs(300),
};

/// Synchronous calls (a person is waiting): short steps.
pub const INTERACTIVE_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(200),
    max: Duration::from_secs(2),
};

impl Backoff {
    /// Delay before attempt `attempt` (1 = first retry), with "equal jitter": half fixed, half random.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1).min(20))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max);
        let half = exp / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    /// How long to wait after `error` on attempt `attempt`, or `None` when retrying is pointless.
    pub fn after(&self, error: &HipChatError, attempt: u32, now_unix: i64) -> Option<Duration> {
        match error {
            HipChatError::RateLimited {
                reset_at: Some(reset),
                ..
            } => {
                // HipChat said when; believe it (within an hour, in case of a broken clock).
                Some(Duration::from_secs(
                    (*reset - now_unix).clamp(1, 3600) as u64
                ))
            }
            e if e.is_transient() => Some(self.delay(attempt)),
            _ => None,
        }
    }
}

/// How long a call may keep trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// A person is waiting: short steps within [`INTERACTIVE_BUDGET`].
    Interactive,
    /// Nobody is waiting (the outbox): bounded backoff honouring HipChat's reset time, for up to
    /// [`BACKGROUND_ATTEMPTS`] attempts.
    Background,
}

/// Time an interactive call may take, retries and pacing waits included.
pub const INTERACTIVE_BUDGET: Duration = Duration::from_secs(4);

/// Attempts before a background call is given up (at the 5-minute backoff cap, over a day).
pub const BACKGROUND_ATTEMPTS: u32 = 300;

impl Policy {
    /// How long to wait before trying again after attempt `attempt` (1 = the first) failed with
    /// `error`, `spent` after the call began; `None`: give up.
    pub fn retry_after(
        self,
        error: &HipChatError,
        attempt: u32,
        spent: Duration,
        now_unix: i64,
    ) -> Option<Duration> {
        match self {
            Policy::Interactive => INTERACTIVE_BACKOFF
                .after(error, attempt, now_unix)
                .filter(|wait| self.may_wait(spent, *wait)),
            Policy::Background => OUTBOX_BACKOFF
                .after(error, attempt, now_unix)
                .filter(|_| attempt < BACKGROUND_ATTEMPTS),
        }
    }

    /// Whether a call that has taken `spent` may wait `wait` more (for a retry or for pacing).
    pub fn may_wait(self, spent: Duration, wait: Duration) -> bool {
        match self {
            Policy::Interactive => spent + wait < INTERACTIVE_BUDGET,
            Policy::Background => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_bounded() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(8),
        };
        for attempt in 1..40 {
            let d = b.delay(attempt);
            assert!(d <= Duration::from_secs(8), "attempt {attempt}: {d:?}");
        }
        assert!(b.delay(1) >= Duration::from_millis(500));
        assert!(b.delay(4) >= Duration::from_secs(4));
    }

    #[test]
    fn only_transient_errors_are_retried() {
        let b = OUTBOX_BACKOFF;
        assert!(b.after(&HipChatError::Timeout, 1, 0).is_some());
        assert!(b.after(&HipChatError::NotFound("x".into()), 1, 0).is_none());
        let limited = HipChatError::RateLimited {
            reset_at: Some(130),
            flood: true,
        };
        assert_eq!(b.after(&limited, 1, 100), Some(Duration::from_secs(30)));
    }

    #[test]
    fn interactive_calls_stay_within_their_budget_and_background_ones_within_their_attempts() {
        let failed = HipChatError::Server {
            status: 500,
            message: String::new(),
        };
        let interactive = Policy::Interactive;
        assert!(
            interactive
                .retry_after(&failed, 1, Duration::ZERO, 0)
                .is_some()
        );
        assert!(
            interactive
                .retry_after(&failed, 1, INTERACTIVE_BUDGET, 0)
                .is_none()
        );
        let limited = HipChatError::RateLimited {
            reset_at: Some(60),
            flood: false,
        };
        assert!(
            interactive
                .retry_after(&limited, 1, Duration::ZERO, 0)
                .is_none(),
            "nobody waits a minute for a page"
        );
        let background = Policy::Background;
        assert_eq!(
            background.retry_after(&limited, 1, Duration::from_secs(3600), 0),
            Some(Duration::from_secs(60))
        );
        assert!(
            background
                .retry_after(&failed, BACKGROUND_ATTEMPTS, Duration::ZERO, 0)
                .is_none()
        );
        let refused = HipChatError::Forbidden("scope".into());
        assert!(
            background
                .retry_after(&refused, 1, Duration::ZERO, 0)
                .is_none()
        );
    }
}
