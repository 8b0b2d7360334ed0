//! dynaBOARD events entering the pipeline (the web edge serves their endpoints): signed events
//! in (the default connection's, and an installation's own connection's), chat status out.
//!
//! Events are verified (HMAC-SHA256 of the raw body, constant time), decoded strictly, claimed
//! by delivery id and queued in one batch, then answered; the announcements go out afterwards.
//! Chat requests are the exception: they create or find the room before answering.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CLAIM_TTL_SECS, Job, Pipeline};
use crate::auth::signature;
use crate::dynaboard::chat::{ChatError, Chats};
use crate::dynaboard::events::{Event, EventKind};
use crate::dynaboard::hours::{self, ChatStatus};
use crate::error::ApiError;
use crate::handlers::Services;
use crate::handlers::event::{ChatRoomNotice, EventJob};
use crate::model::{ChatAnswer, ChatRequest, Installation, RoomRef, Settings};
use crate::store::StoreResult;

/// How long a chat request may take before dynaBOARD is told to try again (DESIGN.md: a few seconds).
const CHAT_BUDGET: Duration = Duration::from_secs(8);

/// How far in the future an event's `at` may be (clock skew between dynaBOARD and us).
pub const MAX_EVENT_SKEW_SECS: i64 = 5 * 60;

/// A signed event is acted on only inside the window its delivery id is remembered for: an
/// older one could be a replay whose id was forgotten (its `at` is signed with the body).
fn fresh(event: &Event, now: i64) -> Result<(), ApiError> {
    let at = event.at.timestamp();
    if at < now - CLAIM_TTL_SECS {
        return Err(ApiError::BadRequest(format!(
            "event {} happened at {}, more than {} minutes ago: too old to accept (a replay?)",
            event.id,
            event.at.to_rfc3339(),
            CLAIM_TTL_SECS / 60
        )));
    }
    if at > now + MAX_EVENT_SKEW_SECS {
        return Err(ApiError::BadRequest(format!(
            "event {} is dated {}, in the future; check dynaBOARD's clock",
            event.id,
            event.at.to_rfc3339()
        )));
    }
    Ok(())
}

/// What the endpoints share.
#[derive(Clone)]
pub struct Inbound {
    /// Handler services.
    pub services: Services,
    /// Where events are queued.
    pub pipeline: Arc<Pipeline>,
    /// Chat rooms.
    pub chats: Arc<Chats>,
    /// `DYNABOARD_WEBHOOK_SECRET` of the default connection.
    pub default_secret: Option<String>,
    /// `HIPBOARD_NOTIFICATION_ROOM`.
    pub default_room: Option<RoomRef>,
}

/// Where an event came in.
pub enum Source {
    /// `/dynaboard/events`: the deployment's default connection.
    Default,
    /// `/dynaboard/events/{id}`: an installation's own connection.
    Own(String),
}

impl Source {
    fn key(&self) -> &str {
        match self {
            Source::Default => "default",
            Source::Own(id) => id,
        }
    }
}

/// What became of a verified event.
pub enum EventAnswer {
    /// Queued for announcement.
    Accepted,
    /// Seen before: nothing more to do.
    Duplicate,
    /// A chat request's room (newly opened, or the one a repeated delivery was given).
    Chat(ChatAnswer),
    /// A chat request outside service hours.
    Closed {
        /// When chat opens next, if ever.
        next_open: Option<DateTime<Utc>>,
    },
}

impl Inbound {
    /// Verifies `body` against `given` (the signature header), decodes it, and queues or
    /// answers it.
    pub async fn event(
        &self,
        source: Source,
        given: Option<&str>,
        body: &[u8],
    ) -> Result<EventAnswer, ApiError> {
        let installation = match &source {
            Source::Default => {
                let secret = self.default_secret.as_deref().ok_or_else(|| {
                    ApiError::Unavailable("events for the default connection are off: DYNABOARD_WEBHOOK_SECRET is not set".into())
                })?;
                signature::verify(secret.as_bytes(), body, given)?;
                self.default_owner().await?.ok_or_else(|| {
                    ApiError::Unavailable(
                        "no HipChat installation uses the default dynaBOARD connection yet".into(),
                    )
                })?
            }
            Source::Own(id) => {
                let not_found = || ApiError::NotFound(format!("no dynaBOARD connection {id}"));
                let owner = self
                    .services
                    .store
                    .connection_owner(id)
                    .await?
                    .ok_or_else(not_found)?;
                let own = self
                    .services
                    .store
                    .settings(&owner)
                    .await?
                    .connection
                    .ok_or_else(not_found)?;
                signature::verify(own.webhook_secret.as_bytes(), body, given)?;
                self.services
                    .store
                    .installation(&owner)
                    .await?
                    .filter(Installation::is_active)
                    .ok_or_else(not_found)?
            }
        };
        let event =
            Event::decode(body).map_err(|e| ApiError::BadRequest(format!("invalid event: {e}")))?;
        fresh(&event, self.services.clock.unix())?;
        let settings = self.services.store.settings(&installation.oauth_id).await?;
        let room = self.notification_room(&installation, &settings);
        let delivery = format!("{}:{}", source.key(), event.id);
        if event.kind == EventKind::ChatRequest {
            return self
                .chat(installation, settings, event, room, delivery)
                .await;
        }
        let room = room.ok_or_else(|| no_room(&installation))?;
        let job = Job::Event(Box::new(EventJob {
            oauth_id: installation.oauth_id.clone(),
            event,
            room,
            chat_room: None,
        }));
        let fresh = self
            .pipeline
            .accept_claimed(&format!("evt:{delivery}"), job)
            .await?;
        crate::metrics::dynaboard_event(if fresh { "accepted" } else { "duplicate" }, "");
        Ok(if fresh {
            EventAnswer::Accepted
        } else {
            EventAnswer::Duplicate
        })
    }

    /// The synchronous path: a room (or 409 outside hours, or 503) before answering.
    async fn chat(
        &self,
        installation: Installation,
        settings: Settings,
        event: Event,
        room: Option<RoomRef>,
        delivery: String,
    ) -> Result<EventAnswer, ApiError> {
        // A repeated delivery gets the same answer again.
        if let Some(answer) = self.chats.answered(&installation, &delivery).await? {
            crate::metrics::dynaboard_event("duplicate", "");
            return Ok(EventAnswer::Chat(answer));
        }
        let room = room.ok_or_else(|| no_room(&installation))?;
        let opened = tokio::time::timeout(
            CHAT_BUDGET,
            self.chats.open(&installation, &settings, &event, &delivery),
        )
        .await
        .map_err(|_| ApiError::Unavailable("HipChat did not answer in time; try again".into()))?;
        let opened = match opened {
            Ok(o) => o,
            Err(ChatError::Closed { next_open }) => return Ok(EventAnswer::Closed { next_open }),
            Err(ChatError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(ApiError::Unavailable(e.to_string())),
        };
        let home = installation.homepage.trim_end_matches('/');
        let room_url = format!("{home}/chat/room/{}", opened.answer.room_id);
        // Recorded with the answer, so the notice's "Take this chat" always finds it.
        let request_id = uuid::Uuid::new_v4().simple().to_string();
        let request = ChatRequest {
            name: event.user.full_name(),
            customer: event.user.customer.clone(),
            role: event.user.role.as_str().to_owned(),
            room_id: opened.answer.room_id,
            room_name: opened.answer.room_name.clone(),
            room_url: room_url.clone(),
            at: event.at.timestamp(),
            taken: None,
        };
        let mut writes = opened.writes;
        self.services.store.put_chat_request(
            &mut writes,
            &installation.oauth_id,
            &request_id,
            &request,
        );
        let notice = ChatRoomNotice {
            room_name: opened.answer.room_name.clone(),
            room_url,
            request: Some(request_id),
        };
        let job = Job::Event(Box::new(EventJob {
            oauth_id: installation.oauth_id.clone(),
            event,
            room,
            chat_room: Some(notice),
        }));
        // The answer, the room mapping and the notice become durable together; only then may
        // another request of this user look for the room.
        self.pipeline.accept(writes, None, job).await?;
        drop(opened.turn);
        crate::metrics::dynaboard_event("accepted", "");
        Ok(EventAnswer::Chat(opened.answer))
    }

    /// Whether chat is open now on the default connection's dynaBOARD.
    pub async fn default_status(&self) -> StoreResult<ChatStatus> {
        let owner = self.default_owner().await?;
        self.status(owner.as_ref()).await
    }

    /// Whether chat is open now on the dynaBOARD of connection `id`.
    pub async fn own_status(&self, id: &str) -> Result<ChatStatus, ApiError> {
        let owner = self
            .services
            .store
            .connection_owner(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no dynaBOARD connection {id}")))?;
        let installation = self.services.store.installation(&owner).await?;
        Ok(self.status(installation.as_ref()).await?)
    }

    /// Whether chat is open now for `owner`'s dynaBOARD (always, without an owner or hours).
    async fn status(&self, owner: Option<&Installation>) -> StoreResult<ChatStatus> {
        let settings = match owner {
            Some(i) => self.services.store.settings(&i.oauth_id).await?,
            None => Settings::default(),
        };
        Ok(hours::status(
            settings.hours.as_ref(),
            self.services.clock.now(),
        ))
    }

    /// The installation the default connection belongs to (see the store's rule).
    pub async fn default_owner(&self) -> StoreResult<Option<Installation>> {
        self.services.issues.default_owner().await
    }

    /// Where events are announced: the configured room, else a room installation's own room,
    /// else `HIPBOARD_NOTIFICATION_ROOM`.
    fn notification_room(
        &self,
        installation: &Installation,
        settings: &Settings,
    ) -> Option<RoomRef> {
        settings
            .notification_room
            .clone()
            .or(installation.room_id.map(RoomRef::Id))
            .or_else(|| self.default_room.clone())
    }
}

fn no_room(installation: &Installation) -> ApiError {
    ApiError::Conflict(format!(
        "installation {} has no notification room: set one on the configuration page or HIPBOARD_NOTIFICATION_ROOM",
        installation.oauth_id
    ))
}
