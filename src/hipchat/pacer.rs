//! Pacing of calls to HipChat: its published limits (§7.1) are kept before HipChat has to answer
//! 429 — 30 messages a minute per room (flood control) and 500 calls per 5 minutes per token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hipboard_protocol::window::SlidingWindow;
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
///
/// A call is counted from the moment it is admitted, but its place in the window is the moment it
/// *finished* (its answer arrived or it failed): HipChat counts a call when it receives it, which
/// is somewhere between the two, so only the finish time is sure not to be earlier than HipChat's.
/// Stamping at admission let a slow call followed by a fast one look, to HipChat, like more calls
/// in one window than the pacer had allowed, and HipChat answered 429.
pub struct Pacer {
    limits: RateLimits,
    /// The windows' epoch.
    start: Instant,
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    by_key: HashMap<String, SlidingWindow>,
    next_id: u64,
}

/// An admitted call; dropping it (when the call has finished) fixes its place in the windows.
#[must_use = "the call is placed in the window when the permit is dropped, after the call"]
pub struct Permit<'a> {
    pacer: &'a Pacer,
    keys: Vec<String>,
    id: u64,
}

impl Pacer {
    /// A pacer keeping `limits`.
    pub fn new(limits: RateLimits) -> Pacer {
        Pacer {
            limits,
            start: Instant::now(),
            windows: Mutex::new(Windows::default()),
        }
    }

    /// Waits until a call fits: always the installation's window, and the room's window too when
    /// the call posts a message. Hold the permit while making the call and drop it after.
    pub async fn admit(&self, oauth_id: &str, room_id: i64, posts_message: bool) -> Permit<'_> {
        loop {
            match self.try_admit(oauth_id, room_id, posts_message) {
                Ok(permit) => return permit,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// A permit when the call fits now, else how long until it may: the caller decides how to
    /// wait (the outbox gives its worker slot back meanwhile).
    pub fn try_admit(
        &self,
        oauth_id: &str,
        room_id: i64,
        posts_message: bool,
    ) -> Result<Permit<'_>, Duration> {
        let mut keys = vec![format!("i/{oauth_id}")];
        let mut limits = vec![(
            self.limits.per_installation,
            self.limits.installation_window,
        )];
        if posts_message {
            keys.push(format!("r/{room_id}"));
            limits.push((self.limits.per_room, self.limits.room_window));
        }
        let mut windows = self.lock();
        let now = self.now();
        let wait = keys
            .iter()
            .zip(&limits)
            .map(|(key, (limit, window))| {
                windows
                    .by_key
                    .get_mut(key)
                    .map_or(Duration::ZERO, |w| w.wait(now, (*limit).max(1), *window))
            })
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            return Err(wait);
        }
        let id = windows.next_id;
        windows.next_id += 1;
        for key in &keys {
            windows
                .by_key
                .entry(key.clone())
                .or_default()
                .count(id, None);
        }
        self.forget_idle_keys(&mut windows, now);
        Ok(Permit {
            pacer: self,
            keys,
            id,
        })
    }

    /// Time since the pacer started: the windows' clock.
    fn now(&self) -> Duration {
        Instant::now().duration_since(self.start)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps the map as small as the set of recently active keys.
    fn forget_idle_keys(&self, windows: &mut Windows, now: Duration) {
        if windows.by_key.len() <= 4096 {
            return;
        }
        let horizon = self.limits.room_window.max(self.limits.installation_window);
        windows.by_key.retain(|_, w| w.is_active(now, horizon));
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let now = self.pacer.now();
        let mut windows = self.pacer.lock();
        for key in &self.keys {
            if let Some(window) = windows.by_key.get_mut(key) {
                window.place(self.id, now);
            }
        }
    }
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
        drop(pacer.admit("a", 1, true).await);
        drop(pacer.admit("a", 1, true).await);
        assert_eq!(start.elapsed(), Duration::ZERO);
        drop(pacer.admit("a", 1, true).await); // room full: waits for the window
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        drop(pacer.admit("a", 2, false).await); // installation full (3 calls in 30 s)
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        drop(pacer.admit("b", 1, false).await); // another installation, no message: no wait
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_takes_its_place_in_the_window_when_it_finishes() {
        let pacer = Pacer::new(RateLimits {
            per_room: 1,
            room_window: Duration::from_secs(10),
            ..RateLimits::HIPCHAT
        });
        let start = Instant::now();
        let slow = pacer.admit("a", 1, true).await;
        // HipChat may receive it as late as its answer comes back: 4 s after it was admitted.
        tokio::time::sleep(Duration::from_secs(4)).await;
        drop(slow);
        drop(pacer.admit("a", 1, true).await);
        assert_eq!(start.elapsed(), Duration::from_secs(14));
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_in_flight_keeps_its_place() {
        let pacer = Pacer::new(RateLimits {
            per_installation: 1,
            installation_window: Duration::from_secs(10),
            ..RateLimits::HIPCHAT
        });
        let start = Instant::now();
        let in_flight = pacer.admit("a", 1, false).await;
        let waiting = async {
            drop(pacer.admit("a", 2, false).await);
            start.elapsed()
        };
        let finishing = async {
            tokio::time::sleep(Duration::from_secs(25)).await;
            drop(in_flight);
        };
        let (admitted_after, ()) = tokio::join!(waiting, finishing);
        assert_eq!(admitted_after, Duration::from_secs(35));
    }
}
