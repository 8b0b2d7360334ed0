//! The HipChat Connect protocol: wire types, descriptor, installation, tokens, REST client.

pub mod client;
pub mod descriptor;
pub mod html;
pub mod install;
pub mod message;
pub mod module_keys;
pub mod people;
pub mod retry;
pub mod rooms;
pub mod tokens;
pub use hipboard_protocol::wire;
