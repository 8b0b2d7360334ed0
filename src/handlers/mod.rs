//! Command handlers: plain functions from a parsed call, and what they need, to an [`Outcome`];
//! the handler table (`table.rs`) maps each command file's `handler` key to one of them.
//!
//! Handlers never see HTTP or sled. They get typed arguments, the conversation and the services
//! they use; they return replies and state changes, which the caller commits in one batch.

pub mod chat;
pub mod event;
pub mod help;
pub mod incident;
pub mod issue;
pub mod links;
pub mod meme;
mod table;
pub mod unfurl;
pub mod unknown;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::dynaboard::lookup::Issues;
use crate::hipchat::message::{html, prefix_message};
use crate::hipchat::people::People;
use crate::hipchat::wire::{Color, Notification};
use crate::runtime::outbox::Outbound;
use crate::store::{Batch, Store, StoreError};
pub use table::{Call, Deferred, HandlerKey, Inline, Mode};

/// The command registry, each file's `handler` deserialized into a [`HandlerKey`].
pub type Registry = crate::dispatch::Registry<HandlerKey>;
/// One command of the registry.
pub type Command = crate::dispatch::Command<HandlerKey>;

/// A person in the room.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Person {
    /// HipChat user id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// @mention name.
    pub mention_name: String,
}

/// Where and by whom a command was given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Conversation {
    /// The installation that received it.
    pub oauth_id: String,
    /// Room id.
    pub room_id: i64,
    /// Room name.
    pub room_name: String,
    /// Who typed it.
    pub sender: Person,
    /// HipChat message id (replies attach to it).
    pub message_id: String,
}

/// A HipChat call for some room, made by the outbox.
#[derive(Debug)]
pub struct RoomCall {
    /// Target room.
    pub room_id: i64,
    /// The call.
    pub call: Outbound,
    /// The installation that makes it; `None`: the one the work runs for.
    pub sender: Option<String>,
}

impl RoomCall {
    /// A call made by the installation the work runs for.
    pub fn new(room_id: i64, call: Outbound) -> RoomCall {
        RoomCall {
            room_id,
            call,
            sender: None,
        }
    }

    /// A notification posted to `room_id`.
    pub fn notification(room_id: i64, notification: Notification) -> RoomCall {
        RoomCall::new(
            room_id,
            Outbound::Notification {
                notification: Box::new(notification),
            },
        )
    }

    /// The same call, made by installation `oauth_id`.
    pub fn by(mut self, oauth_id: &str) -> RoomCall {
        self.sender = Some(oauth_id.to_owned());
        self
    }
}

/// What a handler produced; the caller commits `writes` and queues every call together.
#[derive(Default)]
pub struct Outcome {
    /// Notifications for the conversation's room, in order.
    pub replies: Vec<Notification>,
    /// State changes.
    pub writes: Batch,
    /// Other calls (glance pushes, notices to other rooms), after the replies.
    pub room_calls: Vec<RoomCall>,
}

impl Outcome {
    /// An outcome that only replies.
    pub fn reply(notification: Notification) -> Outcome {
        Outcome {
            replies: vec![notification],
            ..Outcome::default()
        }
    }
}

/// Why a handler could not run (failures a user should hear about are replies, not errors).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something outside (HipChat, dynaBOARD) is down for now: try the work again later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

/// What handlers may use.
#[derive(Clone)]
pub struct Services {
    /// The commands (for `/help`).
    pub registry: Arc<Registry>,
    /// `/help`'s texts, built once from the registry.
    pub help: Arc<help::HelpTexts>,
    /// Typed state.
    pub store: Store,
    /// Time.
    pub clock: Clock,
    /// dynaBOARD issue look-ups.
    pub issues: Arc<Issues>,
    /// The add-on's public base URL (icons, links to views).
    pub base_url: String,
    /// HipChat's users and rooms.
    pub people: Arc<People>,
}

/// Names the person a help or error reply is for, in front of it.
///
/// Issue 13 asked for such replies to reach only the one who asked, where HipChat allows it.
/// HipChat does allow it (`POST /v2/user/{id}/message`, HIPCHAT-CONNECT.md §7), but we answer
/// in the room, attached to the asker's message and naming them, because a private message
/// needs the `send_message` scope (which also lets the add-on post as users, and which every
/// installation would have to be updated to grant), cannot carry a card or attach to the
/// message it answers, and moves the answer out of the room the question was asked in; the
/// inline webhook reply also needs no REST call and no flood-control budget. The reply is
/// HTML (its `<code>` and lists), where HipChat does not expand `@mentions`, so the name is
/// written out.
pub fn addressed(to: &Person, mut notification: Notification) -> Notification {
    prefix_message(&mut notification, &to.name);
    notification
}

/// The reply to a malformed call: what is wrong, the usage line and an example.
pub fn usage_reply(command: &Command, problem: &str) -> Notification {
    let mut text = crate::html!("{} Usage: <code>{}</code>", problem, &command.usage);
    if let Some(example) = command.examples.first() {
        text.push(&crate::html!(", for example <code>{}</code>", example));
    }
    html(text, Color::Yellow)
}
