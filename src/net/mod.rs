//! Outbound HTTP: one way to build clients and to read bounded response bodies.

use std::time::Duration;

use hipboard_protocol::http;

pub mod policy;

pub use hipboard_protocol::http::{BodyError, client, init_tls, read_body};
pub use policy::OutboundPolicy;

/// [`client`] whose name resolution keeps to the outbound `policy`: the add-on's own clients.
pub fn guarded_client(timeout: Duration, policy: &OutboundPolicy) -> reqwest::Client {
    http::build(http::builder(timeout).dns_resolver(policy.resolver()))
}
