//! The bot: a verified room message, dispatched to one handler, acknowledged once durable.
//!
//! Inline handlers (no outside I/O) run inside the webhook request and may answer in the webhook
//! response (§6.4). Deferred handlers are written to the inbox with the message-id claim in one
//! batch; the request is answered at once and the work runs after, in per-room order.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::{Verified, WebhookItem};
use crate::dispatch::{Access, Registry};
use crate::error::ApiError;
use crate::handlers::{
    self, Call, Conversation, HandlerError, Mode, Outcome, Person, RoomCall, Services,
};
use crate::hipchat::message::{escape, html};
use crate::hipchat::people::People;
use crate::hipchat::wire::{Color, Notification, RoomMessageItem, Sender};
use crate::runtime::lanes::Lanes;
use crate::runtime::outbox::{Outbound, Outbox, Staged};
use crate::store::{Batch, Queue, QueueId, StoreError};

/// How long a message id stays claimed (DESIGN.md: at least 15 minutes).
pub const CLAIM_TTL_SECS: i64 = 30 * 60;
/// Deferred jobs accepted but not finished, at most; beyond it webhooks get 503.
pub const INBOX_CAPACITY: usize = 10_000;
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

/// A deferred call waiting in the inbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    /// Where and by whom.
    pub conversation: Conversation,
    /// What to run.
    pub call: Call,
    /// Set for commands only room admins may use: checked with HipChat before running.
    #[serde(default)]
    pub admin_only: Option<String>,
}

/// The message pipeline; cheap to share.
pub struct Bot {
    services: Services,
    outbox: Outbox,
    people: Arc<People>,
    inbox: Lanes<(String, i64), QueueId>,
}

impl Bot {
    /// A bot running handlers with `services`, replying through `outbox`.
    pub fn new(services: Services, outbox: Outbox, people: Arc<People>) -> Arc<Bot> {
        Arc::new_cyclic(|weak: &std::sync::Weak<Bot>| {
            let weak = weak.clone();
            let inbox = Lanes::new("inbox", JOB_CONCURRENCY, move |_lane, id: QueueId| {
                let bot = weak.upgrade();
                async move {
                    if let Some(bot) = bot {
                        bot.run_job(id).await;
                    }
                }
            });
            Bot {
                services,
                outbox,
                people,
                inbox,
            }
        })
    }

    /// The command registry.
    pub fn registry(&self) -> &Registry {
        &self.services.registry
    }

    /// Re-queues jobs accepted before a restart.
    pub fn resume(&self) -> Result<usize, StoreError> {
        let jobs: Vec<(QueueId, Job)> = self.services.store.queued(Queue::Inbox)?;
        let n = jobs.len();
        for (id, job) in jobs {
            self.inbox.push(lane_of(&job.conversation), id);
        }
        Ok(n)
    }

    /// Waits until accepted jobs ran and their replies were delivered.
    pub async fn wait_idle(&self) {
        loop {
            self.inbox.wait_idle().await;
            self.outbox.wait_idle().await;
            if self.inbox.is_empty() && self.outbox.pending() == 0 {
                return;
            }
        }
    }

    /// Handles one verified room message; `Some` is the inline reply.
    pub async fn on_room_message(
        &self,
        hook: &Verified<RoomMessageItem>,
    ) -> Result<Option<Notification>, ApiError> {
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
            return Ok(None);
        };
        if !matches!(message.kind.as_str(), "message" | "guest_access") {
            return Ok(None);
        }
        let Some(hit) = self.services.registry.dispatch(&message.message) else {
            return Ok(None);
        };
        let conversation = Conversation {
            oauth_id: hook.installation.oauth_id.clone(),
            room_id: item.room.id,
            room_name: item.room.name.clone(),
            sender: Person {
                id: user.id,
                name: user.name.clone(),
                mention_name: user.mention_name.clone(),
            },
            message_id: message.id.clone(),
        };
        let claim = format!("msg:{}", message.id);
        let call = match Call::parse(hit.command.handler, hit.args) {
            Ok(call) => call,
            Err(problem) => {
                let reply = handlers::usage_reply(hit.command, &problem);
                return self
                    .commit_inline(&claim, &conversation, Outcome::reply(reply))
                    .await;
            }
        };
        if hit.command.access == Access::RoomAdmins {
            // Asking HipChat takes time: admin-only commands always run after the answer.
            let job = Job {
                conversation,
                call,
                admin_only: Some(hit.command.name.clone()),
            };
            return self.accept_job(&claim, job).await.map(|()| None);
        }
        match call.mode() {
            Mode::Inline => {
                for _ in 0..CONFLICT_RETRIES {
                    let outcome = handlers::run(&call, &conversation, &self.services).await?;
                    match self.commit_inline(&claim, &conversation, outcome).await {
                        Err(ApiError::Store(StoreError::Conflict(_))) => continue,
                        other => return other,
                    }
                }
                Err(StoreError::Conflict(claim).into())
            }
            Mode::Deferred => {
                let job = Job {
                    conversation,
                    call,
                    admin_only: None,
                };
                self.accept_job(&claim, job).await.map(|()| None)
            }
        }
    }

    /// Commits the claim, state and queued replies; the first reply goes back inline.
    async fn commit_inline(
        &self,
        claim: &str,
        conversation: &Conversation,
        outcome: Outcome,
    ) -> Result<Option<Notification>, ApiError> {
        let store = &self.services.store;
        let mut batch = outcome.writes;
        store.claim(
            &mut batch,
            claim,
            self.services.clock.unix(),
            CLAIM_TTL_SECS,
        );
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
        match store.commit(batch).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        self.outbox.release(staged);
        Ok(inline)
    }

    /// Commits an outcome that did not come from a message (a view's button): its writes,
    /// its replies to `room_id` and its other calls, in one batch; then sends them.
    pub async fn commit_outcome(
        &self,
        oauth_id: &str,
        room_id: i64,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let mut batch = outcome.writes;
        let mut staged = Staged::default();
        for notification in outcome.replies {
            let call = Outbound::Notification {
                notification: Box::new(notification),
            };
            self.outbox
                .stage(&mut batch, &mut staged, oauth_id, room_id, call)?;
        }
        self.stage_calls(&mut batch, &mut staged, oauth_id, outcome.room_calls)?;
        self.services.store.commit(batch).await?;
        self.outbox.release(staged);
        Ok(())
    }

    async fn accept_job(&self, claim: &str, job: Job) -> Result<(), ApiError> {
        if self.inbox.len() >= INBOX_CAPACITY {
            tracing::warn!(pending = self.inbox.len(), "inbox full; refusing webhook");
            return Err(ApiError::Unavailable(
                "busy: too much work queued; try again shortly".into(),
            ));
        }
        let store = &self.services.store;
        let mut batch = Batch::new();
        store.claim(
            &mut batch,
            claim,
            self.services.clock.unix(),
            CLAIM_TTL_SECS,
        );
        let id = store.enqueue(&mut batch, Queue::Inbox, &job)?;
        match store.commit(batch).await {
            Ok(()) => {
                self.inbox.push(lane_of(&job.conversation), id);
                Ok(())
            }
            Err(StoreError::Duplicate(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn run_job(&self, id: QueueId) {
        if let Err(e) = self.try_run_job(id).await {
            // The job stays in the inbox and runs again after a restart.
            tracing::error!(job = id.0, error = %e, "job failed");
        }
    }

    async fn try_run_job(&self, id: QueueId) -> Result<(), HandlerError> {
        let store = &self.services.store;
        let Some(job) = store.queued_entry::<Job>(Queue::Inbox, id)? else {
            return Ok(());
        };
        if let Some(command) = &job.admin_only {
            if let Some(refusal) = self.refuse_non_admin(&job.conversation, command).await? {
                let mut batch = Batch::new();
                store.dequeue(&mut batch, Queue::Inbox, id);
                let mut staged = Staged::default();
                self.stage_reply(&mut batch, &mut staged, &job.conversation, refusal)?;
                store.commit(batch).await?;
                self.outbox.release(staged);
                return Ok(());
            }
        }
        for _ in 0..CONFLICT_RETRIES {
            let outcome = handlers::run(&job.call, &job.conversation, &self.services).await?;
            let mut batch = outcome.writes;
            store.dequeue(&mut batch, Queue::Inbox, id);
            let mut staged = Staged::default();
            for reply in outcome.replies {
                self.stage_reply(&mut batch, &mut staged, &job.conversation, reply)?;
            }
            self.stage_calls(
                &mut batch,
                &mut staged,
                &job.conversation.oauth_id,
                outcome.room_calls,
            )?;
            match store.commit(batch).await {
                Ok(()) => {
                    self.outbox.release(staged);
                    return Ok(());
                }
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(format!("job {}", id.0)).into())
    }

    /// `Some(reply)` when the sender may not use an admin-only command (or HipChat cannot say).
    async fn refuse_non_admin(
        &self,
        conversation: &Conversation,
        command: &str,
    ) -> Result<Option<Notification>, HandlerError> {
        let installation = self.services.store.installation(&conversation.oauth_id)?;
        let verdict = match &installation {
            Some(i) => {
                self.people
                    .is_room_admin(i, conversation.room_id, conversation.sender.id)
                    .await
            }
            None => return Ok(None),
        };
        Ok(match verdict {
            Ok(true) => None,
            Ok(false) => Some(html(
                format!(
                    "Only room admins can use <code>/{}</code>.",
                    escape(command)
                ),
                Color::Yellow,
            )),
            Err(e) => Some(html(
                format!(
                    "Could not check whether you may use <code>/{}</code>: {}",
                    escape(command),
                    escape(&e.to_string())
                ),
                Color::Red,
            )),
        })
    }

    fn stage_calls(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        oauth_id: &str,
        calls: Vec<RoomCall>,
    ) -> Result<(), StoreError> {
        for RoomCall { room_id, call } in calls {
            self.outbox.stage(batch, staged, oauth_id, room_id, call)?;
        }
        Ok(())
    }

    fn stage_reply(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        conversation: &Conversation,
        mut notification: Notification,
    ) -> Result<(), StoreError> {
        if notification.attach_to.is_none() && conversation.message_id.len() <= 36 {
            notification.attach_to = Some(conversation.message_id.clone());
        }
        self.outbox.stage(
            batch,
            staged,
            &conversation.oauth_id,
            conversation.room_id,
            Outbound::Notification {
                notification: Box::new(notification),
            },
        )
    }
}

fn lane_of(conversation: &Conversation) -> (String, i64) {
    (conversation.oauth_id.clone(), conversation.room_id)
}

/// `POST /webhooks/room-message`: 200 with a notification body to reply inline, else 204.
pub async fn room_message(
    State(bot): State<Arc<Bot>>,
    hook: Verified<RoomMessageItem>,
) -> Result<Response, ApiError> {
    Ok(match bot.on_room_message(&hook).await? {
        Some(reply) => Json(reply).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
