//! `hipboard check`: validates descriptor.json and commands/, then tests configured connections.

use crate::config::RawConfig;
use crate::dispatch::Registry;
use crate::hipchat::descriptor::Descriptor;

/// Prints one line per check; fails with the first problem.
pub async fn run(raw: RawConfig) -> Result<(), String> {
    let config = raw.validate().map_err(|e| e.to_string())?;
    let registry = Registry::load(&config.resources.join("commands")).map_err(|e| e.to_string())?;
    println!("commands/: ok ({} declarations)", registry.commands().len());
    let descriptor = Descriptor::load(
        &config.resources.join("descriptor.json"),
        &registry,
        config.base_url.as_str(),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "descriptor.json: ok (key {}, scopes {})",
        descriptor.key(),
        descriptor.scopes().join(" ")
    );
    Ok(())
}
