//! Turns on shared lanes. With several instances on one store (PostgreSQL), the entries of one
//! lane (an outbox room, an inbox room) are worked by one instance at a time, first entry first,
//! whichever instance accepted them; an instance that dies mid-turn is taken over once its turn
//! expires. On a store of one process (sled) nobody shares a lane, and work runs directly.

use std::future::Future;
use std::time::Duration;

use super::lanes::Step;
use crate::clock::Clock;
use crate::store::{Queue, QueueId, Store};

/// How long a turn lasts unless its holder renews or ends it: a dead instance's lanes are taken
/// over this long after its last renewal (plus the time until another instance looks).
pub const TURN_SECS: i64 = 10;

/// How often a turn is renewed while its entry runs (a HipChat call with its timeout, a job):
/// several renewals fit in a turn, so one slow store write does not lose it.
const RENEW_EVERY: Duration = Duration::from_secs(3);

/// How soon an entry whose lane another instance works is tried again.
const BUSY_WAIT: Duration = Duration::from_millis(250);

/// How soon an entry is tried again after the store failed to say whose turn it is.
const STORE_WAIT: Duration = Duration::from_secs(1);

/// A lane's name among instances: `{oauthId}/{room}` (a room id, or an inbox lane's room name).
pub fn lane_name(installation: &str, room: impl std::fmt::Display) -> String {
    format!("{installation}/{room}")
}

/// This instance's turns on one queue's lanes.
pub struct Turns {
    store: Store,
    queue: Queue,
    clock: Clock,
    /// Who this instance is to the others (new at every start: a restarted instance does not
    /// inherit the turns of its previous life, which expire).
    holder: String,
}

impl Turns {
    /// Turns on `queue`'s lanes in `store`.
    pub fn new(store: Store, queue: Queue, clock: Clock) -> Turns {
        Turns {
            store,
            queue,
            clock,
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Whether lanes are shared with other instances (entries must then be indexed by lane).
    pub fn shared(&self) -> bool {
        self.store.is_shared()
    }

    /// Runs `run` for entry `id` of `lane` in this instance's turn, after every earlier entry
    /// of the lane still queued (other instances' included), each in its own `run`. Another
    /// instance's turn makes it wait ([`Step::Later`]) without doing anything.
    pub async fn work<F, Fut>(&self, lane: &str, id: QueueId, mut run: F) -> Step
    where
        F: FnMut(QueueId) -> Fut,
        Fut: Future<Output = Step>,
    {
        if !self.shared() {
            return run(id).await;
        }
        // Earlier entries run here once each: one that stays queued after its run (its storage
        // failed) is not run again in this turn.
        let mut ran = Vec::new();
        loop {
            match self.take(lane, self.clock.unix()).await {
                Ok(true) => {}
                Ok(false) => return Step::Later(BUSY_WAIT),
                Err(e) => {
                    tracing::warn!(lane, error = %e, "cannot take a turn on a shared lane");
                    return Step::Later(STORE_WAIT);
                }
            }
            let target = match self.store.first_in_lane(self.queue, lane, id).await {
                Ok(Some(first)) if !ran.contains(&first) => first,
                Ok(_) => id,
                Err(e) => {
                    tracing::warn!(lane, error = %e, "cannot read a shared lane");
                    self.end(lane).await;
                    return Step::Later(STORE_WAIT);
                }
            };
            let step = self.holding(lane, run(target)).await;
            if target == id || step != Step::Done {
                self.end(lane).await;
                return step;
            }
            ran.push(target);
        }
    }

    /// Runs `work` in this instance's turn on `lane`, renewing the turn until it finishes.
    async fn holding<T>(&self, lane: &str, work: impl Future<Output = T>) -> T {
        tokio::select! {
            // The renewals' schedule starts before the work does.
            biased;
            never = self.renew(lane) => match never {},
            done = work => done,
        }
    }

    /// Renews this instance's turn on `lane` every [`RENEW_EVERY`], for as long as it is polled.
    async fn renew(&self, lane: &str) -> std::convert::Infallible {
        // Each renewal is due a fixed time after the previous one was stamped, however long
        // its write took.
        let mut due = self.clock.now() + RENEW_EVERY;
        loop {
            let wait = (due - self.clock.now()).to_std().unwrap_or_default();
            self.clock.sleep(wait).await;
            let now = self.clock.now();
            due = now + RENEW_EVERY;
            match self.take(lane, now.timestamp()).await {
                Ok(true) => {}
                // Another instance took the lane over (this one stalled past its turn): a job's
                // commit claim and the outbox's history check keep the work done once.
                Ok(false) => tracing::warn!(lane, "a turn ran out before its entry finished"),
                Err(e) => tracing::warn!(lane, error = %e, "cannot renew a turn"),
            }
        }
    }

    /// Takes (or extends) this instance's turn on `lane` from `now` for [`TURN_SECS`].
    async fn take(&self, lane: &str, now: i64) -> crate::store::StoreResult<bool> {
        let lease = self.lease(lane);
        let until = now + TURN_SECS;
        self.store
            .take_lease(&lease, &self.holder, now, until)
            .await
    }

    /// The name of the lease that is a lane's turn.
    fn lease(&self, lane: &str) -> String {
        format!("turn/{}/{lane}", self.queue.name())
    }

    async fn end(&self, lane: &str) {
        if let Err(e) = self.store.end_lease(&self.lease(lane), &self.holder).await {
            // It expires by itself.
            tracing::warn!(lane, error = %e, "cannot end a turn on a shared lane");
        }
    }
}

/// The entries in this instance's lanes, so that adopting stored entries skips those it has.
#[derive(Default)]
pub struct Known(std::sync::Mutex<std::collections::HashSet<QueueId>>);

impl Known {
    /// Notes `id`; `false` if it was noted already.
    pub fn insert(&self, id: QueueId) -> bool {
        self.set().insert(id)
    }

    /// Forgets `id` (its entry finished).
    pub fn remove(&self, id: QueueId) {
        self.set().remove(&id);
    }

    fn set(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<QueueId>> {
        // One insert or remove at a time: the set is whole even after a panic elsewhere.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use chrono::TimeZone;
    use tokio::sync::Notify;

    use super::*;
    use crate::store::Keyspace;
    use crate::store::test_db::fresh_database;

    /// Until when the turn on `lane` of `turns`' queue lasts, as stored.
    async fn turn_until(turns: &Turns, lane: &str) -> Option<i64> {
        let name = turns.lease(lane);
        let lease: Option<serde_json::Value> = turns
            .store
            .get(Keyspace::Turns, name.as_bytes())
            .await
            .ok()?;
        lease?["until"].as_i64()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_turn_lasts_while_its_entry_runs_and_is_taken_over_once_its_holder_is_gone() {
        let Some(url) = fresh_database().await else {
            return;
        };
        let store = Store::open_postgres(&url, 4).await.unwrap();
        let clock = Clock::fixed(chrono::Utc.timestamp_opt(1_800_000_000, 0).unwrap());
        let a = Arc::new(Turns::new(store.clone(), Queue::Outbox, clock.clone()));
        let b = Turns::new(store.clone(), Queue::Outbox, clock.clone());
        let lane = "oauth/7";
        let (started, finish) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let long_entry = {
            let (a, started, finish) = (a.clone(), started.clone(), finish.clone());
            tokio::spawn(async move {
                a.work(lane, QueueId(1), |_| {
                    let (started, finish) = (started.clone(), finish.clone());
                    async move {
                        started.notify_one();
                        finish.notified().await;
                        Step::Done
                    }
                })
                .await
            })
        };
        started.notified().await;
        // The entry runs for 15 s of the clock, past the 10 s a turn lasts unrenewed.
        for _ in 0..5 {
            clock.advance(RENEW_EVERY);
            let renewed = clock.unix() + TURN_SECS;
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while turn_until(&b, lane).await != Some(renewed) {
                assert!(std::time::Instant::now() < deadline, "the turn was renewed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let ran = AtomicBool::new(false);
        let step = b
            .work(lane, QueueId(1), |_| {
                ran.store(true, Ordering::SeqCst);
                async { Step::Done }
            })
            .await;
        assert_eq!(step, Step::Later(BUSY_WAIT));
        assert!(
            !ran.load(Ordering::SeqCst),
            "nobody else works a lane in its turn"
        );
        finish.notify_one();
        assert_eq!(long_entry.await.unwrap(), Step::Done);

        // An instance that dies mid-entry renews nothing: its turn is taken over once it ends.
        let dying = {
            let (a, started) = (a.clone(), started.clone());
            tokio::spawn(async move {
                a.work(lane, QueueId(2), |_| {
                    let started = started.clone();
                    async move {
                        started.notify_one();
                        std::future::pending::<Step>().await
                    }
                })
                .await
            })
        };
        started.notified().await;
        dying.abort();
        let until = turn_until(&b, lane).await.unwrap();
        clock.set(chrono::Utc.timestamp_opt(until, 0).unwrap());
        let step = b.work(lane, QueueId(2), |_| async { Step::Done }).await;
        assert_eq!(step, Step::Done, "taken over when the turn ends");
    }
}
