//! `hipboard demo`: the add-on, the sandbox HipChat and a demo dynaBOARD, wired and installed.

use crate::config::RawConfig;

/// Flags of `hipboard demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {}

/// Runs the demo until interrupted.
pub async fn run(_raw: RawConfig, _args: DemoArgs) -> Result<(), String> {
    Err("demo is being built".into())
}
