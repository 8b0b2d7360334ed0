//! The pipeline: every user action (room message, card action confirmed in its dialog, sidebar
//! button, meme post, chat take, dynaBOARD event) runs its handler and commits claim, state and
//! outbox entries in one batch, durable before the answer; and the inbox of deferred jobs.
//!
//! Inline handlers (no outside I/O) run inside the request and may answer in the webhook
//! response (§6.4). Deferred handlers are written to the inbox with the delivery claim in one
//! batch; the request is answered at once and the work runs after, in per-room order.

mod commit;
pub mod events;
mod inbox;
mod message;
mod recent;

use std::sync::Arc;

pub use commit::Work;
pub use inbox::{CommandJob, Job};

use crate::handlers::Services;
use crate::hipchat::wire::Notification;
use crate::locks::KeyedLocks;
use crate::runtime::lanes::{Lanes, Step};
use crate::runtime::outbox::Outbox;
use crate::runtime::turns::{Known, Turns};
use crate::store::{Queue, QueueId, StoreError};

/// How long a message or event id stays claimed (DESIGN.md: at least 15 minutes).
pub const CLAIM_TTL_SECS: i64 = 30 * 60;
/// Deferred jobs accepted but not finished, at most; beyond it webhooks get 503.
pub const INBOX_CAPACITY: usize = 10_000;
/// Longest message id accepted (HipChat's are 36-character UUIDs).
pub const MAX_MESSAGE_ID: usize = 128;
/// Jobs one installation may have waiting; beyond it only that installation is refused.
pub const INBOX_PER_INSTALLATION: usize = 1_000;
/// Jobs of one installation running at once: the others keep the rest of the workers.
const JOB_CONCURRENCY_PER_INSTALLATION: usize = 4;
/// Concurrent deferred jobs across rooms.
const JOB_CONCURRENCY: usize = 16;
/// Attempts at committing when a concurrent change invalidated a handler's reads. Two instances
/// numbering one installation's incidents flat out lose to each other about half the time: with
/// 8 attempts 0.4 % of `/incident`s answered 409 in the load bench, with 16 none in two runs
/// (BENCHMARKS.md).
const CONFLICT_RETRIES: usize = 16;

/// What became of a user action.
#[derive(Debug)]
pub enum Handled {
    /// Answered in the webhook response.
    Reply(Box<Notification>),
    /// Acted on, or queued to be, without an inline answer.
    Accepted,
    /// Already acted on: a redelivery.
    Duplicate,
    /// Nothing to do (not a person, not a command).
    Ignored,
}

impl Handled {
    /// The metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Handled::Reply(_) | Handled::Accepted => "handled",
            Handled::Duplicate => "duplicate",
            Handled::Ignored => "ignored",
        }
    }
}

/// The pipeline and the inbox; cheap to share.
pub struct Pipeline {
    services: Services,
    outbox: Outbox,
    inbox: Lanes<(String, String), QueueId>,
    /// Per installation: handlers that number things (incidents) read and write in turn, so
    /// concurrent commands of this instance do not collide on the counter (other instances'
    /// may: the counter's precondition makes the loser retry). Only the apply is inside; the
    /// flush is shared by everyone outside it.
    writers: KeyedLocks,
    /// Claims of messages whose answer changed nothing (see `recent.rs`).
    recent: recent::RecentClaims,
    /// Turns on inbox lanes shared with other instances.
    turns: Turns,
    /// Jobs in this instance's lanes.
    known_jobs: Known,
}

impl Pipeline {
    /// A pipeline running handlers with `services`, sending through `outbox`.
    pub fn new(services: Services, outbox: Outbox) -> Arc<Pipeline> {
        Arc::new_cyclic(|weak: &std::sync::Weak<Pipeline>| {
            let weak = weak.clone();
            let attempts = Arc::new(inbox::Attempts::default());
            let inbox = Lanes::new(
                "inbox",
                JOB_CONCURRENCY,
                JOB_CONCURRENCY_PER_INSTALLATION,
                services.clock.clone(),
                move |lane, id: QueueId| {
                    let pipeline = weak.upgrade();
                    let attempts = attempts.clone();
                    async move {
                        match pipeline {
                            Some(pipeline) => pipeline.run_in_turn(&lane, id, &attempts).await,
                            None => Step::Done,
                        }
                    }
                },
            );
            let turns = Turns::new(services.store.clone(), Queue::Inbox, services.clock.clone());
            Pipeline {
                turns,
                known_jobs: Known::default(),
                services,
                outbox,
                inbox,
                writers: KeyedLocks::default(),
                recent: recent::RecentClaims::default(),
            }
        })
    }

    /// The command registry.
    pub fn registry(&self) -> &crate::handlers::Registry {
        &self.services.registry
    }

    /// Waits until accepted jobs ran and their calls were delivered.
    pub async fn wait_idle(&self) {
        loop {
            self.inbox.wait_idle().await;
            self.outbox.wait_idle().await;
            if self.inbox.is_empty() && self.outbox.pending() == 0 {
                return;
            }
        }
    }

    /// Jobs accepted and not finished.
    pub fn pending_jobs(&self) -> usize {
        self.inbox.len()
    }

    /// Writes the in-memory claims to the store (at shutdown), so that a redelivery after a
    /// clean restart is still recognised.
    pub async fn keep_recent_claims(&self) -> Result<usize, StoreError> {
        let store = &self.services.store;
        let now = self.services.clock.unix();
        let claims = self.recent.unexpired(now);
        store.keep_claims(&claims).await?;
        store.flush().await?;
        Ok(claims.len())
    }
}
