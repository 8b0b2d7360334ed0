//! The one commit and the one conflict-retry loop every user action goes through: a handler's
//! outcome applied in one batch with the action's delivery claim, its inbox entry (queued or
//! finished) and its outbox entries, durable before anyone is told; run again when a concurrent
//! change invalidated the handler's reads.

use std::future::Future;

use super::inbox::{Job, Stamped};
use super::{CLAIM_TTL_SECS, CONFLICT_RETRIES, Handled, Pipeline};
use crate::handlers::{Conversation, Outcome, RoomCall};
use crate::hipchat::wire::Notification;
use crate::runtime::outbox::{Outbound, Staged};
use crate::store::{Batch, Queue, QueueId, StoreError};

/// Where an outcome's replies go.
#[derive(Clone, Copy)]
enum ReplyTo<'a> {
    /// Attached to a room message.
    Message(&'a Conversation),
    /// Posted to a room.
    Room(i64),
    /// Nowhere: events have no message to reply to, everything they send is a room call.
    Nobody,
}

/// One user action as the pipeline commits it: whose it is, where its replies go, and what
/// the commit settles besides the handler's outcome.
pub struct Work<'a> {
    oauth_id: &'a str,
    reply_to: ReplyTo<'a>,
    /// A delivery claim (message or event id): a second commit with it is a duplicate.
    claim: Option<&'a str>,
    /// The inbox entry this work finishes, and its job.
    finishes: Option<(QueueId, &'a Job)>,
    /// A job queued by this work.
    queues: Option<&'a Job>,
    /// Answered in the request: the first reply goes back inline, and an answer that changes
    /// nothing is claimed in memory only.
    inline: bool,
    /// Runs in turn with the installation's other numbering work.
    numbers_things: bool,
}

impl<'a> Work<'a> {
    /// An action in a room outside any message (a view's button, a dialog's confirm, a meme):
    /// its replies are posted to `room_id` by installation `oauth_id`.
    pub fn in_room(oauth_id: &'a str, room_id: i64) -> Work<'a> {
        Work {
            oauth_id,
            reply_to: ReplyTo::Room(room_id),
            claim: None,
            finishes: None,
            queues: None,
            inline: false,
            numbers_things: false,
        }
    }

    /// A room message answered in its request.
    pub(super) fn message(
        conversation: &'a Conversation,
        claim: &'a str,
        numbers_things: bool,
    ) -> Work<'a> {
        Work {
            oauth_id: &conversation.oauth_id,
            reply_to: ReplyTo::Message(conversation),
            claim: Some(claim),
            finishes: None,
            queues: None,
            inline: true,
            numbers_things,
        }
    }

    /// A job accepted into the inbox, guarded by `claim` when it has a delivery id.
    pub(super) fn accepting(oauth_id: &'a str, claim: Option<&'a str>, job: &'a Job) -> Work<'a> {
        Work {
            oauth_id,
            reply_to: ReplyTo::Nobody,
            claim,
            finishes: None,
            queues: Some(job),
            inline: false,
            numbers_things: false,
        }
    }

    /// Inbox entry `id` run: a command (replies attached to its message) or an event. Its
    /// commit claims `claim` (the job's own id): should two instances run the job (one's turn
    /// expired while it ran), only the first commit counts.
    pub(super) fn job(job: &'a Job, id: QueueId, claim: &'a str) -> Work<'a> {
        let (oauth_id, reply_to) = match job {
            Job::Command(command) => (
                command.conversation.oauth_id.as_str(),
                ReplyTo::Message(&command.conversation),
            ),
            Job::Event(event) => (event.oauth_id.as_str(), ReplyTo::Nobody),
        };
        Work {
            oauth_id,
            reply_to,
            claim: Some(claim),
            finishes: Some((id, job)),
            queues: None,
            inline: false,
            numbers_things: false,
        }
    }

    /// What kept conflicting, for the error.
    fn what(&self) -> String {
        match (self.claim, self.finishes.map(|(id, _)| id)) {
            (Some(claim), _) => claim.to_owned(),
            (None, Some(id)) => format!("job {}", id.0),
            (None, None) => format!("change by {}", self.oauth_id),
        }
    }
}

/// What a commit applied, not yet let out.
struct Applied {
    /// The reply to answer the request with.
    inline: Option<Notification>,
    /// Calls to send once durable.
    staged: Staged,
    /// Whether anything besides an in-memory claim was written.
    changed: bool,
    /// The job queued, to start once durable.
    queued: Option<QueueId>,
}

impl Applied {
    fn duplicate() -> Applied {
        Applied {
            inline: None,
            staged: Staged::default(),
            changed: false,
            queued: None,
        }
    }
}

impl Pipeline {
    /// Runs `decide` (the handler) and commits its outcome with what `work` settles; when a
    /// concurrent change invalidated its reads, runs it again (the one retry loop). Returns
    /// what became of the action and the value `decide` gave with its outcome.
    pub async fn act<T, E, F, Fut>(&self, work: &Work<'_>, mut decide: F) -> Result<(Handled, T), E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(Outcome, T), E>>,
        E: From<StoreError>,
    {
        let turn = match work.numbers_things {
            true => Some(self.writers.lock(work.oauth_id).await),
            false => None,
        };
        for attempt in 0..CONFLICT_RETRIES {
            let (outcome, value) = decide().await?;
            match self.commit(work, outcome).await {
                Err(StoreError::Conflict(_)) => {
                    // Another instance (on a shared store) won the same record: a short random
                    // pause, growing with each loss, so that two rivals stop meeting in step. A
                    // real pause, not the injected clock's: it spaces out store round trips.
                    let most = 1u64 << attempt.min(5);
                    let pause =
                        std::time::Duration::from_micros(rand::random_range(0..most * 1000));
                    tokio::time::sleep(pause).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
                Ok(applied) => {
                    drop(turn);
                    return Ok((self.let_out(work, applied).await?, value));
                }
            }
        }
        Err(StoreError::Conflict(work.what()).into())
    }

    /// The one commit: the outcome's writes, the claim, the inbox entry and the staged calls
    /// in one batch. An inline answer that changes nothing is claimed in memory only; an inline
    /// batch is applied here and flushed after the numbering turn (shared by everyone).
    async fn commit(&self, work: &Work<'_>, outcome: Outcome) -> Result<Applied, StoreError> {
        let store = &self.services.store;
        let now = self.services.clock.unix();
        // In-memory claims are this process's: with other instances on the store, every claim
        // goes to the store, where they all see it.
        let in_memory = !store.is_shared();
        if let (true, Some(claim), true) = (work.inline, work.claim, in_memory) {
            // A message answered without a change may not change anything when delivered again.
            if self.recent.holds(claim, now) {
                return Ok(Applied::duplicate());
            }
            if outcome.writes.is_empty()
                && outcome.room_calls.is_empty()
                && outcome.replies.len() <= 1
                && work.queues.is_none()
            {
                let fresh = !store.is_claimed(claim, now).await?
                    && self.recent.claim(claim, now, now + CLAIM_TTL_SECS);
                return Ok(match fresh {
                    true => Applied {
                        inline: outcome.replies.into_iter().next(),
                        ..Applied::duplicate()
                    },
                    false => Applied::duplicate(),
                });
            }
        }
        let mut batch = outcome.writes;
        if let Some(claim) = work.claim {
            store.claim(&mut batch, claim, now, CLAIM_TTL_SECS);
        }
        if let Some((id, job)) = work.finishes {
            store.dequeue(&mut batch, Queue::Inbox, id);
            if self.turns.shared() {
                store.unindex_in_lane(&mut batch, Queue::Inbox, &job.lane_name(), id);
            }
        }
        let queued = match work.queues {
            Some(job) => {
                let entry = Stamped {
                    job,
                    created_at: now,
                    request_id: crate::requests::current(),
                };
                let id = store.enqueue(&mut batch, Queue::Inbox, &entry).await?;
                if self.turns.shared() {
                    store.index_in_lane(&mut batch, Queue::Inbox, &job.lane_name(), id);
                }
                Some(id)
            }
            None => None,
        };
        let mut replies = outcome.replies.into_iter();
        let inline = match work.inline {
            true => replies.next(),
            false => None,
        };
        let mut staged = Staged::default();
        for reply in replies {
            self.stage_reply(&mut batch, &mut staged, work.reply_to, work.oauth_id, reply)
                .await?;
        }
        self.stage_calls(&mut batch, &mut staged, work.oauth_id, outcome.room_calls)
            .await?;
        let written = match work.inline {
            true => store.apply(batch).await,
            false => store.commit(batch).await,
        };
        match written {
            Ok(()) => Ok(Applied {
                inline,
                staged,
                changed: true,
                queued,
            }),
            Err(StoreError::Duplicate(_)) => Ok(Applied::duplicate()),
            Err(e) => Err(e),
        }
    }

    /// Makes what was applied durable, then lets it out: the reply inline, the calls to the
    /// outbox, the queued job to its lane.
    async fn let_out(&self, work: &Work<'_>, applied: Applied) -> Result<Handled, StoreError> {
        // A reply that changed nothing (e.g. /help) was claimed in memory; losing that claim
        // in a crash costs at most one repeated, harmless reply, so it skips the fsync.
        if work.inline && applied.changed {
            self.services.store.flush().await?;
        }
        let accepted = !applied.staged.is_empty();
        self.outbox.release(applied.staged);
        if let (Some(id), Some(job)) = (applied.queued, work.queues) {
            if self.known_jobs.insert(id) {
                self.inbox.push(job.lane(), id);
            }
        }
        Ok(match applied.inline {
            Some(reply) => Handled::Reply(Box::new(reply)),
            None if accepted || applied.changed => Handled::Accepted,
            None => Handled::Duplicate,
        })
    }

    /// Stages calls in the outbox as part of `batch`.
    async fn stage_calls(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        oauth_id: &str,
        calls: Vec<RoomCall>,
    ) -> Result<(), StoreError> {
        for RoomCall {
            room_id,
            call,
            sender,
        } in calls
        {
            let sender = sender.as_deref().unwrap_or(oauth_id);
            self.outbox
                .stage(batch, staged, sender, room_id, call)
                .await?;
        }
        Ok(())
    }

    /// Stages a reply: attached to its message, or posted to the action's room.
    async fn stage_reply(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        reply_to: ReplyTo<'_>,
        oauth_id: &str,
        mut notification: Notification,
    ) -> Result<(), StoreError> {
        let room_id = match reply_to {
            ReplyTo::Message(conversation) => {
                if notification.attach_to.is_none() && conversation.message_id.len() <= 36 {
                    notification.attach_to = Some(conversation.message_id.clone());
                }
                conversation.room_id
            }
            ReplyTo::Room(room_id) => room_id,
            ReplyTo::Nobody => return Ok(()),
        };
        let call = Outbound::Notification {
            notification: Box::new(notification),
        };
        self.outbox
            .stage(batch, staged, oauth_id, room_id, call)
            .await
    }
}
