//! The descriptor checks HipChat made before installing an add-on (HIPCHAT-CONNECT.md §2, with
//! the shapes of §6.1, §9.1, §10 and §12): every rule is checked and every error reported, each
//! naming its rule, its JSON path and what is wrong.
//!
//! As strict as HipChat's schema and no stricter: unknown properties and capabilities are
//! tolerated. Choices where the reference is silent or [unverified]:
//! - URLs may be absolute `http(s)` URLs or relative ones, resolved against the URL the
//!   descriptor was fetched from; the sandbox keeps the descriptor with every URL resolved.
//!   A URL that does not resolve to `http(s)` with a host, or is empty, is an error.
//! - `key` and `name` must be non-empty (`name` at most 100 characters); `description` may be "".
//! - Condition names outside the lists of §9.1/§10.1/§10.3 are refused (HipChat's schema had an
//!   enum per module type); composite `type` accepts `and`/`or` in either case, as the schema did.
//! - `pattern` is accepted on the message events `room_message` and `room_notification`.
//! - `avatar` as an object needs `url`; `url@2x` is optional there (the schema required only
//!   `url` for avatars, both for glance and web panel icons).
//! - `capabilities` and `installable` are optional; an `installable` needs `callbackUrl` or
//!   `installedUrl`.

mod modules;
mod rules;

pub(crate) use modules::{EVENTS, MESSAGE_EVENTS};

use serde::Serialize;
use serde_json::Value;

use super::pattern::JavaPattern;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DescriptorError {
    /// Short stable rule id (`required`, `key-unique`, `url`, …).
    pub rule: &'static str,
    /// JSON path (`capabilities.dialog[1].key`); empty for the document itself.
    pub path: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// A descriptor that passed: its URLs resolved, its webhook patterns compiled.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The descriptor with every URL made absolute.
    pub descriptor: Value,
    /// The compiled pattern of each `capabilities.webhook` entry, by index.
    pub patterns: Vec<Option<JavaPattern>>,
}

/// Checks `descriptor`, fetched from `descriptor_url`, against every rule; all errors or none.
pub fn check(descriptor: &Value, descriptor_url: &str) -> Result<Checked, Vec<DescriptorError>> {
    let base = url::Url::parse(descriptor_url).ok();
    let mut checker = rules::Checker::new(base);
    modules::document(&mut checker, descriptor);
    checker.finish(descriptor)
}
