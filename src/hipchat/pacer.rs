//! Pacing of calls to HipChat: its published limits (§7.1) are kept before HipChat has to answer
//! 429 — 30 messages a minute per room (flood control) and 500 calls per 5 minutes per token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use hipboard_protocol::window::SlidingWindow;

use crate::clock::{Clock, Stopwatch};
use crate::store::{Budget, Store};

/// Added to the windows of budgets shared with other instances: a call is stamped there when
/// admitted, while HipChat counts it when it arrives, which may be this much later.
const SHARED_MARGIN: Duration = Duration::from_secs(2);

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
    /// The windows' time since the pacer started, on the app's clock (tests move it).
    epoch: Stopwatch,
    /// What waits for a window to make room.
    clock: Clock,
    windows: Mutex<Windows>,
    /// The store whose budgets every instance takes from too, on a shared store.
    shared: Option<Store>,
    /// One taker per installation at a time in this instance: concurrent takes of one budget
    /// record would fail each other's precondition and retry.
    takers: crate::locks::KeyedLocks,
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
    /// A pacer keeping `limits`, telling time and waiting by `clock`.
    pub fn new(limits: RateLimits, clock: Clock) -> Pacer {
        Pacer {
            limits,
            epoch: clock.stopwatch(),
            clock,
            windows: Mutex::new(Windows::default()),
            shared: None,
            takers: Default::default(),
        }
    }

    /// Keeps the limits together with every other instance on `store`: each call is also
    /// taken from budgets in the store (HipChat counts all instances' calls as one add-on's).
    pub fn shared_through(mut self, store: Store) -> Pacer {
        self.shared = Some(store);
        self
    }

    /// [`Pacer::try_admit`], then, on a shared store, the shared budgets: a call fits only
    /// when it fits in both. A store that cannot be read paces this instance's calls only.
    pub async fn try_admit_everywhere(
        &self,
        oauth_id: &str,
        room_id: i64,
        posts_message: bool,
    ) -> Result<Permit<'_>, Duration> {
        let permit = self.try_admit(oauth_id, room_id, posts_message)?;
        let Some(store) = &self.shared else {
            return Ok(permit);
        };
        let margin = SHARED_MARGIN.as_millis() as i64;
        let budget = |key: String, limit: usize, window: Duration| Budget {
            key,
            limit,
            window_ms: window.as_millis() as i64 + margin,
        };
        let mut budgets = vec![budget(
            format!("i/{oauth_id}"),
            self.limits.per_installation,
            self.limits.installation_window,
        )];
        if posts_message {
            budgets.push(budget(
                format!("r/{room_id}"),
                self.limits.per_room,
                self.limits.room_window,
            ));
        }
        let taken = {
            let _taker = self.takers.lock(oauth_id).await;
            store
                .take_budget(&budgets, self.clock.now().timestamp_millis())
                .await
        };
        match taken {
            Ok(None) => Ok(permit),
            Ok(Some(wait_ms)) => {
                permit.cancel();
                Err(Duration::from_millis(wait_ms.max(1) as u64))
            }
            Err(e) => {
                tracing::warn!(error = %e, "shared rate budget unreadable; pacing this instance's calls only");
                Ok(permit)
            }
        }
    }

    /// Waits until a call fits: always the installation's window, and the room's window too when
    /// the call posts a message. Hold the permit while making the call and drop it after.
    pub async fn admit(&self, oauth_id: &str, room_id: i64, posts_message: bool) -> Permit<'_> {
        loop {
            match self.try_admit(oauth_id, room_id, posts_message) {
                Ok(permit) => return permit,
                Err(wait) => self.clock.sleep(wait).await,
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
        self.epoch.elapsed()
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

impl Permit<'_> {
    /// Takes the call back: it was admitted here but will not be made.
    fn cancel(mut self) {
        let mut windows = self.pacer.lock();
        // Emptied, so that the drop has nothing left to place.
        for key in self.keys.drain(..) {
            if let Some(window) = windows.by_key.get_mut(&key) {
                window.forget(self.id);
            }
        }
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
    use futures::FutureExt;

    fn fixed_clock() -> Clock {
        Clock::fixed(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap())
    }

    /// Admits a call that fits now (a wait would be a test failure).
    fn admit_now<'a>(pacer: &'a Pacer, oauth_id: &str, room_id: i64, posts: bool) -> Permit<'a> {
        pacer
            .admit(oauth_id, room_id, posts)
            .now_or_never()
            .expect("admitted without waiting")
    }

    #[tokio::test]
    async fn keeps_both_windows() {
        let clock = fixed_clock();
        let pacer = Pacer::new(
            RateLimits {
                per_room: 2,
                room_window: Duration::from_secs(10),
                per_installation: 3,
                installation_window: Duration::from_secs(30),
            },
            clock.clone(),
        );
        drop(admit_now(&pacer, "a", 1, true));
        drop(admit_now(&pacer, "a", 1, true));
        // Room full: the third waits for the room's window, and is admitted when it has passed.
        let third = pacer.admit("a", 1, true);
        tokio::pin!(third);
        assert!(third.as_mut().now_or_never().is_none(), "admitted at once");
        clock.advance(Duration::from_millis(9_999));
        assert!(third.as_mut().now_or_never().is_none(), "admitted early");
        clock.advance(Duration::from_millis(1));
        drop(third.now_or_never().expect("admitted after 10 s"));
        // Installation full (3 calls in 30 s): 20 s more.
        assert_eq!(
            pacer.try_admit("a", 2, false).err(),
            Some(Duration::from_secs(20))
        );
        // Another installation, no message: no wait.
        drop(admit_now(&pacer, "b", 1, false));
        clock.advance(Duration::from_secs(20));
        drop(admit_now(&pacer, "a", 2, false));
    }

    #[tokio::test]
    async fn a_call_takes_its_place_in_the_window_when_it_finishes() {
        let clock = fixed_clock();
        let pacer = Pacer::new(
            RateLimits {
                per_room: 1,
                room_window: Duration::from_secs(10),
                ..RateLimits::HIPCHAT
            },
            clock.clone(),
        );
        let slow = admit_now(&pacer, "a", 1, true);
        // HipChat may receive it as late as its answer comes back: 4 s after it was admitted.
        clock.advance(Duration::from_secs(4));
        drop(slow);
        assert_eq!(
            pacer.try_admit("a", 1, true).err(),
            Some(Duration::from_secs(10))
        );
        clock.advance(Duration::from_secs(10));
        drop(admit_now(&pacer, "a", 1, true));
    }

    #[tokio::test]
    async fn a_call_in_flight_keeps_its_place() {
        let clock = fixed_clock();
        let pacer = Pacer::new(
            RateLimits {
                per_installation: 1,
                installation_window: Duration::from_secs(10),
                ..RateLimits::HIPCHAT
            },
            clock.clone(),
        );
        let in_flight = admit_now(&pacer, "a", 1, false);
        let waiting = pacer.admit("a", 2, false);
        tokio::pin!(waiting);
        assert!(waiting.as_mut().now_or_never().is_none());
        // Still in flight 25 s later: the waiting call may not go yet.
        clock.advance(Duration::from_secs(25));
        assert!(
            waiting.as_mut().now_or_never().is_none(),
            "admitted while in flight"
        );
        drop(in_flight);
        // It finished at 25 s, so its place is 25 s: the next call fits at 35 s.
        clock.advance(Duration::from_millis(9_999));
        assert!(waiting.as_mut().now_or_never().is_none(), "admitted early");
        clock.advance(Duration::from_millis(1));
        drop(waiting.now_or_never().expect("admitted at 35 s"));
    }
}
