//! Chat requests as announced to staff, and who took each one (the notice's "Take this chat").
//!
//! A take carries the request as read as its precondition, so two people taking at once cannot
//! both win: the second commit conflicts, re-reads, and finds the chat taken.

use serde::{Deserialize, Serialize};

use super::{Batch, Stamp, Store, StoreResult, TreeId, installation_prefix};

/// One chat request, keyed by the id its notice card carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// Who asks, "Bob Smith".
    pub name: String,
    /// Their customer (company); empty when dynaBOARD named none.
    pub customer: String,
    /// `customer`, `partner` or `admin`.
    pub role: String,
    /// Their personal room.
    pub room_id: i64,
    /// Its name.
    pub room_name: String,
    /// Where staff open it.
    pub room_url: String,
    /// When they asked, Unix seconds.
    pub at: i64,
    /// The staff member who took the chat.
    #[serde(default)]
    pub taken: Option<Stamp>,
}

impl ChatRequest {
    /// "Bob Smith (Acme)", or "Bob Smith" without a customer.
    pub fn who(&self) -> String {
        match self.customer.trim() {
            "" => self.name.clone(),
            customer => format!("{} ({customer})", self.name),
        }
    }
}

fn request_key(oauth_id: &str, id: &str) -> Vec<u8> {
    let mut k = installation_prefix(oauth_id);
    k.extend_from_slice(format!("request/{id}").as_bytes());
    k
}

impl Store {
    /// A chat request announced by an installation.
    pub fn chat_request(&self, oauth_id: &str, id: &str) -> StoreResult<Option<ChatRequest>> {
        self.get(TreeId::ChatRooms, &request_key(oauth_id, id))
    }

    /// Records a new chat request in the batch.
    pub fn put_chat_request(
        &self,
        batch: &mut Batch,
        oauth_id: &str,
        id: &str,
        request: &ChatRequest,
    ) {
        batch.put(TreeId::ChatRooms, request_key(oauth_id, id), request);
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
        batch.expect(TreeId::ChatRooms, key.clone(), Some(before));
        batch.put(TreeId::ChatRooms, key, after);
    }
}
