//! When to try a HipChat call again: HipChat's reset time for 429s, exponential backoff with
//! jitter for 5xx and timeouts, never for requests HipChat refused on their merits.

use std::future::Future;
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

/// Runs `call` until it succeeds, fails for good, or `budget` would be exceeded by the next wait.
pub async fn with_retry<T, F, Fut>(
    budget: Duration,
    backoff: Backoff,
    mut call: F,
) -> Result<T, HipChatError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HipChatError>>,
{
    let start = tokio::time::Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match call().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let now = chrono::Utc::now().timestamp();
        match backoff.after(&error, attempt, now) {
            Some(wait) if start.elapsed() + wait < budget => tokio::time::sleep(wait).await,
            _ => return Err(error),
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
}
