//! Personal chat rooms (one per dynaBOARD user and installation) and the recorded answers of
//! chat requests, so a repeated delivery gets the same answer.

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::{ChatAnswer, ChatRoom};

/// Keyed by the identity exactly as dynaBOARD sends it: `JOSE@…` or `" jose@… "` is someone
/// else than `jose@…` as far as we can know, so never folded into the same room.
fn room_key(oauth_id: &str, email: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(b"user/");
    k.extend_from_slice(email.as_bytes());
    k
}

fn answer_key(oauth_id: &str, delivery: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(format!("answer/{delivery}").as_bytes());
    k
}

impl Store {
    /// The personal room of a dynaBOARD user, by e-mail.
    pub async fn chat_room(&self, oauth_id: &str, email: &str) -> StoreResult<Option<ChatRoom>> {
        self.get(Keyspace::ChatRooms, &room_key(oauth_id, email))
            .await
    }

    /// Records a user's personal room in the batch.
    pub fn put_chat_room(&self, batch: &mut Batch, oauth_id: &str, email: &str, room: &ChatRoom) {
        batch.put(Keyspace::ChatRooms, room_key(oauth_id, email), room);
    }

    /// The recorded answer of a chat request delivery.
    pub async fn chat_answer(
        &self,
        oauth_id: &str,
        delivery: &str,
    ) -> StoreResult<Option<ChatAnswer>> {
        self.get(Keyspace::ChatRooms, &answer_key(oauth_id, delivery))
            .await
    }

    /// Records the answer of a chat request delivery in the batch.
    pub fn put_chat_answer(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        delivery: &str,
        answer: &ChatAnswer,
    ) {
        batch.put(Keyspace::ChatRooms, answer_key(oauth_id, delivery), answer);
    }
}
