//! dynaBOARD: the REST client, issues, and (in `demo`) an embedded dynaBOARD.

pub mod chat;
pub mod check;
pub mod client;
pub mod demo;
pub mod events;
pub mod hours;
pub mod inbound;
pub mod issue;
pub mod lookup;
