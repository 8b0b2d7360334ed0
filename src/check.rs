//! `hipboard check`: validates descriptor.json, commands/ and templates/, then tests the
//! configured connections — the default dynaBOARD (URL, token) and, when the store is not in
//! use by a running server, every installation's HipChat credentials and scopes.

use crate::config::RawConfig;
use crate::dynaboard::check;
use crate::dynaboard::client::{Connection, DynaboardClient};
use crate::handlers::Registry;
use crate::hipchat::client::HipChatClient;
use crate::hipchat::descriptor::Descriptor;
use crate::store::Store;
use crate::views::Templates;
use crate::views::configure::connection_check::Grant;

/// Prints one line per check; fails when any check fails.
pub async fn run(raw: RawConfig) -> Result<(), String> {
    let config = raw.validate().map_err(|e| e.to_string())?;
    let registry = Registry::load(&config.resources.join("commands")).map_err(|e| e.to_string())?;
    println!(
        "ok    commands/: {} declarations",
        registry.commands().len()
    );
    let descriptor = Descriptor::load(
        &config.resources.join("descriptor.json"),
        &registry,
        config.base_url.as_str(),
    )
    .map_err(|e| e.to_string())?;
    // Loading validated the document as served: generated webhooks included, every module key
    // the code uses declared.
    println!(
        "ok    descriptor.json (as served, {} generated webhooks): key {}, scopes {}",
        registry.commands().len(),
        descriptor.key(),
        descriptor.scopes().join(" ")
    );
    Templates::load(&config.resources.join("templates").join("views"))
        .map_err(|e| e.to_string())?;
    println!("ok    templates/views: compiled");

    let mut lines = Vec::new();
    match &config.dynaboard {
        None => println!("skip  dynaBOARD: DYNABOARD_URL is not set"),
        Some(d) => {
            let connection = Connection {
                url: d.url.clone(),
                token: d.token.clone(),
            };
            let policy = crate::net::OutboundPolicy::new(config.operator_origins());
            lines.push(check::check(&DynaboardClient::new(policy), &connection).await);
            if d.webhook_secret.is_none() {
                println!(
                    "note  dynaBOARD events: DYNABOARD_WEBHOOK_SECRET is not set, so events are refused"
                );
            }
        }
    }
    match Store::open(&config.data_dir) {
        Err(e) => println!("skip  HipChat installations: {e} (is hipboard running?)"),
        Ok(store) => {
            let installations = store.installations().await.map_err(|e| e.to_string())?;
            if installations.is_empty() {
                println!(
                    "skip  HipChat: no installations in {}",
                    config.data_dir.display()
                );
            }
            let client =
                HipChatClient::new(crate::net::OutboundPolicy::new(config.operator_origins()));
            for installation in installations.iter().filter(|i| i.is_active()) {
                let subject = format!("HipChat installation {}", installation.oauth_id);
                let answer =
                    crate::hipchat::tokens::prove(&client, installation, descriptor.scopes()).await;
                let answer = answer.map(|t| t.scope.unwrap_or_default());
                lines.push(Grant::of(answer).command_line(&subject));
            }
        }
    }
    for line in &lines {
        println!(
            "{}  {}: {}",
            if line.ok { "ok  " } else { "FAIL" },
            line.subject,
            line.message
        );
    }
    match lines.iter().filter(|l| !l.ok).count() {
        0 => Ok(()),
        n => Err(format!("{n} check(s) failed")),
    }
}
