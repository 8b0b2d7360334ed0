//! Chats with dynaBOARD users: requests as announced to staff, personal rooms, and the recorded
//! answers of chat requests.

use serde::{Deserialize, Serialize};

use super::incident::Stamp;

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

/// A user's personal room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatRoom {
    /// HipChat room id.
    pub room_id: i64,
    /// Its name when created.
    pub room_name: String,
}

/// What a chat request was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatAnswer {
    /// The room.
    pub room_id: i64,
    /// Its name.
    pub room_name: String,
    /// The guest access URL.
    pub join_url: String,
}
