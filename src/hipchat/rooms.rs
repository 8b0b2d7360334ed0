//! Room operations for personal chat rooms: look up, create, enable guest access, set the topic.
//! Each is an interactive call of the installation's session, since a person is waiting.

use std::sync::Arc;

use serde_json::json;

use super::client::HipChatError;
use super::retry::Policy;
use super::session::{Pace, SessionError, Sessions};
use super::wire::{CreateRoom, RoomDetails, UpdateRoom};
use crate::model::{Installation, RoomKey};

/// Why a room operation failed.
pub type RoomError = SessionError;

/// Room operations through the installations' sessions.
pub struct Rooms {
    sessions: Arc<Sessions>,
}

impl Rooms {
    /// Operations through `sessions`.
    pub fn new(sessions: Arc<Sessions>) -> Rooms {
        Rooms { sessions }
    }

    /// A room, or `None` when HipChat says it does not exist.
    pub async fn find(
        &self,
        installation: &Installation,
        room: RoomKey<'_>,
    ) -> Result<Option<RoomDetails>, RoomError> {
        let client = self.sessions.client();
        let found = self
            .sessions
            .of(installation)
            .call(Policy::Interactive, Pace::Call, |access| async move {
                client.room(access.api(), room).await
            })
            .await;
        match found {
            Ok(details) => Ok(Some(details)),
            Err(SessionError::HipChat(HipChatError::NotFound(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a public room with guest access; `Ok(None)` when the name is taken.
    pub async fn create(
        &self,
        installation: &Installation,
        name: &str,
        topic: &str,
    ) -> Result<Option<i64>, RoomError> {
        let body = CreateRoom {
            name: name.to_owned(),
            privacy: Some("public".into()),
            topic: Some(topic.to_owned()),
            guest_access: true,
            owner_user_id: None,
        };
        let client = self.sessions.client();
        let body = &body;
        let created = self
            .sessions
            .of(installation)
            .call(Policy::Interactive, Pace::Call, |access| async move {
                client.create_room(access.api(), body).await
            })
            .await;
        match created {
            Ok(created) => Ok(Some(created.id)),
            // HipChat answers 400 to a duplicate name (§7.4).
            Err(SessionError::HipChat(HipChatError::Rejected {
                status: 400,
                message,
            })) if message.to_lowercase().contains("name") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Turns guest access on and sets the topic, keeping everything else.
    pub async fn open_to_guests(
        &self,
        installation: &Installation,
        room: &RoomDetails,
        topic: &str,
    ) -> Result<(), RoomError> {
        let update = UpdateRoom {
            name: room.name.clone(),
            privacy: room.privacy.clone().unwrap_or_else(|| "public".into()),
            is_archived: false,
            is_guest_accessible: true,
            topic: topic.to_owned(),
            owner: json!({"id": room.owner.as_ref().map_or(0, |o| o.id)}),
        };
        let client = self.sessions.client();
        let update = &update;
        self.sessions
            .of(installation)
            .call(Policy::Interactive, Pace::Call, |access| async move {
                client
                    .update_room(access.api(), RoomKey::Id(room.id), update)
                    .await
            })
            .await
    }
}
