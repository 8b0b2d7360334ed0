//! dynaBOARD's endpoints on the add-on: signed events in (`/dynaboard/events`, and
//! `/dynaboard/events/{connection id}` for an installation's own connection), chat status out.
//!
//! Events are verified (HMAC-SHA256 of the raw body, constant time), decoded strictly, claimed
//! by delivery id and queued in one batch, then answered; the announcements go out afterwards.
//! Chat requests are the exception: they create or find the room before answering.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

use super::chat::{ChatError, Chats};
use super::events::{Event, EventKind};
use super::hours;
use crate::auth::signature;
use crate::bot::{Bot, Job};
use crate::error::ApiError;
use crate::handlers::Services;
use crate::handlers::event::{ChatRoomNotice, EventJob};
use crate::model::{ChatRequest, Installation, RoomRef, Settings};
use crate::store::StoreResult;

/// How long a chat request may take before dynaBOARD is told to try again (DESIGN.md: a few seconds).
const CHAT_BUDGET: Duration = Duration::from_secs(8);

/// How far in the future an event's `at` may be (clock skew between dynaBOARD and us).
pub const MAX_EVENT_SKEW_SECS: i64 = 5 * 60;

/// A signed event is acted on only inside the window its delivery id is remembered for: an
/// older one could be a replay whose id was forgotten (its `at` is signed with the body).
fn fresh(event: &Event, now: i64) -> Result<(), ApiError> {
    let at = event.at.timestamp();
    if at < now - crate::bot::CLAIM_TTL_SECS {
        return Err(ApiError::BadRequest(format!(
            "event {} happened at {}, more than {} minutes ago: too old to accept (a replay?)",
            event.id,
            event.at.to_rfc3339(),
            crate::bot::CLAIM_TTL_SECS / 60
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
    pub bot: Arc<Bot>,
    /// Chat rooms.
    pub chats: Arc<Chats>,
    /// `DYNABOARD_WEBHOOK_SECRET` of the default connection.
    pub default_secret: Option<String>,
    /// `HIPBOARD_NOTIFICATION_ROOM`.
    pub default_room: Option<RoomRef>,
}

/// Where an event came in.
enum Source {
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

/// `POST /dynaboard/events`.
pub async fn default_events(
    State(inbound): State<Inbound>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    inbound.event(Source::Default, &headers, &body).await
}

/// `POST /dynaboard/events/{connection id}`.
pub async fn own_events(
    State(inbound): State<Inbound>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    inbound.event(Source::Own(id), &headers, &body).await
}

/// `GET /dynaboard/chat/status`: for dynaBOARD's chat button; public, any origin.
pub async fn default_status(State(inbound): State<Inbound>) -> Result<Response, ApiError> {
    let owner = inbound.default_owner()?;
    inbound.status(owner.as_ref())
}

/// `GET /dynaboard/chat/status/{connection id}`.
pub async fn own_status(
    State(inbound): State<Inbound>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let owner = inbound
        .services
        .store
        .connection_owner(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no dynaBOARD connection {id}")))?;
    let installation = inbound.services.store.installation(&owner)?;
    inbound.status(installation.as_ref())
}

impl Inbound {
    async fn event(
        &self,
        source: Source,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Response, ApiError> {
        let given = headers
            .get("x-dynaboard-signature")
            .and_then(|v| v.to_str().ok());
        let installation = match &source {
            Source::Default => {
                let secret = self.default_secret.as_deref().ok_or_else(|| {
                    ApiError::Unavailable("events for the default connection are off: DYNABOARD_WEBHOOK_SECRET is not set".into())
                })?;
                signature::verify(secret.as_bytes(), body, given)?;
                self.default_owner()?.ok_or_else(|| {
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
                    .connection_owner(id)?
                    .ok_or_else(not_found)?;
                let own = self
                    .services
                    .store
                    .settings(&owner)?
                    .connection
                    .ok_or_else(not_found)?;
                signature::verify(own.webhook_secret.as_bytes(), body, given)?;
                self.services
                    .store
                    .installation(&owner)?
                    .filter(Installation::is_active)
                    .ok_or_else(not_found)?
            }
        };
        let event =
            Event::decode(body).map_err(|e| ApiError::BadRequest(format!("invalid event: {e}")))?;
        fresh(&event, self.services.clock.unix())?;
        let settings = self.services.store.settings(&installation.oauth_id)?;
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
            .bot
            .accept_claimed(&format!("evt:{delivery}"), job)
            .await?;
        crate::metrics::dynaboard_event(if fresh { "accepted" } else { "duplicate" }, "");
        Ok(if fresh {
            (StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response()
        } else {
            (StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response()
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
    ) -> Result<Response, ApiError> {
        // A repeated delivery gets the same answer again.
        if let Some(answer) = self.chats.answered(&installation, &delivery)? {
            crate::metrics::dynaboard_event("duplicate", "");
            return Ok(Json(answer).into_response());
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
            Err(ChatError::Closed { next_open }) => {
                let body = json!({
                    "error": "chat is closed outside service hours",
                    "next_open": next_open.map(|t| t.to_rfc3339()),
                });
                return Ok((StatusCode::CONFLICT, Json(body)).into_response());
            }
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
        // The answer, the room mapping and the notice become durable together.
        self.bot.accept(writes, job).await?;
        crate::metrics::dynaboard_event("accepted", "");
        Ok(Json(opened.answer).into_response())
    }

    fn status(&self, owner: Option<&Installation>) -> Result<Response, ApiError> {
        let settings = match owner {
            Some(i) => self.services.store.settings(&i.oauth_id)?,
            None => Settings::default(),
        };
        let status = hours::status(settings.hours.as_ref(), self.services.clock.now());
        Ok(crate::response::public_json(json!({
            "open": status.open,
            "next_open": status.next_open.map(|t| t.to_rfc3339()),
        })))
    }

    /// The installation the default connection belongs to (see the store's rule).
    pub fn default_owner(&self) -> StoreResult<Option<Installation>> {
        self.services.issues.default_owner()
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

/// The routes.
pub fn router(inbound: Inbound) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/dynaboard/events", post(default_events))
        .route("/dynaboard/events/{id}", post(own_events))
        .route("/dynaboard/chat/status", get(default_status))
        .route("/dynaboard/chat/status/{id}", get(own_status))
        .with_state(inbound)
}
