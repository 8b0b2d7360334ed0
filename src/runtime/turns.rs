//! Turns on shared lanes. With several instances on one store (PostgreSQL), the entries of one
//! lane (an outbox room, an inbox room) are worked by one instance at a time, first entry first,
//! whichever instance accepted them; an instance that dies mid-turn is taken over once its turn
//! expires. On a store of one process (sled) nobody shares a lane, and work runs directly.

use std::future::Future;
use std::time::Duration;

use super::lanes::Step;
use crate::clock::Clock;
use crate::store::{Queue, QueueId, Store};

/// How long a turn lasts unless its holder ends it first: longer than one HipChat call or job
/// with its retries inside, short enough that a dead instance's lanes are taken over soon.
pub const TURN_SECS: i64 = 60;

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
            let now = self.clock.unix();
            let taken = self
                .store
                .take_lease(&self.lease(lane), &self.holder, now, now + TURN_SECS)
                .await;
            match taken {
                Ok(true) => {}
                Ok(false) => return Step::Later(BUSY_WAIT),
                Err(e) => {
                    tracing::warn!(lane, error = %e, "cannot take a turn on a shared lane");
                    return Step::Later(STORE_WAIT);
                }
            }
            let target = match self.store.first_in_lane(self.queue, lane).await {
                Ok(Some(first)) if first < id && !ran.contains(&first) => first,
                Ok(_) => id,
                Err(e) => {
                    tracing::warn!(lane, error = %e, "cannot read a shared lane");
                    self.end(lane).await;
                    return Step::Later(STORE_WAIT);
                }
            };
            let step = run(target).await;
            if target == id || step != Step::Done {
                self.end(lane).await;
                return step;
            }
            ran.push(target);
        }
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
