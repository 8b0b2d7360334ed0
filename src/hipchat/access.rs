//! Who administers a room, asked of HipChat at the time of the call (commands with
//! `access = "room_admins"`): the room's owner, or a group admin.

use std::sync::Arc;

use super::client::{Api, HipChatClient, HipChatError, RoomKey};
use super::tokens::{TokenError, Tokens};
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

/// Answers "may this user administer this room?".
pub struct RoomAdmins {
    client: HipChatClient,
    tokens: Arc<Tokens>,
}

impl RoomAdmins {
    /// Asks through `client` with the installation's tokens.
    pub fn new(client: HipChatClient, tokens: Arc<Tokens>) -> RoomAdmins {
        RoomAdmins { client, tokens }
    }

    /// Whether `user_id` owns room `room_id` or administers the group.
    pub async fn allows(
        &self,
        installation: &Installation,
        room_id: i64,
        user_id: i64,
    ) -> Result<bool, AccessError> {
        let token = self.tokens.get(installation).await?;
        let api = Api {
            base: &installation.api_url,
            token: &token,
        };
        let room = self.client.room(api, RoomKey::Id(room_id)).await?;
        if room.owner.is_some_and(|o| o.id == user_id) {
            return Ok(true);
        }
        Ok(self.client.user(api, user_id).await?.is_group_admin)
    }
}
