//! Command handlers: plain functions from a parsed call, and what they need, to an [`Outcome`].
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
pub mod unfurl;
pub mod unknown;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::dispatch::{Command, HandlerKey, Registry};
use crate::dynaboard::lookup::Issues;
use crate::hipchat::message::{html, prefix_message};
use crate::hipchat::people::People;
use crate::hipchat::wire::{Color, Notification};
use crate::model::IssueKey;
use crate::runtime::outbox::Outbound;
use crate::store::{Batch, Store, StoreError};
use incident::Action;
use links::IssueLink;

/// A command call with typed arguments. Serialisable: deferred calls wait in the inbox.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "handler", rename_all = "snake_case")]
pub enum Call {
    /// `/help [command]`.
    Help {
        /// The command asked about, if any.
        topic: Option<String>,
    },
    /// `/issue KEY`.
    Issue {
        /// The issue.
        key: IssueKey,
    },
    /// Issue links pasted in a message.
    Unfurl {
        /// The links found.
        links: Vec<IssueLink>,
    },
    /// `/incident <title>`.
    Incident {
        /// Title.
        title: String,
    },
    /// `/meme`.
    Meme,
    /// `/ack INC-n` or `/resolve INC-n`.
    IncidentAction {
        /// Incident number.
        number: u64,
        /// What to do.
        action: Action,
    },
    /// A slash word no command declared.
    Unknown {
        /// The word as typed, without its slash.
        word: String,
    },
}

/// Where a handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inside the webhook request (no outside I/O): may reply inline (§6.4).
    Inline,
    /// After the webhook is answered, from the inbox, in per-room order.
    Deferred,
}

impl Call {
    /// Parses the argument text for `handler`; the error says what is wrong with it.
    pub fn parse(handler: HandlerKey, args: &str) -> Result<Call, String> {
        match handler {
            HandlerKey::Help => help::parse(args).map(|topic| Call::Help { topic }),
            HandlerKey::Issue => issue::parse(args).map(|key| Call::Issue { key }),
            HandlerKey::Unfurl => unfurl::parse(args).map(|links| Call::Unfurl { links }),
            HandlerKey::Incident => {
                incident::parse_title(args).map(|title| Call::Incident { title })
            }
            HandlerKey::Ack => incident::parse_number(args).map(|number| Call::IncidentAction {
                number,
                action: Action::Acknowledge,
            }),
            HandlerKey::Meme => meme::parse(args).map(|()| Call::Meme),
            HandlerKey::Unknown => unknown::parse(args).map(|word| Call::Unknown { word }),
            HandlerKey::Resolve => {
                incident::parse_number(args).map(|number| Call::IncidentAction {
                    number,
                    action: Action::Resolve,
                })
            }
        }
    }

    /// Whether it takes a per-installation number (incidents), so calls of one installation
    /// are best applied one at a time.
    pub fn numbers_things(&self) -> bool {
        matches!(self, Call::Incident { .. })
    }

    /// Where this call runs.
    pub fn mode(&self) -> Mode {
        match self {
            Call::Help { .. }
            | Call::Incident { .. }
            | Call::IncidentAction { .. }
            | Call::Meme
            | Call::Unknown { .. } => Mode::Inline,
            Call::Issue { .. } | Call::Unfurl { .. } => Mode::Deferred,
        }
    }
}

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

/// Runs a call.
pub async fn run(
    call: &Call,
    conversation: &Conversation,
    services: &Services,
) -> Result<Outcome, HandlerError> {
    match call {
        Call::Help { topic } => Ok(Outcome::reply(addressed(
            &conversation.sender,
            services.help.get(&services.registry, topic.as_deref()),
        ))),
        Call::Unknown { word } => Ok(unknown::reply(&services.registry, word)
            .map(|n| Outcome::reply(addressed(&conversation.sender, n)))
            .unwrap_or_default()),
        Call::Issue { key } => Ok(issue::issue(key, conversation, services).await),
        Call::Unfurl { links } => unfurl::unfurl(links, conversation, services).await,
        Call::Meme => Ok(Outcome::reply(meme::meme())),
        Call::Incident { title } => incident::open(title, conversation, services),
        Call::IncidentAction { number, action } => {
            incident::act(*number, *action, conversation, services)
        }
    }
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
