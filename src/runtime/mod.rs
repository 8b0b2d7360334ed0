//! Work after the answer: ordered lanes, the durable outbox.

pub mod lanes;
pub mod outbox;
pub mod turns;
