//! The handler table: each `handler` key a command file may name, the call it parses into and
//! where it runs, in one list. A new command is its TOML file, one line here and its handler.
//!
//! Inline handlers run inside the webhook request: they read the store (async, since the store
//! may be a database) and stage their writes, but call no outside service; deferred handlers run
//! from the inbox after the answer and may call HipChat and dynaBOARD.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::{Conversation, HandlerError, Outcome, Services};
use super::{help, incident, issue, meme, unfurl, unknown};

/// A handler that runs inside the request (the store only, no outside service) and may answer
/// inline (§6.4).
pub trait Inline: Sized {
    /// Whether it takes a per-installation number (incidents), so calls of one installation
    /// are best applied one at a time.
    const NUMBERS_THINGS: bool = false;
    /// Parses the argument text; the error says what is wrong with it.
    fn parse(args: &str) -> Result<Self, String>;
    /// Runs the call.
    fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> impl Future<Output = Result<Outcome, HandlerError>> + Send;
}

/// A handler that runs after the answer, from the inbox, in per-room order.
pub trait Deferred: Sized {
    /// Never: deferred calls do not number things.
    const NUMBERS_THINGS: bool = false;
    /// Parses the argument text; the error says what is wrong with it.
    fn parse(args: &str) -> Result<Self, String>;
    /// Runs the call.
    fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> impl Future<Output = Result<Outcome, HandlerError>> + Send;
}

/// Where a handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Inside the webhook request (the store only): may reply inline (§6.4).
    Inline,
    /// After the webhook is answered, from the inbox, in per-room order.
    Deferred,
}

/// Defines [`HandlerKey`] (what a command file's `handler` deserializes into) and [`Call`]
/// (the parsed call, serialised in the inbox as `{"handler": key, ...arguments}`) from one
/// list of `Variant(arguments type) => Inline | Deferred`.
macro_rules! handler_table {
    ($( $(#[$doc:meta])* $variant:ident($args:ty) => $mode:ident, )*) => {
        /// The handler a command file names: its `handler` field, deserialized.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum HandlerKey {
            $( $(#[$doc])* $variant, )*
        }

        /// A command call with typed arguments. Serialisable: deferred calls wait in the inbox.
        #[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
        #[serde(tag = "handler", rename_all = "snake_case")]
        pub enum Call {
            $( $(#[$doc])* $variant($args), )*
        }

        impl Call {
            /// Parses the argument text for `handler`; the error says what is wrong with it.
            pub fn parse(handler: HandlerKey, args: &str) -> Result<Call, String> {
                match handler {
                    $( HandlerKey::$variant => <$args as $mode>::parse(args).map(Call::$variant), )*
                }
            }

            /// Where this call runs.
            pub fn mode(&self) -> Mode {
                match self {
                    $( Call::$variant(_) => Mode::$mode, )*
                }
            }

            /// Whether it takes a per-installation number (incidents).
            pub fn numbers_things(&self) -> bool {
                match self {
                    $( Call::$variant(_) => <$args as $mode>::NUMBERS_THINGS, )*
                }
            }

            /// Runs the call.
            pub async fn run(
                &self,
                conversation: &Conversation,
                services: &Services,
            ) -> Result<Outcome, HandlerError> {
                match self {
                    $( Call::$variant(call) => handler_table!(@run $mode call conversation services), )*
                }
            }
        }
    };
    (@run Inline $call:ident $conversation:ident $services:ident) => {
        Inline::run($call, $conversation, $services).await
    };
    (@run Deferred $call:ident $conversation:ident $services:ident) => {
        Deferred::run($call, $conversation, $services).await
    };
}

handler_table! {
    /// `/help [command]`.
    Help(help::Help) => Inline,
    /// `/issue KEY`.
    Issue(issue::Issue) => Deferred,
    /// dynaBOARD issue links in any message.
    Unfurl(unfurl::Unfurl) => Deferred,
    /// `/incident <title>`.
    Incident(incident::Open) => Inline,
    /// `/ack INC-n`.
    Ack(incident::Ack) => Inline,
    /// `/resolve INC-n`.
    Resolve(incident::Resolve) => Inline,
    /// `/meme`.
    Meme(meme::Meme) => Inline,
    /// Any other slash word.
    Unknown(unknown::Unknown) => Inline,
}
