//! The time source, injectable so expiry and service-hours logic can be tested without sleeping
//! (shared with the sandbox through the protocol crate, so the demo hands both one clock).

pub use hipboard_protocol::clock::*;
