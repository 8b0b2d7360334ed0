//! The outbox: every call to HipChat that changes something (notification, glance push) is
//! written to sled before it is attempted and removed only once HipChat accepted it.
//!
//! Entries of one room go out in order; rooms proceed in parallel. Each attempt is one of the
//! installation's session (token, pacing, one renewal after a 401); transient failures (429, 5xx,
//! timeouts) are retried by its background policy, the wait stored with the entry; a request
//! HipChat refuses on its merits is logged and dropped, since repeating it cannot succeed.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::lanes::{Lanes, Step};
use super::turns::{Known, Turns};
use crate::clock::Clock;
use crate::hipchat::client::{Api, HipChatError};
use crate::hipchat::retry::Policy;
use crate::hipchat::session::{Access, Pace, SessionError, Sessions};
use crate::hipchat::tokens::TokenError;
use crate::hipchat::wire::{GlanceUpdate, HistoryItem, Notification};
use crate::model::RoomKey;
use crate::store::{Batch, Queue, QueueId, Store, StoreResult};

/// Concurrent HipChat calls across rooms.
const CONCURRENCY: usize = 32;
/// Concurrent HipChat calls of one installation: the others keep the rest.
const CONCURRENCY_PER_INSTALLATION: usize = 8;
/// Calls one installation may have waiting: beyond it, its new work is refused (others' is not).
pub const QUOTA_PER_INSTALLATION: usize = 2_000;
/// Messages per page of history searched for a notification that may already have been sent
/// (HipChat's largest page).
const HISTORY_PAGE: u32 = 1000;
/// Pages searched at most: a room that received more messages than this since the attempt
/// gets the notification again (a possible duplicate is a lesser harm than a lost notification).
const HISTORY_PAGES: u32 = 50;
/// Tolerated difference between our clock and HipChat's when matching history.
const CLOCK_SKEW_SECS: i64 = 120;

/// A HipChat call waiting to be made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxEntry {
    /// Installation whose token is used.
    pub oauth_id: String,
    /// Target room (also the ordering key).
    pub room_id: i64,
    /// The call.
    pub call: Outbound,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Set (durably) before a notification is sent: after a crash or an ambiguous failure,
    /// HipChat's history is asked before sending it again.
    #[serde(default)]
    pub in_flight: bool,
    /// Unix seconds when it was marked in flight: HipChat's history is searched from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_at: Option<i64>,
    /// Unix seconds when it was accepted.
    pub created_at: i64,
    /// The request that caused it, for the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The calls the outbox makes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outbound {
    /// `POST /room/{id}/notification`.
    Notification {
        /// The body.
        notification: Box<Notification>,
    },
    /// `POST /addon/ui/room/{id}`.
    Glance {
        /// The body.
        update: GlanceUpdate,
    },
}

type Lane = (String, i64);

/// An entry in a lane, and whether it is a glance push (which a newer one makes moot).
#[derive(Debug, Clone, Copy)]
struct Item {
    id: QueueId,
    glance: bool,
}

/// Handle to the outbox; cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
    lanes: Lanes<Lane, Item>,
}

struct Inner {
    store: Store,
    sessions: Arc<Sessions>,
    clock: Clock,
    /// The newest glance push queued per lane: an older one is skipped, since a glance shows
    /// only the latest state and every push counts against HipChat's rate limit.
    newest_glance: std::sync::Mutex<std::collections::HashMap<Lane, QueueId>>,
    /// Turns on lanes shared with other instances.
    turns: Turns,
    /// Entries in this instance's lanes, so that adopting stored entries skips them.
    known: Known,
}

/// A lane's name among instances.
fn lane_name(lane: &Lane) -> String {
    super::turns::lane_name(&lane.0, lane.1)
}

/// Entries staged in a batch, to be released to delivery once the batch is durable.
#[derive(Debug, Default)]
#[must_use = "staged entries are only delivered once released"]
pub struct Staged(Vec<(Lane, QueueId, bool)>);

impl Staged {
    /// Whether nothing was staged.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Outbox {
    /// An outbox delivering through the installations' `sessions`.
    pub fn new(store: Store, sessions: Arc<Sessions>, clock: Clock) -> Outbox {
        let inner = Arc::new(Inner {
            turns: Turns::new(store.clone(), Queue::Outbox, clock.clone()),
            store,
            sessions,
            clock: clock.clone(),
            newest_glance: Default::default(),
            known: Default::default(),
        });
        let worker = inner.clone();
        let lanes = Lanes::new(
            "outbox",
            CONCURRENCY,
            CONCURRENCY_PER_INSTALLATION,
            clock,
            move |lane: Lane, item: Item| {
                let inner = worker.clone();
                async move { inner.deliver(lane, item).await }
            },
        );
        Outbox { inner, lanes }
    }

    /// Adds a call for `room_id` to `batch`; deliver it with [`Outbox::release`] after commit.
    pub async fn stage(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        oauth_id: &str,
        room_id: i64,
        call: Outbound,
    ) -> StoreResult<()> {
        let entry = OutboxEntry {
            oauth_id: oauth_id.to_owned(),
            room_id,
            call,
            attempts: 0,
            in_flight: false,
            in_flight_at: None,
            created_at: self.inner.clock.unix(),
            request_id: crate::requests::current(),
        };
        let id = self
            .inner
            .store
            .enqueue(batch, Queue::Outbox, &entry)
            .await?;
        let glance = matches!(entry.call, Outbound::Glance { .. });
        let lane = (entry.oauth_id, room_id);
        if self.inner.turns.shared() {
            let name = lane_name(&lane);
            self.inner
                .store
                .index_in_lane(batch, Queue::Outbox, &name, id);
        }
        staged.0.push((lane, id, glance));
        Ok(())
    }

    /// Starts delivering entries whose batch has been committed.
    pub fn release(&self, staged: Staged) {
        for (lane, id, glance) in staged.0 {
            self.queue(lane, id, glance);
        }
    }

    fn queue(&self, lane: Lane, id: QueueId, glance: bool) {
        if !self.inner.known.insert(id) {
            return;
        }
        if glance {
            let mut newest = self
                .inner
                .newest_glance
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let slot = newest.entry(lane.clone()).or_insert(id);
            *slot = (*slot).max(id);
        }
        self.lanes.push(lane, Item { id, glance });
    }

    /// Queues every stored entry not in this instance's lanes: after a restart, and on a
    /// shared store now and then, to take over the entries of an instance that died.
    pub async fn resume(&self) -> StoreResult<usize> {
        let entries: Vec<(QueueId, OutboxEntry)> = self.inner.store.queued(Queue::Outbox).await?;
        let n = entries.len();
        for (id, entry) in entries {
            let glance = matches!(entry.call, Outbound::Glance { .. });
            self.queue((entry.oauth_id, entry.room_id), id, glance);
        }
        Ok(n)
    }

    /// Calls not yet accepted by HipChat (in memory, i.e. being worked on).
    pub fn pending(&self) -> usize {
        self.lanes.len()
    }

    /// Whether installation `oauth_id` has as many calls waiting as it may.
    pub fn over_quota(&self, oauth_id: &str) -> bool {
        self.lanes.pending_of(oauth_id) >= QUOTA_PER_INSTALLATION
    }

    /// Waits until everything released so far has been delivered or given up.
    pub async fn wait_idle(&self) {
        self.lanes.wait_idle().await;
    }
}

impl Inner {
    async fn deliver(&self, lane: Lane, Item { id, glance }: Item) -> Step {
        // A glance push with a newer one queued behind it would show what nobody sees: it is
        // dropped without taking the lane's turn, which on a shared store costs most of it.
        if self.superseded(&lane, id, glance) {
            if let Err(e) = self.finish(&lane, id).await {
                // It stays stored; a later start drops it the same way.
                tracing::error!(oauth_id = %lane.0, room = lane.1, error = %e, "outbox storage failed");
            }
            self.known.remove(id);
            return Step::Done;
        }
        let name = lane_name(&lane);
        let step = self
            .turns
            .work(&name, id, |target| self.deliver_one(&lane, target))
            .await;
        if step == Step::Done {
            self.known.remove(id);
        }
        step
    }

    /// One delivery attempt of entry `id` of `lane` (another instance's, on a shared lane).
    async fn deliver_one(&self, lane: &Lane, id: QueueId) -> Step {
        // The entry names the request that caused it once read.
        let span = tracing::info_span!("outbox", request_id = tracing::field::Empty);
        match self.try_deliver(lane, id).instrument(span).await {
            Ok(None) => Step::Done,
            Ok(Some(wait)) => Step::Later(wait),
            Err(e) => {
                // Storage failed: the entry stays stored and is retried on the next start.
                tracing::error!(oauth_id = %lane.0, room = lane.1, error = %e, "outbox storage failed");
                Step::Done
            }
        }
    }

    /// One delivery attempt: `Some(wait)` to try again after the wait (a rate limit's or a
    /// backoff's), which the lane spends without a slot.
    async fn try_deliver(
        &self,
        lane: &Lane,
        id: QueueId,
    ) -> StoreResult<Option<std::time::Duration>> {
        let Some(mut entry) = self
            .store
            .queued_entry::<OutboxEntry>(Queue::Outbox, id)
            .await?
        else {
            return Ok(None);
        };
        if let Some(request) = &entry.request_id {
            tracing::Span::current().record("request_id", request.as_str());
        }
        if self.superseded(lane, id, matches!(entry.call, Outbound::Glance { .. })) {
            return self.finish(lane, id).await;
        }
        let installation = match self.store.cached_installation(&entry.oauth_id).await? {
            Some(i) if i.is_active() => i,
            _ => {
                tracing::warn!(oauth_id = %entry.oauth_id, "dropping outbox entry of a removed or revoked installation");
                return self.finish(lane, id).await;
            }
        };
        let pace = match entry.call {
            Outbound::Notification { .. } => Pace::Post {
                room_id: entry.room_id,
            },
            Outbound::Glance { .. } => Pace::Call,
        };
        // Set once the entry is durably marked in flight (by the first attempt that sends).
        let mark = Mark::of(&entry);
        let attempt = self
            .sessions
            .of(&installation)
            .attempt(pace, &mut |access| self.send(access, id, &entry, &mark))
            .await;
        if let Some(at) = mark.at() {
            entry.in_flight = true;
            entry.in_flight_at = Some(at);
        }
        let error = match attempt {
            // A call that does not fit waits without a slot.
            Err(wait) => return Ok(Some(wait)),
            Ok(Ok(sent)) => {
                sent?;
                return self.finish(lane, id).await;
            }
            Ok(Err(SessionError::HipChat(e) | SessionError::Token(TokenError::HipChat(e)))) => e,
            Ok(Err(e)) => {
                tracing::warn!(oauth_id = %entry.oauth_id, error = %e, "dropping outbox entry: no token");
                return self.finish(lane, id).await;
            }
        };
        entry.attempts += 1;
        let spent = (self.clock.unix() - entry.created_at).max(0) as u64;
        let wait = Policy::Background.retry_after(
            &error,
            entry.attempts,
            std::time::Duration::from_secs(spent),
            self.clock.unix(),
        );
        match wait {
            Some(wait) => {
                tracing::info!(oauth_id = %lane.0, room = lane.1, attempt = entry.attempts, ?wait, error = %error, "HipChat call failed; will retry");
                let mut batch = Batch::new();
                self.store.requeue(&mut batch, Queue::Outbox, id, &entry);
                self.store.apply(batch).await?;
                Ok(Some(wait))
            }
            None => {
                tracing::error!(oauth_id = %lane.0, room = lane.1, attempts = entry.attempts, error = %error, call = ?entry.call, "HipChat call given up");
                self.finish(lane, id).await
            }
        }
    }

    /// One call to HipChat for `entry`: `Ok(Ok(()))` once HipChat has it, `Ok(Err(_))` when
    /// storing the in-flight mark failed.
    async fn send(
        &self,
        access: Access<'_>,
        id: QueueId,
        entry: &OutboxEntry,
        mark: &Mark,
    ) -> Result<StoreResult<()>, HipChatError> {
        let api = access.api();
        match self.settle_in_flight(api, id, entry, mark).await {
            Ok(Ok(true)) => Ok(Ok(())),
            Ok(Ok(false)) => self.call(api, entry).await.map(Ok),
            Ok(Err(e)) => Err(e),
            Err(stored) => Ok(Err(stored)),
        }
    }

    /// Before sending a notification: if an earlier attempt may have reached HipChat, look for
    /// it in the room's history (`Ok(true)`: it is there, do not send again); otherwise mark
    /// the entry in flight, durably, so a crash during the call is recognised as such.
    async fn settle_in_flight(
        &self,
        api: Api<'_>,
        id: QueueId,
        entry: &OutboxEntry,
        mark: &Mark,
    ) -> StoreResult<Result<bool, HipChatError>> {
        let Outbound::Notification { notification } = &entry.call else {
            return Ok(Ok(false));
        };
        if let Some(since) = mark.at() {
            let posted = self.posted(api, entry, notification, since).await;
            if posted == Ok(true) {
                tracing::info!(oauth_id = %entry.oauth_id, room = entry.room_id, "notification found in history; not sent again");
            }
            return Ok(posted);
        }
        let mut marked = entry.clone();
        let now = self.clock.unix();
        marked.in_flight = true;
        marked.in_flight_at = Some(now);
        let mut batch = Batch::new();
        self.store.requeue(&mut batch, Queue::Outbox, id, &marked);
        self.store.commit(batch).await?;
        mark.set(now);
        Ok(Ok(false))
    }

    /// Whether `notification` is in the room's history since `entry` was marked in flight (at
    /// `since`): every message posted since then is searched (newest first, page by page),
    /// however busy the room was while a dead instance's turn ran out. A HipChat without the
    /// dated history is asked for its latest page instead.
    async fn posted(
        &self,
        api: Api<'_>,
        entry: &OutboxEntry,
        notification: &Notification,
        since: i64,
    ) -> Result<bool, HipChatError> {
        let since = since - CLOCK_SKEW_SECS;
        let oldest = chrono::DateTime::from_timestamp(since, 0).unwrap_or_default();
        let newest = self.clock.now() + chrono::Duration::seconds(CLOCK_SKEW_SECS);
        let date = |m: &HistoryItem| chrono::DateTime::parse_from_rfc3339(&m.date).ok();
        let is_it = |m: &HistoryItem| {
            m.kind == "notification"
                && m.message == notification.message
                && date(m).is_some_and(|d| d >= oldest)
        };
        let client = self.sessions.client();
        for page in 0..HISTORY_PAGES {
            let items = match client
                .history_page(
                    api,
                    entry.room_id,
                    (oldest, newest),
                    page * HISTORY_PAGE,
                    HISTORY_PAGE,
                )
                .await
            {
                Ok(items) => items,
                Err(e) if page == 0 && refuses(&e) => {
                    tracing::debug!(error = %e, "no dated history; reading the latest page");
                    match client
                        .latest_history(api, entry.room_id, HISTORY_PAGE)
                        .await
                    {
                        Ok(items) => return Ok(items.iter().any(is_it)),
                        Err(e) => return unreadable(entry, e),
                    }
                }
                Err(e) => return unreadable(entry, e),
            };
            if items.iter().any(is_it) {
                return Ok(true);
            }
            // Newest first: a page reaching past `oldest` (a HipChat ignoring `end-date`), or
            // a short one, is the last.
            let past = items.iter().any(|m| date(m).is_some_and(|d| d < oldest));
            if past || (items.len() as u32) < HISTORY_PAGE {
                return Ok(false);
            }
        }
        tracing::warn!(oauth_id = %entry.oauth_id, room = entry.room_id, pages = HISTORY_PAGES, "notification not found in the room's history searched; sending again, which may repeat it");
        Ok(false)
    }

    /// Whether a newer push of the same room's glance is queued behind this one.
    fn superseded(&self, lane: &Lane, id: QueueId, glance: bool) -> bool {
        if !glance {
            return false;
        }
        let mut newest = self.newest_glance.lock().unwrap_or_else(|p| p.into_inner());
        match newest.get(lane) {
            Some(latest) if *latest > id => true,
            Some(latest) if *latest == id => {
                newest.remove(lane);
                false
            }
            _ => false,
        }
    }

    async fn call(&self, api: Api<'_>, entry: &OutboxEntry) -> Result<(), HipChatError> {
        match &entry.call {
            Outbound::Notification { notification } => {
                self.sessions
                    .client()
                    .send_notification(api, RoomKey::Id(entry.room_id), notification)
                    .await
            }
            Outbound::Glance { update } => {
                self.sessions
                    .client()
                    .update_glance(api, entry.room_id, update)
                    .await
            }
        }
    }

    /// Removes a delivered (or abandoned) entry. Not waited on to be durable: if a crash brings
    /// it back, a glance push is simply repeated (it shows the same state), and a notification
    /// was marked in flight before it was sent, so it is looked up in HipChat's history, not
    /// sent again. Sparing this fsync halves the flushes per webhook.
    async fn finish(&self, lane: &Lane, id: QueueId) -> StoreResult<Option<std::time::Duration>> {
        let mut batch = Batch::new();
        self.store.dequeue(&mut batch, Queue::Outbox, id);
        if self.turns.shared() {
            let name = lane_name(lane);
            self.store
                .unindex_in_lane(&mut batch, Queue::Outbox, &name, id);
        }
        self.store.apply(batch).await?;
        Ok(None)
    }
}

/// When the entry being attempted was durably marked in flight (Unix seconds), if it was.
struct Mark(AtomicI64);

impl Mark {
    const UNMARKED: i64 = i64::MIN;

    /// The entry's mark as stored (one marked before marks kept their time: its acceptance).
    fn of(entry: &OutboxEntry) -> Mark {
        let at = match entry.in_flight {
            true => entry.in_flight_at.unwrap_or(entry.created_at),
            false => Mark::UNMARKED,
        };
        Mark(AtomicI64::new(at))
    }

    fn at(&self) -> Option<i64> {
        let at = self.0.load(Ordering::SeqCst);
        (at != Mark::UNMARKED).then_some(at)
    }

    fn set(&self, at: i64) {
        self.0.store(at, Ordering::SeqCst);
    }
}

/// After a failed history read: a transient failure or a stale token is retried like any call;
/// a refusal for good (scope not granted, no such API) sends the notification again, since a
/// possible duplicate is a lesser harm than a lost notification.
fn unreadable(entry: &OutboxEntry, e: HipChatError) -> Result<bool, HipChatError> {
    if !refuses(&e) {
        return Err(e);
    }
    tracing::warn!(oauth_id = %entry.oauth_id, room = entry.room_id, error = %e, "cannot read the room's history; sending again, which may repeat the notification");
    Ok(false)
}

/// Whether HipChat refused a history read for good (scope not granted, no such API), as opposed
/// to a transient failure or a stale token, which are retried like any call.
fn refuses(e: &HipChatError) -> bool {
    !e.is_transient() && !matches!(e, HipChatError::Unauthorized(_))
}
