//! dynaBOARD: the REST client, issues, and (in `demo`) an embedded dynaBOARD.

pub mod client;
pub mod issue;
pub mod lookup;
