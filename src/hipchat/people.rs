//! People and rooms, as HipChat knows them at the time of asking: who administers a room (its
//! owner or a group admin; for `access = "room_admins"` and the configuration page), what users
//! are called, and which rooms the group has (the configuration page's room picker).
//! Every question is an interactive call of the installation's session.

use std::sync::Arc;

use super::client::HipChatError;
use super::retry::Policy;
use super::session::{Pace, SessionError, Sessions};
use super::wire::{RoomDetails, RoomSummary, UserDetails};
use crate::model::{Installation, RoomKey};

/// Why the question could not be answered.
pub type AccessError = SessionError;

/// Rooms asked for per page of `GET /room` (HipChat allows up to 1000).
const ROOMS_PER_PAGE: u32 = 1000;

/// Pages of rooms read at most: a group with more rooms than this is listed in part.
const MAX_ROOM_PAGES: u32 = 10;

/// Asks HipChat about users and rooms.
pub struct People {
    sessions: Arc<Sessions>,
}

impl People {
    /// Asks through the installations' `sessions`.
    pub fn new(sessions: Arc<Sessions>) -> People {
        People { sessions }
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
        let client = self.sessions.client();
        self.sessions
            .of(installation)
            .call(Policy::Interactive, Pace::Call, |access| async move {
                client.room(access.api(), room).await
            })
            .await
    }

    /// Every room of the group that is not archived, following `GET /room`'s pages.
    pub async fn rooms(
        &self,
        installation: &Installation,
    ) -> Result<Vec<RoomSummary>, AccessError> {
        let client = self.sessions.client();
        let session = self.sessions.of(installation);
        let mut rooms: Vec<RoomSummary> = Vec::new();
        for _ in 0..MAX_ROOM_PAGES {
            let start = u32::try_from(rooms.len()).unwrap_or(u32::MAX);
            let page = session
                .call(Policy::Interactive, Pace::Call, |access| async move {
                    client.rooms_page(access.api(), start, ROOMS_PER_PAGE).await
                })
                .await?;
            let more = page.has_next() && !page.items.is_empty();
            rooms.extend(page.items);
            if !more {
                break;
            }
        }
        Ok(rooms)
    }

    async fn user(
        &self,
        installation: &Installation,
        user_id: i64,
    ) -> Result<UserDetails, AccessError> {
        let client = self.sessions.client();
        self.sessions
            .of(installation)
            .call(Policy::Interactive, Pace::Call, |access| async move {
                client.user(access.api(), user_id).await
            })
            .await
    }

    /// Asks HipChat for a fresh token with `scopes`: proves the credentials and every scope.
    pub async fn check_credentials(
        &self,
        installation: &Installation,
        scopes: &[String],
    ) -> Result<String, HipChatError> {
        self.sessions
            .tokens()
            .prove(installation, scopes)
            .await
            .map(|t| t.scope.unwrap_or_else(|| scopes.join(" ")))
    }
}
