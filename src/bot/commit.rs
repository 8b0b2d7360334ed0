//! Turning an outcome into one batch: state changes, replies and other calls staged in the
//! outbox together, delivered only after the batch is durable.

use super::Bot;
use crate::handlers::{Conversation, Outcome, RoomCall};
use crate::hipchat::wire::Notification;
use crate::runtime::outbox::{Outbound, Staged};
use crate::store::{Batch, StoreError};

impl Bot {
    /// Commits an outcome that did not come from a message (a view's button): its writes,
    /// its replies to `room_id` and its other calls, in one batch; then sends them.
    pub async fn commit_outcome(
        &self,
        oauth_id: &str,
        room_id: i64,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        let mut batch = outcome.writes;
        let mut staged = Staged::default();
        let replies = outcome
            .replies
            .into_iter()
            .map(|notification| RoomCall::notification(room_id, notification));
        self.stage_calls(
            &mut batch,
            &mut staged,
            oauth_id,
            replies.chain(outcome.room_calls).collect(),
        )?;
        self.services.store.commit(batch).await?;
        self.outbox.release(staged);
        Ok(())
    }

    /// Stages calls in the outbox as part of `batch`.
    pub(super) fn stage_calls(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        oauth_id: &str,
        calls: Vec<RoomCall>,
    ) -> Result<(), StoreError> {
        for RoomCall {
            room_id,
            call,
            sender,
        } in calls
        {
            let sender = sender.as_deref().unwrap_or(oauth_id);
            self.outbox.stage(batch, staged, sender, room_id, call)?;
        }
        Ok(())
    }

    /// Stages a reply to a message: a notification attached to it.
    pub(super) fn stage_reply(
        &self,
        batch: &mut Batch,
        staged: &mut Staged,
        conversation: &Conversation,
        mut notification: Notification,
    ) -> Result<(), StoreError> {
        if notification.attach_to.is_none() && conversation.message_id.len() <= 36 {
            notification.attach_to = Some(conversation.message_id.clone());
        }
        let call = Outbound::Notification {
            notification: Box::new(notification),
        };
        self.outbox.stage(
            batch,
            staged,
            &conversation.oauth_id,
            conversation.room_id,
            call,
        )
    }
}
