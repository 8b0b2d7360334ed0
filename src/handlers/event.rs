//! Accepted dynaBOARD events, run from the inbox: the announcement in the notification room
//! (as the configuration says), and an incident for issues of type Incident or priority Blocker.

use serde::{Deserialize, Serialize};

use super::incident::open_in;
use super::{HandlerError, Outcome, RoomCall, Services};
use crate::cards::event::{ChatCard, chat_notice, event_notification};
use crate::dynaboard::events::{Event, EventIssue, EventKind, Role};
use crate::hipchat::client::HipChatError;
use crate::hipchat::people::AccessError;
use crate::model::{IssueKey, LoginNotices, RoomKey, RoomRef, Stamp};

/// The personal room a chat request led to, for the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRoomNotice {
    /// Room name.
    pub room_name: String,
    /// Where staff open it.
    pub room_url: String,
    /// The recorded request "Take this chat" acts on (absent in jobs queued before it was).
    #[serde(default)]
    pub request: Option<String>,
}

/// An accepted event waiting in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventJob {
    /// The installation announcing it.
    pub oauth_id: String,
    /// The event.
    pub event: Event,
    /// Where it is announced.
    pub room: RoomRef,
    /// For chat requests: the room that was opened.
    #[serde(default)]
    pub chat_room: Option<ChatRoomNotice>,
}

/// Whether an issue opens an incident (issue 5): type Incident or priority Blocker.
pub fn opens_incident(issue_type: Option<&str>, priority: Option<&str>) -> bool {
    issue_type.is_some_and(|t| t.eq_ignore_ascii_case("incident"))
        || priority.is_some_and(|p| p.eq_ignore_ascii_case("blocker"))
}

/// Announces the event and opens an incident when it calls for one.
pub async fn announce(job: &EventJob, services: &Services) -> Result<Outcome, HandlerError> {
    let Some(installation) = services.store.installation(&job.oauth_id).await? else {
        tracing::warn!(oauth_id = %job.oauth_id, "event for a removed installation dropped");
        return Ok(Outcome::default());
    };
    let Some(room_id) = resolve_room(job, &installation, services).await? else {
        return Ok(Outcome::default());
    };
    let settings = services.store.settings(&job.oauth_id).await?;
    let toggles = settings.events;
    let event = &job.event;
    let announced = match &event.kind {
        EventKind::UserLogin | EventKind::UserLogout => match toggles.logins {
            LoginNotices::Off => false,
            LoginNotices::Customers => event.user.role == Role::Customer,
            LoginNotices::Everyone => true,
        },
        EventKind::IssueCreated { .. } => toggles.issues_created,
        EventKind::CommentCreated { .. } => toggles.comments,
        EventKind::IssueApproval { .. } => toggles.approvals,
        EventKind::ChatRequest => true,
    };
    let mut outcome = Outcome::default();
    if announced {
        let notification = match (&event.kind, &job.chat_room) {
            (EventKind::ChatRequest, Some(room)) => {
                let card = ChatCard {
                    user: &event.user,
                    room_name: &room.room_name,
                    room_url: &room.room_url,
                    request: room.request.as_deref(),
                    at: event.at.timestamp(),
                };
                Some(chat_notice(&card, &services.base_url))
            }
            _ => event_notification(event, &services.base_url),
        };
        if let Some(notification) = notification {
            outcome
                .room_calls
                .push(RoomCall::notification(room_id, notification));
        }
    }
    if let EventKind::IssueCreated { issue } = &event.kind {
        if is_incident(issue, &job.oauth_id, services).await? {
            let stamp = Stamp {
                by: format!("{} (dynaBOARD)", event.user.full_name()),
                by_id: None,
                at: event.at.timestamp(),
            };
            let title = format!("{}: {}", issue.key, issue.summary);
            let title: String = title.chars().take(super::incident::MAX_TITLE).collect();
            let opened = open_in(
                services,
                &job.oauth_id,
                room_id,
                &title,
                stamp,
                Some(issue.key.clone()),
            )
            .await?;
            outcome.writes.extend(opened.writes);
            outcome.room_calls.extend(
                opened
                    .replies
                    .into_iter()
                    .map(|n| RoomCall::notification(room_id, n)),
            );
            outcome.room_calls.extend(opened.room_calls);
        }
    }
    Ok(outcome)
}

/// Type and priority from the event; when both are absent, from dynaBOARD (DESIGN.md).
async fn is_incident(
    issue: &EventIssue,
    oauth_id: &str,
    services: &Services,
) -> Result<bool, HandlerError> {
    if issue.r#type.is_some() || issue.priority.is_some() {
        return Ok(opens_incident(
            issue.r#type.as_deref(),
            issue.priority.as_deref(),
        ));
    }
    let (Some(key), Some(connection)) = (
        IssueKey::parse(&issue.key),
        services.issues.connection(oauth_id).await,
    ) else {
        return Ok(false);
    };
    match services.issues.lookup(oauth_id, &connection, &key).await {
        Ok(found) => Ok(opens_incident(
            found.issue_type.as_deref(),
            found.priority.as_deref(),
        )),
        Err(e) if e.is_outage() => Err(HandlerError::Unavailable(e.to_string())),
        Err(e) => {
            tracing::warn!(key = %key, error = %e, "cannot tell whether the new issue is an incident");
            Ok(false)
        }
    }
}

/// The notification room's id: given, or looked up by name (a missing room drops the event).
async fn resolve_room(
    job: &EventJob,
    installation: &crate::model::Installation,
    services: &Services,
) -> Result<Option<i64>, HandlerError> {
    let name = match &job.room {
        RoomRef::Id(id) => return Ok(Some(*id)),
        RoomRef::Name(name) => name,
    };
    match services
        .people
        .room(installation, RoomKey::Name(name))
        .await
    {
        Ok(room) => Ok(Some(room.id)),
        Err(AccessError::HipChat(HipChatError::NotFound(_))) => {
            tracing::error!(room = %name, event = %job.event.id, "notification room does not exist; event not announced");
            Ok(None)
        }
        Err(AccessError::HipChat(e)) if e.is_transient() => {
            Err(HandlerError::Unavailable(e.to_string()))
        }
        Err(e) => {
            tracing::error!(room = %name, error = %e, "cannot find the notification room; event not announced");
            Ok(None)
        }
    }
}
