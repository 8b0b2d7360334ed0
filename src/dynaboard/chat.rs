//! Chat requests: inside service hours, the user's personal room is found (or created) with
//! guest access, named `<prefix> <First> <Last>` within HipChat's 50 characters, its topic set
//! by role; the answer carries the guest URL, and staff get a "go to room" notice.

use chrono::{DateTime, Utc};

use super::events::{Event, EventUser, Role};
use super::hours;
use crate::clock::Clock;
use crate::hipchat::message::truncate;
use crate::hipchat::rooms::{RoomError, Rooms};
use crate::hipchat::wire::RoomDetails;
use crate::locks::{Held, KeyedLocks};
use crate::model::{ChatAnswer, ChatRoom, Installation, RoomKey, Settings};
use crate::store::{Batch, Store, StoreError};

/// HipChat's limit on room names.
pub const MAX_ROOM_NAME: usize = 50;
const MAX_TOPIC: usize = 250;
/// Names tried when the natural one belongs to somebody else's room.
const NAME_ATTEMPTS: usize = 20;

/// Why a chat request was not answered with a room.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// Outside service hours.
    #[error("chat is closed outside service hours")]
    Closed {
        /// When it opens next.
        next_open: Option<DateTime<Utc>>,
    },
    /// HipChat could not be asked, or refused.
    #[error("HipChat: {0}")]
    HipChat(#[from] RoomError),
    /// HipChat answered without what we need.
    #[error("HipChat: {0}")]
    Incomplete(String),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The room's name: `<prefix> <First> <Last>`, at most 50 characters (the name is shortened,
/// never the prefix), `n` > 1 appended to keep it unique.
pub fn room_name(prefix: &str, user: &EventUser, n: usize) -> String {
    let prefix = prefix.split_whitespace().collect::<Vec<_>>().join(" ");
    let person = user
        .full_name()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let suffix = if n > 1 {
        format!(" {n}")
    } else {
        String::new()
    };
    let room = MAX_ROOM_NAME.saturating_sub(prefix.chars().count() + 1 + suffix.chars().count());
    format!("{prefix} {}{suffix}", truncate(&person, room.max(1)))
}

/// The topic: `<email> (<customer>)` for customers, `<email>` for partners and admins.
pub fn topic(user: &EventUser) -> String {
    let text = match user.role {
        Role::Customer if !user.customer.trim().is_empty() => {
            format!("{} ({})", user.email, user.customer)
        }
        _ => user.email.clone(),
    };
    truncate(&text, MAX_TOPIC)
}

/// The outcome of a chat request, before it is recorded.
pub struct Opened {
    /// What dynaBOARD is answered.
    pub answer: ChatAnswer,
    /// Writes recording it (room mapping and answer), to commit with the notice.
    pub writes: Batch,
    /// The user's room is this caller's to record until this is dropped, after the commit:
    /// another request of the same user meanwhile would not see the room and open another.
    pub turn: Held,
}

/// Opens chat rooms for one add-on.
pub struct Chats {
    rooms: Rooms,
    store: Store,
    clock: Clock,
    /// One request at a time per user (in all instances), so two clicks make one room.
    locks: KeyedLocks,
}

impl Chats {
    /// Chat rooms through `rooms`.
    pub fn new(rooms: Rooms, store: Store, clock: Clock) -> Chats {
        Chats {
            locks: KeyedLocks::across_instances(&store, clock.clone(), "chat-room"),
            rooms,
            store,
            clock,
        }
    }

    /// The recorded answer of an earlier delivery with this key, if any.
    pub async fn answered(
        &self,
        installation: &Installation,
        delivery: &str,
    ) -> Result<Option<ChatAnswer>, StoreError> {
        self.store
            .chat_answer(&installation.oauth_id, delivery)
            .await
    }

    /// Finds or creates the user's room; the caller commits `writes` with the notice.
    pub async fn open(
        &self,
        installation: &Installation,
        settings: &Settings,
        event: &Event,
        delivery: &str,
    ) -> Result<Opened, ChatError> {
        let status = hours::status(settings.hours.as_ref(), self.clock.now());
        if !status.open {
            return Err(ChatError::Closed {
                next_open: status.next_open,
            });
        }
        let user = &event.user;
        let key = format!("{}/{}", installation.oauth_id, user.email);
        let turn = self.locks.lock(&key).await;
        let topic = topic(user);
        let room = match self
            .store
            .chat_room(&installation.oauth_id, &user.email)
            .await?
        {
            Some(known) => match self
                .rooms
                .find(installation, RoomKey::Id(known.room_id))
                .await?
            {
                Some(details) => details,
                // Deleted in HipChat: created anew (the seed's "no problem").
                None => self.create(installation, settings, user, &topic).await?,
            },
            None => self.create(installation, settings, user, &topic).await?,
        };
        let room = self.ready_for_guests(installation, room, &topic).await?;
        let join_url = room.guest_access_url.clone().ok_or_else(|| {
            ChatError::Incomplete(format!("room {} has no guest access URL", room.id))
        })?;
        let answer = ChatAnswer {
            room_id: room.id,
            room_name: room.name.clone(),
            join_url,
        };
        let mut writes = Batch::new();
        let mapping = ChatRoom {
            room_id: room.id,
            room_name: room.name,
        };
        self.store
            .put_chat_room(&mut writes, &installation.oauth_id, &user.email, &mapping);
        self.store
            .put_chat_answer(&mut writes, &installation.oauth_id, delivery, &answer);
        Ok(Opened {
            answer,
            writes,
            turn,
        })
    }

    /// A new room under the first free name. A room that already has the name is never taken
    /// over, whatever its topic says: a topic is text anyone in HipChat can set.
    async fn create(
        &self,
        installation: &Installation,
        settings: &Settings,
        user: &EventUser,
        topic: &str,
    ) -> Result<RoomDetails, ChatError> {
        for n in 1..=NAME_ATTEMPTS {
            let name = room_name(&settings.room_prefix, user, n);
            if let Some(id) = self.rooms.create(installation, &name, topic).await? {
                return self
                    .rooms
                    .find(installation, RoomKey::Id(id))
                    .await?
                    .ok_or_else(|| {
                        ChatError::Incomplete(format!("created room {id} cannot be found"))
                    });
            }
        }
        Err(ChatError::Incomplete(format!(
            "no free room name for {} after {NAME_ATTEMPTS} tries",
            user.full_name()
        )))
    }

    async fn ready_for_guests(
        &self,
        installation: &Installation,
        room: RoomDetails,
        topic: &str,
    ) -> Result<RoomDetails, ChatError> {
        if room.is_guest_accessible
            && room.guest_access_url.is_some()
            && room.topic.as_deref() == Some(topic)
            && !room.is_archived
        {
            return Ok(room);
        }
        self.rooms
            .open_to_guests(installation, &room, topic)
            .await?;
        self.rooms
            .find(installation, RoomKey::Id(room.id))
            .await?
            .ok_or_else(|| ChatError::Incomplete(format!("room {} vanished", room.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(first: &str, last: &str, role: Role) -> EventUser {
        EventUser {
            first_name: first.into(),
            last_name: last.into(),
            email: "z@acme.example".into(),
            customer: "Acme".into(),
            role,
        }
    }

    #[test]
    fn names_fit_fifty_characters_and_stay_unique() {
        assert_eq!(
            room_name("dynaBOARD", &user("Zoë", "Ångström", Role::Customer), 1),
            "dynaBOARD Zoë Ångström"
        );
        let long = user(
            "Maximiliane-Josephine",
            "von Hohenzollern-Sigmaringen-Wittelsbach",
            Role::Partner,
        );
        let name = room_name("dynaBOARD", &long, 1);
        assert_eq!(name.chars().count(), 50);
        assert!(name.starts_with("dynaBOARD Maximiliane-Josephine von ") && name.ends_with('…'));
        let second = room_name("dynaBOARD", &long, 2);
        assert_eq!(second.chars().count(), 50);
        assert!(second.ends_with("… 2"));
        assert_eq!(
            room_name("Support", &user("李", "雷", Role::Admin), 3),
            "Support 李 雷 3"
        );
    }

    #[test]
    fn topics_follow_the_role() {
        assert_eq!(
            topic(&user("A", "B", Role::Customer)),
            "z@acme.example (Acme)"
        );
        assert_eq!(topic(&user("A", "B", Role::Partner)), "z@acme.example");
        assert_eq!(topic(&user("A", "B", Role::Admin)), "z@acme.example");
    }
}
