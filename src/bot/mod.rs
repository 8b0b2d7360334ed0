//! The bot: a verified room message, dispatched to one handler, acknowledged once durable.
//!
//! Inline handlers (no outside I/O) run inside the webhook request and may answer in the webhook
//! response (§6.4). Deferred handlers are written to the inbox with the message-id claim in one
//! batch; the request is answered at once and the work runs after, in per-room order.

mod commit;
mod jobs;
mod recent;

use std::sync::Arc;

pub use jobs::{CommandJob, Job};

use crate::auth::{Verified, WebhookItem};
use crate::dispatch::{Access, Registry};
use crate::error::ApiError;
use crate::handlers::{self, Call, Conversation, Mode, Outcome, Person, Services};
use crate::hipchat::wire::{Notification, RoomMessageItem, Sender};
use crate::locks::KeyedLocks;
use crate::runtime::lanes::{Lanes, Step};
use crate::runtime::outbox::{Outbox, Staged};
use crate::store::{Batch, QueueId, StoreError};

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
/// Attempts at committing when a concurrent change invalidated a handler's reads.
const CONFLICT_RETRIES: usize = 5;

impl WebhookItem for RoomMessageItem {
    fn room_id(&self) -> i64 {
        self.room.id
    }
    fn sender_id(&self) -> Option<i64> {
        match &self.message.from {
            Sender::User(u) => Some(u.id),
            Sender::Label(_) => None,
        }
    }
}

/// What became of a room message.
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

/// What an inline handler's commit applied.
struct Applied {
    /// The reply to answer the webhook with.
    inline: Option<Notification>,
    /// Calls to send once durable.
    staged: Staged,
    /// Whether anything besides the claim was written.
    changed: bool,
}

/// The message pipeline and the inbox; cheap to share.
pub struct Bot {
    services: Services,
    outbox: Outbox,
    inbox: Lanes<(String, String), QueueId>,
    /// Per installation: handlers that number things (incidents) read and write in turn, so
    /// concurrent commands do not collide on the counter. Only the apply is inside; the flush
    /// is shared by everyone outside it.
    writers: KeyedLocks,
    /// Claims of messages whose answer changed nothing (see `recent.rs`).
    recent: recent::RecentClaims,
}

impl Bot {
    /// A bot running handlers with `services`, replying through `outbox`.
    pub fn new(services: Services, outbox: Outbox) -> Arc<Bot> {
        Arc::new_cyclic(|weak: &std::sync::Weak<Bot>| {
            let weak = weak.clone();
            let attempts = Arc::new(jobs::Attempts::default());
            let inbox = Lanes::new(
                "inbox",
                JOB_CONCURRENCY,
                JOB_CONCURRENCY_PER_INSTALLATION,
                move |_lane, id: QueueId| {
                    let bot = weak.upgrade();
                    let attempts = attempts.clone();
                    async move {
                        match bot {
                            Some(bot) => bot.run_job(id, &attempts).await,
                            None => Step::Done,
                        }
                    }
                },
            );
            Bot {
                services,
                outbox,
                inbox,
                writers: KeyedLocks::default(),
                recent: recent::RecentClaims::default(),
            }
        })
    }

    /// The command registry.
    pub fn registry(&self) -> &Registry {
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

    /// Handles one verified room message.
    pub async fn on_room_message(
        &self,
        hook: &Verified<RoomMessageItem>,
    ) -> Result<Handled, ApiError> {
        if hook.envelope.event != "room_message" {
            return Err(ApiError::BadRequest(format!(
                "this URL takes room_message events, not {}",
                hook.envelope.event
            )));
        }
        let item = &hook.envelope.item;
        let message = &item.message;
        // Only people trigger the bot; notifications (ours included) never do.
        let Sender::User(user) = &message.from else {
            return Ok(Handled::Ignored);
        };
        if !matches!(message.kind.as_str(), "message" | "guest_access") {
            return Ok(Handled::Ignored);
        }
        // The id becomes a stored dedupe key: HipChat's are UUIDs, so anything long is refused
        // rather than stored (a flood of huge ids would cost memory and disk).
        if message.id.is_empty() || message.id.len() > MAX_MESSAGE_ID {
            return Err(ApiError::BadRequest(format!(
                "message id must be 1 to {MAX_MESSAGE_ID} bytes"
            )));
        }
        let Some(hit) = self.services.registry.dispatch(&message.message) else {
            return Ok(Handled::Ignored);
        };
        let conversation = Conversation {
            oauth_id: hook.installation.oauth_id.clone(),
            room_id: item.room.id,
            room_name: item.room.name.clone(),
            sender: person(user),
            message_id: message.id.clone(),
        };
        // Scoped to installation and room: another HipChat (or room) may reuse the same id.
        let claim = format!(
            "msg:{}:{}:{}",
            conversation.oauth_id, conversation.room_id, message.id
        );
        // A guest (in a room by its guest link: a customer in a personal chat room) runs only
        // what a command explicitly allows; anything else would read internal issues.
        let guest = message.kind == "guest_access" || user.is_guest == Some(true);
        if guest && !hit.command.guests {
            // A pasted link is no request, and a stray slash word no command: a guest's is
            // left alone, without a refusal (or a list of internal commands) to read.
            if hit.command.kind != crate::dispatch::Kind::Command {
                return Ok(Handled::Ignored);
            }
            // Claimed like any answer: the same message reaches several webhooks.
            let refusal = handlers::addressed(&conversation.sender, guest_refusal(hit.command));
            let applied = self.apply_inline(&claim, &conversation, Outcome::reply(refusal))?;
            return self.make_durable(applied).await;
        }
        let call = match Call::parse(hit.command.handler, hit.args) {
            Ok(call) => call,
            Err(problem) => {
                let reply = handlers::addressed(
                    &conversation.sender,
                    handlers::usage_reply(hit.command, &problem),
                );
                let applied = self.apply_inline(&claim, &conversation, Outcome::reply(reply))?;
                return self.make_durable(applied).await;
            }
        };
        // Asking HipChat who is an admin takes time: admin-only commands always run after.
        let admin_only =
            (hit.command.access == Access::RoomAdmins).then(|| hit.command.name.clone());
        if admin_only.is_some() || call.mode() == Mode::Deferred {
            let job = Job::Command(CommandJob {
                conversation,
                call,
                admin_only,
            });
            let fresh = self.accept_claimed(&claim, job).await?;
            return Ok(if fresh {
                Handled::Accepted
            } else {
                Handled::Duplicate
            });
        }
        let turn = match call.numbers_things() {
            true => Some(self.writers.lock(&conversation.oauth_id).await),
            false => None,
        };
        let mut applied = None;
        for _ in 0..CONFLICT_RETRIES {
            let outcome = handlers::run(&call, &conversation, &self.services).await?;
            match self.apply_inline(&claim, &conversation, outcome) {
                Err(ApiError::Store(StoreError::Conflict(_))) => continue,
                other => {
                    applied = Some(other?);
                    break;
                }
            }
        }
        drop(turn);
        match applied {
            Some(applied) => self.make_durable(applied).await,
            None => Err(StoreError::Conflict(claim).into()),
        }
    }

    /// Flushes what was applied, then lets it out: the reply inline, the rest via the outbox.
    async fn make_durable(&self, applied: Applied) -> Result<Handled, ApiError> {
        // A reply that changed nothing (e.g. /help) was claimed in memory; losing that claim
        // in a crash costs at most one repeated, harmless reply, so it skips the fsync.
        if applied.changed {
            self.services.store.flush().await?;
        }
        let accepted = !applied.staged.is_empty();
        self.outbox.release(applied.staged);
        Ok(match applied.inline {
            Some(reply) => Handled::Reply(Box::new(reply)),
            None if accepted || applied.changed => Handled::Accepted,
            None => Handled::Duplicate,
        })
    }

    /// Applies the claim, state and queued calls in one transaction (`None` reply: a duplicate).
    /// An answer that changes nothing is claimed in memory only.
    fn apply_inline(
        &self,
        claim: &str,
        conversation: &Conversation,
        outcome: Outcome,
    ) -> Result<Applied, ApiError> {
        let store = &self.services.store;
        let now = self.services.clock.unix();
        let duplicate = Applied {
            inline: None,
            staged: Staged::default(),
            changed: false,
        };
        // A message answered without a change may not change anything when delivered again.
        if self.recent.holds(claim, now) {
            return Ok(duplicate);
        }
        if outcome.writes.is_empty() && outcome.room_calls.is_empty() && outcome.replies.len() <= 1
        {
            let fresh = !store.is_claimed(claim, now)?
                && self.recent.claim(claim, now, now + CLAIM_TTL_SECS);
            return Ok(match fresh {
                true => Applied {
                    inline: outcome.replies.into_iter().next(),
                    staged: Staged::default(),
                    changed: false,
                },
                false => duplicate,
            });
        }
        let mut batch = outcome.writes;
        store.claim(&mut batch, claim, now, CLAIM_TTL_SECS);
        let mut replies = outcome.replies.into_iter();
        let inline = replies.next();
        let mut staged = Staged::default();
        for reply in replies {
            self.stage_reply(&mut batch, &mut staged, conversation, reply)?;
        }
        self.stage_calls(
            &mut batch,
            &mut staged,
            &conversation.oauth_id,
            outcome.room_calls,
        )?;
        match store.apply(batch) {
            Ok(()) => Ok(Applied {
                inline,
                staged,
                changed: true,
            }),
            Err(StoreError::Duplicate(_)) => Ok(duplicate),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the in-memory claims to the store (at shutdown), so that a redelivery after a
    /// clean restart is still recognised.
    pub async fn keep_recent_claims(&self) -> Result<usize, StoreError> {
        let store = &self.services.store;
        let now = self.services.clock.unix();
        let claims = self.recent.unexpired(now);
        store.keep_claims(&claims)?;
        store.flush().await?;
        Ok(claims.len())
    }

    /// Accepts a job guarded by a delivery-id claim; `false` when the id was seen before.
    pub async fn accept_claimed(&self, claim: &str, job: Job) -> Result<bool, ApiError> {
        let mut batch = Batch::new();
        self.services.store.claim(
            &mut batch,
            claim,
            self.services.clock.unix(),
            CLAIM_TTL_SECS,
        );
        self.accept(batch, job).await
    }
}

fn guest_refusal(command: &crate::dispatch::Command) -> Notification {
    crate::hipchat::message::html(
        crate::html!("<code>/{}</code> is for team members only.", &command.name),
        crate::hipchat::wire::Color::Gray,
    )
}

fn person(user: &crate::hipchat::wire::User) -> Person {
    Person {
        id: user.id,
        name: user.name.clone(),
        mention_name: user.mention_name.clone(),
    }
}
