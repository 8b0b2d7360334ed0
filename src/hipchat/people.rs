//! People, as HipChat knows them at the time of asking: who administers a room (its owner or a
//! group admin; for `access = "room_admins"` and the configuration page) and what users are called.

use std::sync::Arc;

use super::client::{Api, HipChatClient, HipChatError, RoomKey};
use super::tokens::{TokenError, Tokens};
use super::wire::{RoomDetails, UserDetails};
use crate::store::Installation;

/// Why the question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// HipChat failed.
    #[error(transparent)]
    HipChat(#[from] HipChatError),
}

/// Asks HipChat about users.
pub struct People {
    client: HipChatClient,
    tokens: Arc<Tokens>,
}

impl People {
    /// Asks through `client` with the installation's tokens.
    pub fn new(client: HipChatClient, tokens: Arc<Tokens>) -> People {
        People { client, tokens }
    }

    /// Whether `user_id` owns room `room_id` or administers the group.
    pub async fn is_room_admin(
        &self,
        installation: &Installation,
        room_id: i64,
        user_id: i64,
    ) -> Result<bool, AccessError> {
        let room = self.room(installation, RoomKey::Id(room_id)).await?;
        if room.owner.is_some_and(|o| o.id == user_id) {
            return Ok(true);
        }
        self.is_group_admin(installation, user_id).await
    }

    /// Whether `user_id` administers the group.
    pub async fn is_group_admin(
        &self,
        installation: &Installation,
        user_id: i64,
    ) -> Result<bool, AccessError> {
        Ok(self.user(installation, user_id).await?.is_group_admin)
    }

    /// A user's display name.
    pub async fn name_of(
        &self,
        installation: &Installation,
        user_id: i64,
    ) -> Result<String, AccessError> {
        Ok(self.user(installation, user_id).await?.name)
    }

    /// A room by id or name, as HipChat describes it.
    pub async fn room(
        &self,
        installation: &Installation,
        room: RoomKey<'_>,
    ) -> Result<RoomDetails, AccessError> {
        let token = self.tokens.get(installation).await?;
        Ok(self
            .client
            .room(Api::of(installation, &token), room)
            .await?)
    }

    async fn user(
        &self,
        installation: &Installation,
        user_id: i64,
    ) -> Result<UserDetails, AccessError> {
        let token = self.tokens.get(installation).await?;
        Ok(self
            .client
            .user(Api::of(installation, &token), user_id)
            .await?)
    }

    /// Asks HipChat for a fresh token with `scopes`: proves the credentials and every scope.
    pub async fn check_credentials(
        &self,
        installation: &Installation,
        scopes: &[String],
    ) -> Result<String, HipChatError> {
        self.client
            .request_token(
                &installation.token_url,
                &installation.oauth_id,
                &installation.oauth_secret,
                scopes,
            )
            .await
            .map(|t| t.scope.unwrap_or_else(|| scopes.join(" ")))
    }
}
