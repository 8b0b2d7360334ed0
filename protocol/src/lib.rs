//! hipboard-protocol: what the hipboard add-on and its sandbox HipChat share because it is the
//! protocol itself — HipChat's wire types and scopes, dynaBOARD's event signature and issue keys,
//! and the clock and sliding window both sides keep HipChat's limits with.

pub mod clock;
pub mod html;
pub mod http;
pub mod issue_key;
pub mod scopes;
pub mod signature;
pub mod window;
pub mod wire;
