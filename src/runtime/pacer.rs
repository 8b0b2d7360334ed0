//! Pacing of calls to HipChat: its published limits (§7.1) are kept before HipChat has to answer
//! 429 — 30 messages a minute per room (flood control) and 500 calls per 5 minutes per token.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The limits kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Messages per room per `room_window`.
    pub per_room: usize,
    /// Flood-control window.
    pub room_window: Duration,
    /// Calls per installation (token) per `installation_window`.
    pub per_installation: usize,
    /// Rate-limit window.
    pub installation_window: Duration,
}

impl RateLimits {
    /// HipChat Cloud's published numbers.
    pub const HIPCHAT: RateLimits = RateLimits {
        per_room: 30,
        room_window: Duration::from_secs(60),
        per_installation: 500,
        installation_window: Duration::from_secs(300),
    };
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::HIPCHAT
    }
}

/// Sliding windows of recent calls.
pub struct Pacer {
    limits: RateLimits,
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Pacer {
    /// A pacer keeping `limits`.
    pub fn new(limits: RateLimits) -> Pacer {
        Pacer {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until a call fits: always the installation's window, and the room's window too when
    /// the call posts a message. The call is counted when this returns.
    pub async fn admit(&self, oauth_id: &str, room_id: i64, posts_message: bool) {
        let installation = format!("i/{oauth_id}");
        let room = format!("r/{room_id}");
        loop {
            let wait = {
                let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let mut wait = wait_for(
                    &mut windows,
                    &installation,
                    now,
                    self.limits.per_installation,
                    self.limits.installation_window,
                );
                if posts_message {
                    let w = wait_for(
                        &mut windows,
                        &room,
                        now,
                        self.limits.per_room,
                        self.limits.room_window,
                    );
                    wait = wait.max(w);
                }
                if wait.is_zero() {
                    windows
                        .entry(installation.clone())
                        .or_default()
                        .push_back(now);
                    if posts_message {
                        windows.entry(room.clone()).or_default().push_back(now);
                    }
                    // Keep the map as small as the set of recently active keys.
                    if windows.len() > 4096 {
                        let horizon = self.limits.room_window.max(self.limits.installation_window);
                        windows.retain(|_, w| {
                            w.back().is_some_and(|t| now.duration_since(*t) < horizon)
                        });
                    }
                }
                wait
            };
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// How long until `key` has room for one more call (zero when it has room now).
fn wait_for(
    windows: &mut HashMap<String, VecDeque<Instant>>,
    key: &str,
    now: Instant,
    limit: usize,
    window: Duration,
) -> Duration {
    let Some(calls) = windows.get_mut(key) else {
        return Duration::ZERO;
    };
    while calls
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        calls.pop_front();
    }
    if calls.len() < limit.max(1) {
        return Duration::ZERO;
    }
    calls.front().map_or(Duration::ZERO, |oldest| {
        window.saturating_sub(now.duration_since(*oldest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn keeps_both_windows() {
        let pacer = Pacer::new(RateLimits {
            per_room: 2,
            room_window: Duration::from_secs(10),
            per_installation: 3,
            installation_window: Duration::from_secs(30),
        });
        let start = Instant::now();
        pacer.admit("a", 1, true).await;
        pacer.admit("a", 1, true).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.admit("a", 1, true).await; // room full: waits for the window
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        pacer.admit("a", 2, false).await; // installation full (3 calls in 30 s)
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        pacer.admit("b", 1, false).await; // another installation, no message: no wait
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }
}
