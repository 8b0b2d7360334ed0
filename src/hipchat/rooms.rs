//! Room operations for personal chat rooms: look up, create, enable guest access, set the topic.
//! Each call retries transient failures within a small budget, since a person is waiting.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::client::{Api, HipChatClient, HipChatError};
use super::retry::{INTERACTIVE_BACKOFF, with_retry};
use super::tokens::{TokenError, Tokens};
use super::wire::{CreateRoom, RoomDetails, UpdateRoom};
use crate::model::{Installation, RoomKey};

/// Budget of one room operation, retries included.
const BUDGET: Duration = Duration::from_secs(4);

/// Why a room operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// No token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// HipChat failed or refused.
    #[error(transparent)]
    HipChat(#[from] HipChatError),
}

/// Room operations with an installation's token.
pub struct Rooms {
    client: HipChatClient,
    tokens: Arc<Tokens>,
}

impl Rooms {
    /// Operations through `client` with `tokens`.
    pub fn new(client: HipChatClient, tokens: Arc<Tokens>) -> Rooms {
        Rooms { client, tokens }
    }

    /// A room, or `None` when HipChat says it does not exist.
    pub async fn find(
        &self,
        installation: &Installation,
        room: RoomKey<'_>,
    ) -> Result<Option<RoomDetails>, RoomError> {
        let token = self.tokens.get(installation).await?;
        let api = Api::of(installation, &token);
        match with_retry(BUDGET, INTERACTIVE_BACKOFF, || self.client.room(api, room)).await {
            Ok(details) => Ok(Some(details)),
            Err(HipChatError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates a public room with guest access; `Ok(None)` when the name is taken.
    pub async fn create(
        &self,
        installation: &Installation,
        name: &str,
        topic: &str,
    ) -> Result<Option<i64>, RoomError> {
        let token = self.tokens.get(installation).await?;
        let api = Api::of(installation, &token);
        let body = CreateRoom {
            name: name.to_owned(),
            privacy: Some("public".into()),
            topic: Some(topic.to_owned()),
            guest_access: true,
            owner_user_id: None,
        };
        match with_retry(BUDGET, INTERACTIVE_BACKOFF, || {
            self.client.create_room(api, &body)
        })
        .await
        {
            Ok(created) => Ok(Some(created.id)),
            // HipChat answers 400 to a duplicate name (§7.4).
            Err(HipChatError::Rejected {
                status: 400,
                message,
            }) if message.to_lowercase().contains("name") => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Turns guest access on and sets the topic, keeping everything else.
    pub async fn open_to_guests(
        &self,
        installation: &Installation,
        room: &RoomDetails,
        topic: &str,
    ) -> Result<(), RoomError> {
        let token = self.tokens.get(installation).await?;
        let api = Api::of(installation, &token);
        let update = UpdateRoom {
            name: room.name.clone(),
            privacy: room.privacy.clone().unwrap_or_else(|| "public".into()),
            is_archived: false,
            is_guest_accessible: true,
            topic: topic.to_owned(),
            owner: json!({"id": room.owner.as_ref().map_or(0, |o| o.id)}),
        };
        with_retry(BUDGET, INTERACTIVE_BACKOFF, || {
            self.client.update_room(api, RoomKey::Id(room.id), &update)
        })
        .await?;
        Ok(())
    }
}
