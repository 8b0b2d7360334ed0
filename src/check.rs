//! `hipboard check`: validates descriptor.json, commands/ and templates/, then tests the
//! configured connections — the store (PostgreSQL: reachable, and its schema version), the
//! default dynaBOARD (URL, token) and, when the store is not in use by a running server, every
//! installation's HipChat credentials and scopes.

use crate::config::{Config, RawConfig};
use crate::dynaboard::check;
use crate::dynaboard::client::{Connection, DynaboardClient};
use crate::handlers::Registry;
use crate::hipchat::client::HipChatClient;
use crate::hipchat::descriptor::Descriptor;
use crate::store::{SCHEMA_VERSION, Store, StoreError};
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
    match open_store(&config).await {
        Err(StoreCheck::Failed(line)) => lines.push(line),
        Err(StoreCheck::Busy(e)) => {
            println!("skip  HipChat installations: {e} (is hipboard running?)")
        }
        Err(StoreCheck::Skipped(why)) => println!("skip  HipChat installations: {why}"),
        Ok(store) => {
            let installations = store.installations().await.map_err(|e| e.to_string())?;
            if installations.is_empty() {
                println!("skip  HipChat: no installations in the store");
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

/// Why `check` has no store to read installations from.
enum StoreCheck {
    /// sled's directory is locked by a running server: not a failure.
    Busy(StoreError),
    /// Nothing to read installations from yet: not a failure.
    Skipped(String),
    /// The store cannot be used: a failed check.
    Failed(check::CheckLine),
}

/// Opens the configured store once (no waiting: `check` reports rather than retries), printing
/// which one it is: `store: sled in DIR`, or `store: postgres at URL, schema version N`. A
/// database is inspected first and opened only if its schema is this binary's: opening migrates,
/// and a check must not upgrade the schema under running instances.
async fn open_store(config: &Config) -> Result<Store, StoreCheck> {
    let Some(url) = &config.database_url else {
        let store = Store::open(&config.data_dir).map_err(StoreCheck::Busy)?;
        println!("ok    store: sled in {}", config.data_dir.display());
        return Ok(store);
    };
    let failed = |message: String| StoreCheck::Failed(check::CheckLine::failed("store", message));
    let found = Store::inspect_postgres(url.secret())
        .await
        .map_err(|e| failed(e.to_string()))?;
    let (target, version) = (&found.target, found.schema_version);
    if version > SCHEMA_VERSION {
        return Err(failed(format!(
            "postgres at {target}: database schema version {version} is newer than this \
             hipboard (knows {SCHEMA_VERSION}); upgrade hipboard"
        )));
    }
    if version < SCHEMA_VERSION {
        println!(
            "ok    store: postgres at {target}, schema version {version} \
             (hipboard migrates it to {SCHEMA_VERSION} when it starts)"
        );
        return Err(StoreCheck::Skipped(
            "the database's schema is not migrated yet".to_string(),
        ));
    }
    println!("ok    store: postgres at {target}, schema version {version}");
    // One connection is all a check needs; at this version, opening changes nothing.
    Store::open_postgres(url.secret(), 1)
        .await
        .map_err(|e| failed(e.to_string()))
}
