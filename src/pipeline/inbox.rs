//! The inbox: work accepted and acknowledged, done after the answer, in per-room order, each
//! job run and committed through the pipeline's one commit. A job
//! whose outside service is down is retried in place with backoff (keeping its lane's order);
//! a job left unfinished by a crash runs again on the next start.

use serde::{Deserialize, Serialize};

use super::commit::Work;
use super::{Handled, INBOX_CAPACITY, INBOX_PER_INSTALLATION, Pipeline};
use crate::error::ApiError;
use crate::handlers::event::{self, EventJob};
use crate::handlers::{Call, Conversation, HandlerError, Outcome};
use crate::hipchat::message::html;
use crate::hipchat::retry::OUTBOX_BACKOFF;
use crate::hipchat::wire::{Color, Notification};
use crate::model::RoomRef;
use crate::runtime::lanes::Step;
use crate::store::{Batch, Queue, QueueId, StoreError};

/// Attempts of a job whose outside service stays down (about a day at the 5-minute cap).
const MAX_ATTEMPTS: u32 = 300;

/// A deferred command.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommandJob {
    /// Where and by whom.
    pub conversation: Conversation,
    /// What to run.
    pub call: Call,
    /// Set for commands only room admins may use: checked with HipChat before running.
    #[serde(default)]
    pub admin_only: Option<String>,
}

/// Work in the inbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// A command from a room message.
    Command(CommandJob),
    /// A dynaBOARD event to announce.
    Event(Box<EventJob>),
}

impl Job {
    /// The installation the job runs for.
    fn installation(&self) -> &str {
        match self {
            Job::Command(c) => &c.conversation.oauth_id,
            Job::Event(e) => &e.oauth_id,
        }
    }

    /// The lane's name among instances.
    pub(super) fn lane_name(&self) -> String {
        let (oauth_id, room) = self.lane();
        crate::runtime::turns::lane_name(&oauth_id, room)
    }

    /// Jobs of one lane run in order: one lane per installation and room.
    pub(super) fn lane(&self) -> (String, String) {
        match self {
            Job::Command(c) => (
                c.conversation.oauth_id.clone(),
                c.conversation.room_id.to_string(),
            ),
            Job::Event(e) => (
                e.oauth_id.clone(),
                match &e.room {
                    RoomRef::Id(id) => id.to_string(),
                    RoomRef::Name(name) => name.to_lowercase(),
                },
            ),
        }
    }
}

/// A job as queued: with the time it was accepted, for the queue's age (read back as a
/// [`Job`], which ignores it).
#[derive(Serialize)]
pub(super) struct Stamped<'a> {
    #[serde(flatten)]
    pub(super) job: &'a Job,
    pub(super) created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) request_id: Option<String>,
}

/// A job as read back: the job and the request that caused it (read in one go).
#[derive(Deserialize)]
struct Queued {
    #[serde(flatten)]
    job: Job,
    #[serde(default)]
    request_id: Option<String>,
}

/// Failed runs per job in memory (a restart starts again from one, as before).
#[derive(Default)]
pub(super) struct Attempts(std::sync::Mutex<std::collections::HashMap<QueueId, u32>>);

impl Attempts {
    /// Counts one more failed run of `id`; returns the count.
    fn count(&self, id: QueueId) -> u32 {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(id).or_insert(0);
        *n += 1;
        *n
    }

    /// Drops the count of a job that finished.
    fn forget(&self, id: QueueId) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}

impl Pipeline {
    /// Accepts a job guarded by a delivery-id claim; `false` when the id was seen before.
    pub async fn accept_claimed(&self, claim: &str, job: Job) -> Result<bool, ApiError> {
        self.accept(Batch::new(), Some(claim), job).await
    }

    /// Commits a job with `writes` (and `claim`, when it has one) and starts it.
    /// `Ok(false)` when the claim was already held: a duplicate, acknowledged.
    pub async fn accept(
        &self,
        writes: Batch,
        claim: Option<&str>,
        job: Job,
    ) -> Result<bool, ApiError> {
        let installation = job.installation();
        // An installation's own quota first, so that one tenant's flood is refused long before
        // the shared inbox fills and everyone else would be refused with it.
        if self.inbox.pending_of(installation) >= INBOX_PER_INSTALLATION
            || self.outbox.over_quota(installation)
        {
            tracing::warn!(
                oauth_id = installation,
                "installation over its work quota; refusing work"
            );
            return Err(ApiError::Unavailable(
                "busy: this installation has too much work queued; try again shortly".into(),
            ));
        }
        if self.inbox.len() >= INBOX_CAPACITY {
            tracing::warn!(pending = self.inbox.len(), "inbox full; refusing work");
            return Err(ApiError::Unavailable(
                "busy: too much work queued; try again shortly".into(),
            ));
        }
        let work = Work::accepting(installation, claim, &job);
        // Accepting runs no handler: its writes are committed once, never decided again.
        let mut writes = Some(writes);
        let decide = || {
            let outcome = writes.take().map(|writes| Outcome {
                writes,
                ..Outcome::default()
            });
            async move {
                match outcome {
                    Some(outcome) => Ok((outcome, ())),
                    None => Err(ApiError::from(StoreError::Conflict(format!(
                        "accepting work for {installation}"
                    )))),
                }
            }
        };
        let (handled, ()) = self.act(&work, decide).await?;
        Ok(!matches!(handled, Handled::Duplicate))
    }

    /// Re-queues stored jobs not in this instance's lanes: after a restart, and on a shared
    /// store now and then, to take over the jobs of an instance that died.
    pub async fn resume(&self) -> Result<usize, StoreError> {
        let jobs: Vec<(QueueId, Job)> = self.services.store.queued(Queue::Inbox).await?;
        let mut n = 0;
        for (id, job) in jobs {
            if self.known_jobs.insert(id) {
                self.inbox.push(job.lane(), id);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Runs job `id` of `lane` in this instance's turn on the lane (see `runtime/turns.rs`).
    pub(super) async fn run_in_turn(
        &self,
        lane: &(String, String),
        id: QueueId,
        attempts: &Attempts,
    ) -> Step {
        let name = crate::runtime::turns::lane_name(&lane.0, &lane.1);
        let step = self
            .turns
            .work(&name, id, |target| self.run_job(target, attempts))
            .await;
        if step == Step::Done {
            self.known_jobs.remove(id);
        }
        step
    }

    /// One run of a job; a job whose outside service is down asks to run again later, and
    /// its lane waits for it without holding a worker slot.
    pub(super) async fn run_job(&self, id: QueueId, attempts: &Attempts) -> Step {
        let error = match self.try_run_job(id).await {
            Ok(()) => {
                attempts.forget(id);
                return Step::Done;
            }
            Err(e) => e,
        };
        let attempt = attempts.count(id);
        match error {
            HandlerError::Unavailable(reason) if attempt < MAX_ATTEMPTS => {
                let wait = OUTBOX_BACKOFF.delay(attempt);
                tracing::info!(job = id.0, attempt, ?wait, %reason, "job postponed");
                Step::Later(wait)
            }
            other => {
                // The job stays in the inbox and runs again after a restart.
                tracing::error!(job = id.0, error = %other, "job failed");
                attempts.forget(id);
                Step::Done
            }
        }
    }

    async fn try_run_job(&self, id: QueueId) -> Result<(), HandlerError> {
        let Some(queued) = self
            .services
            .store
            .queued_entry::<Queued>(Queue::Inbox, id)
            .await?
        else {
            return Ok(());
        };
        // Run under the request that queued it: its logs and outbox entries carry that id.
        let cause = queued.request_id.as_deref();
        crate::requests::within(cause, self.run_queued(id, &queued.job)).await
    }

    async fn run_queued(&self, id: QueueId, job: &Job) -> Result<(), HandlerError> {
        let claim = format!("job:{}", id.0);
        let work = Work::job(job, id, &claim);
        let decide = || async {
            let outcome = match job {
                Job::Command(command) => self.run_command(command).await?,
                Job::Event(event) => event::announce(event, &self.services).await?,
            };
            Ok::<_, HandlerError>((outcome, ()))
        };
        self.act(&work, decide).await?;
        Ok(())
    }

    async fn run_command(&self, job: &CommandJob) -> Result<Outcome, HandlerError> {
        if let Some(command) = &job.admin_only {
            if let Some(refusal) = self.refuse_non_admin(&job.conversation, command).await? {
                return Ok(Outcome::reply(refusal));
            }
        }
        job.call.run(&job.conversation, &self.services).await
    }

    /// `Some(reply)` when the sender may not use an admin-only command (or HipChat cannot say).
    async fn refuse_non_admin(
        &self,
        conversation: &Conversation,
        command: &str,
    ) -> Result<Option<Notification>, HandlerError> {
        let Some(installation) = self
            .services
            .store
            .installation(&conversation.oauth_id)
            .await?
        else {
            return Ok(None);
        };
        let verdict = self
            .services
            .people
            .is_room_admin(&installation, conversation.room_id, conversation.sender.id)
            .await;
        Ok(match verdict {
            Ok(true) => None,
            Ok(false) => Some(html(
                crate::html!("Only room admins can use <code>/{}</code>.", command),
                Color::Yellow,
            )),
            Err(e) => Some(html(
                crate::html!(
                    "Could not check whether you may use <code>/{}</code>: {}",
                    command,
                    e.to_string()
                ),
                Color::Red,
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::{issue, unfurl};
    use crate::model::IssueKey;

    /// Deferred calls queued by an earlier version read back, and are written, the same way.
    #[test]
    fn queued_calls_keep_their_form() {
        let conversation = serde_json::json!({"oauth_id": "o", "room_id": 1, "room_name": "R",
            "sender": {"id": 2, "name": "Ada", "mention_name": "ada"}, "message_id": "m"});
        let issue_job = serde_json::json!({"job": "command", "conversation": conversation,
            "call": {"handler": "issue", "key": "DB-12"}, "created_at": 5, "request_id": "r"});
        let queued: Queued = serde_json::from_value(issue_job.clone()).unwrap();
        assert_eq!(queued.request_id.as_deref(), Some("r"));
        let Job::Command(command) = &queued.job else {
            panic!("{:?}", queued.job)
        };
        let key = IssueKey::parse("DB-12").unwrap();
        assert_eq!(command.call, Call::Issue(issue::Issue { key }));
        let written = serde_json::to_value(Stamped {
            job: &queued.job,
            created_at: 5,
            request_id: queued.request_id.clone(),
        })
        .unwrap();
        assert_eq!(written["call"], issue_job["call"]);

        let unfurl_call = serde_json::json!({"handler": "unfurl", "links": []});
        let call: Call = serde_json::from_value(unfurl_call.clone()).unwrap();
        assert_eq!(call, Call::Unfurl(unfurl::Unfurl { links: Vec::new() }));
        assert_eq!(serde_json::to_value(&call).unwrap(), unfurl_call);
    }
}
