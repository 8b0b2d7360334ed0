//! The domain model: installations, incidents, settings, chats, memes, dynaBOARD issues and room
//! identity, with their pure methods.
//!
//! It imports nothing else of the crate: the store keeps these records, the handlers and views
//! decide with them, and neither is needed to read or test them.

pub mod chat;
pub mod incident;
pub mod installation;
pub mod issue;
pub mod meme;
pub mod room;
pub mod settings;

pub use chat::{ChatAnswer, ChatRequest, ChatRoom};
pub use incident::{Incident, IncidentState, Stamp};
pub use installation::{
    Installation, KnownHipChat, REMEMBERED_AT_MOST, REMEMBERED_FOR_SECS, Removed, StoredToken,
};
pub use issue::{CachedIssue, Issue, IssueKey, StatusCategory};
pub use meme::Meme;
pub use room::{Room, RoomKey, RoomRef};
pub use settings::{
    EventToggles, LoginNotices, OwnConnection, ServiceHours, Settings, WeekdayHours,
};
