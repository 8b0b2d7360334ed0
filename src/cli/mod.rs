//! CLI commands that wire the add-on to the sandbox crate: `demo` and `sandbox` (binary only, so
//! the add-on's library never imports the sandbox); and `migrate`, an operator's one-off.

pub mod demo;
pub mod migrate;
pub mod sandbox;
