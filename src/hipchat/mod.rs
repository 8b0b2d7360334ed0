//! The HipChat Connect protocol: wire types, descriptor, installation, REST client, and the
//! per-installation session (tokens, pacing, retry) every outbound call goes through.

pub mod client;
pub mod descriptor;
pub mod html;
pub mod install;
pub mod message;
pub mod module_keys;
pub mod pacer;
pub mod people;
pub mod retry;
pub mod rooms;
pub mod session;
pub mod tokens;
pub use hipboard_protocol::wire;
