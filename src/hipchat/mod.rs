//! The HipChat Connect protocol: wire types, descriptor, installation, tokens, REST client.

pub mod access;
pub mod client;
pub mod descriptor;
pub mod install;
pub mod message;
pub mod retry;
pub mod tokens;
pub mod wire;
