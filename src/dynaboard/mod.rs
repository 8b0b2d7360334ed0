//! dynaBOARD protocol: the REST client, issues, inbound event decoding, service hours and chat
//! rooms.

pub mod chat;
pub mod check;
pub mod client;
pub mod events;
pub mod hours;
pub mod issue;
pub mod lookup;
