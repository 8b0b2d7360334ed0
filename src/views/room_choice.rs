//! The notification room on the configuration page: the rooms offered in its picker, and the
//! check with HipChat before a room is saved — it exists, the add-on may see it, and it is not
//! archived. Any room will do, whatever the installation (the seed: "can be any existing room";
//! the reference names no restriction for room installations, and issue 13 announces Support's
//! events in Incidents).

use serde::Serialize;

use crate::hipchat::client::HipChatError;
use crate::hipchat::people::{AccessError, People};
use crate::hipchat::wire::RoomDetails;
use crate::model::{Installation, RoomKey, RoomRef};

/// A room offered in the picker.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RoomOption {
    /// Room id.
    pub id: i64,
    /// Room name.
    pub name: String,
}

/// Why a chosen notification room is refused; each message is shown on the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomRefusal {
    /// HipChat answered 404.
    #[error("There is no room {0} in HipChat.")]
    Missing(String),
    /// Archived rooms take no messages.
    #[error("The room {0} is archived; HipChat takes no messages there.")]
    Archived(String),
    /// HipChat does not let the add-on see the room.
    #[error("HipChat does not let the add-on see the room {room}: {message}")]
    Hidden {
        /// The room as typed.
        room: String,
        /// HipChat's message.
        message: String,
    },
    /// HipChat could not be asked.
    #[error("Cannot check the room now ({0}). Nothing was saved; try again in a moment.")]
    Unchecked(String),
}

/// The room typed, as HipChat describes it (`None` for a blank field). Refused unless HipChat
/// confirms the room exists and the installation can post there.
pub async fn resolve(
    people: &People,
    installation: &Installation,
    typed: &str,
) -> Result<Option<RoomDetails>, RoomRefusal> {
    let Some(room) = RoomRef::parse(typed) else {
        return Ok(None);
    };
    let shown = typed.trim().to_owned();
    let details = people
        .room(installation, room.as_key())
        .await
        .map_err(|e| refusal(&shown, e))?;
    if details.is_archived {
        return Err(RoomRefusal::Archived(details.name));
    }
    Ok(Some(details))
}

/// What is stored for a checked room: `None` for the installation's own room (the default,
/// "this installation's room"), else the room's id, so a rename in HipChat does not lose it.
pub fn stored(installation: &Installation, room: Option<&RoomDetails>) -> Option<RoomRef> {
    let room = room?;
    (installation.room_id != Some(room.id)).then_some(RoomRef::Id(room.id))
}

/// The rooms the installation may choose: every room HipChat lists that is not archived.
pub async fn options(
    people: &People,
    installation: &Installation,
) -> Result<Vec<RoomOption>, AccessError> {
    let rooms = people.rooms(installation).await?;
    Ok(rooms
        .into_iter()
        .filter(|r| !r.is_archived)
        .map(|r| RoomOption {
            id: r.id,
            name: r.name,
        })
        .collect())
}

/// A room's name, or `"id N"` when HipChat does not say.
pub async fn room_name(people: &People, installation: &Installation, room_id: i64) -> String {
    match people.room(installation, RoomKey::Id(room_id)).await {
        Ok(RoomDetails { name, .. }) => name,
        Err(e) => {
            tracing::debug!(room_id, error = %e, "room name unavailable");
            format!("with id {room_id}")
        }
    }
}

fn refusal(shown: &str, error: AccessError) -> RoomRefusal {
    match error {
        AccessError::HipChat(HipChatError::NotFound(_)) => RoomRefusal::Missing(shown.to_owned()),
        AccessError::HipChat(HipChatError::Forbidden(message)) => RoomRefusal::Hidden {
            room: shown.to_owned(),
            message,
        },
        other => RoomRefusal::Unchecked(other.to_string()),
    }
}
