//! Chat requests as announced to staff, and who took each one (the notice's "Take this chat").
//!
//! A take carries the request as read as its precondition, so two people taking at once cannot
//! both win: the second commit conflicts, re-reads, and finds the chat taken.

use super::{Batch, Keyspace, Store, StoreResult, installation_prefix};
use crate::model::ChatRequest;

fn request_key(oauth_id: &str, id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(format!("request/{id}").as_bytes());
    k
}

impl Store {
    /// A chat request announced by an installation.
    pub async fn chat_request(&self, oauth_id: &str, id: &str) -> StoreResult<Option<ChatRequest>> {
        self.get(Keyspace::ChatRooms, &request_key(oauth_id, id))
            .await
    }

    /// Records a new chat request in the batch.
    pub fn put_chat_request(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        id: &str,
        request: &ChatRequest,
    ) {
        batch.put(Keyspace::ChatRooms, request_key(oauth_id, id), request);
    }

    /// Replaces `before` by `after` in the batch; conflicts if `before` changed meanwhile.
    pub fn stage_chat_request_change(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        id: &str,
        before: &ChatRequest,
        after: &ChatRequest,
    ) {
        let key = request_key(oauth_id, id);
        batch.expect(Keyspace::ChatRooms, key.clone(), Some(before));
        batch.put(Keyspace::ChatRooms, key, after);
    }
}
