//! A room message entering the pipeline: checked, claimed by message id, dispatched to its
//! command's handler, then answered inline or queued in the inbox.

use super::commit::Work;
use super::inbox::{CommandJob, Job};
use super::{Handled, MAX_MESSAGE_ID, Pipeline};
use crate::auth::{Verified, WebhookItem};
use crate::dispatch::{Access, Kind};
use crate::error::ApiError;
use crate::handlers::{self, Call, Command, Conversation, Mode, Outcome, Person};
use crate::hipchat::wire::{Notification, RoomMessageItem, Sender, User};

impl WebhookItem for RoomMessageItem {
    fn room_id(&self) -> i64 {
        self.room.id
    }
    fn sender_id(&self) -> Option<i64> {
        match &self.message.from {
            Sender::User(u) => Some(u.id),
            Sender::Label(_) => None,
        }
    }
}

impl Pipeline {
    /// Handles one verified room message.
    pub async fn on_room_message(
        &self,
        hook: &Verified<RoomMessageItem>,
    ) -> Result<Handled, ApiError> {
        if hook.envelope.event != "room_message" {
            return Err(ApiError::BadRequest(format!(
                "this URL takes room_message events, not {}",
                hook.envelope.event
            )));
        }
        let item = &hook.envelope.item;
        let message = &item.message;
        // Only people trigger the bot; notifications (ours included) never do.
        let Sender::User(user) = &message.from else {
            return Ok(Handled::Ignored);
        };
        if !matches!(message.kind.as_str(), "message" | "guest_access") {
            return Ok(Handled::Ignored);
        }
        // The id becomes a stored dedupe key: HipChat's are UUIDs, so anything long is refused
        // rather than stored (a flood of huge ids would cost memory and disk).
        if message.id.is_empty() || message.id.len() > MAX_MESSAGE_ID {
            return Err(ApiError::BadRequest(format!(
                "message id must be 1 to {MAX_MESSAGE_ID} bytes"
            )));
        }
        let Some(hit) = self.services.registry.dispatch(&message.message) else {
            return Ok(Handled::Ignored);
        };
        let conversation = Conversation {
            oauth_id: hook.installation.oauth_id.clone(),
            room_id: item.room.id,
            room_name: item.room.name.clone(),
            sender: person(user),
            message_id: message.id.clone(),
        };
        // Scoped to installation and room: another HipChat (or room) may reuse the same id.
        let claim = format!(
            "msg:{}:{}:{}",
            conversation.oauth_id, conversation.room_id, message.id
        );
        // A guest (in a room by its guest link: a customer in a personal chat room) runs only
        // what a command explicitly allows; anything else would read internal issues.
        let guest = message.kind == "guest_access" || user.is_guest == Some(true);
        if guest && !hit.command.guests {
            // A pasted link is no request, and a stray slash word no command: a guest's is
            // left alone, without a refusal (or a list of internal commands) to read.
            if hit.command.kind != Kind::Command {
                return Ok(Handled::Ignored);
            }
            // Claimed like any answer: the same message reaches several webhooks.
            let refusal = handlers::addressed(&conversation.sender, guest_refusal(hit.command));
            return self.answer(&claim, &conversation, refusal).await;
        }
        let call = match Call::parse(hit.command.handler, hit.args) {
            Ok(call) => call,
            Err(problem) => {
                let reply = handlers::addressed(
                    &conversation.sender,
                    handlers::usage_reply(hit.command, &problem),
                );
                return self.answer(&claim, &conversation, reply).await;
            }
        };
        // Asking HipChat who is an admin takes time: admin-only commands always run after.
        let admin_only =
            (hit.command.access == Access::RoomAdmins).then(|| hit.command.name.clone());
        if admin_only.is_some() || call.mode() == Mode::Deferred {
            let job = Job::Command(CommandJob {
                conversation,
                call,
                admin_only,
            });
            let fresh = self.accept_claimed(&claim, job).await?;
            return Ok(if fresh {
                Handled::Accepted
            } else {
                Handled::Duplicate
            });
        }
        let work = Work::message(&conversation, &claim, call.numbers_things());
        let services = &self.services;
        let decide = || async {
            let outcome = call.run(&conversation, services).await?;
            Ok::<_, ApiError>((outcome, ()))
        };
        Ok(self.act(&work, decide).await?.0)
    }

    /// Answers a message with one reply and nothing else (a refusal, a usage line).
    async fn answer(
        &self,
        claim: &str,
        conversation: &Conversation,
        reply: Notification,
    ) -> Result<Handled, ApiError> {
        let work = Work::message(conversation, claim, false);
        let mut reply = Some(reply);
        let decide = || {
            let outcome = reply.take().map(Outcome::reply).unwrap_or_default();
            async move { Ok::<_, ApiError>((outcome, ())) }
        };
        Ok(self.act(&work, decide).await?.0)
    }
}

fn guest_refusal(command: &Command) -> Notification {
    crate::hipchat::message::html(
        crate::html!("<code>/{}</code> is for team members only.", &command.name),
        crate::hipchat::wire::Color::Gray,
    )
}

fn person(user: &User) -> Person {
    Person {
        id: user.id,
        name: user.name.clone(),
        mention_name: user.mention_name.clone(),
    }
}
