//! `hipboard demo`: the add-on, the sandbox HipChat and a demo dynaBOARD on three loopback
//! ports, wired together, the add-on installed into every demo room.
//!
//! This is the only place the add-on and the sandbox meet; they still talk only over HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;

use hipboard::app::App;
use hipboard::clock::Clock;
use hipboard::config::RawConfig;
use hipboard::model::{EventToggles, LoginNotices, Settings};
use hipboard::store::{Batch, Store};
use hipboard::web::server;
use hipboard_sandbox::dynaboard::{DemoDynaboard, EventTarget};
use hipboard_sandbox::{Sandbox, SandboxSettings};

/// Flags of `hipboard demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Listen address of the sandbox HipChat (loopback unless you mean it).
    #[arg(long, env = "HIPBOARD_SANDBOX_ADDR", default_value = "127.0.0.1:3001")]
    pub sandbox_addr: String,
    /// Listen address of the demo dynaBOARD (used unless DYNABOARD_URL names a real one).
    #[arg(
        long,
        env = "HIPBOARD_DEMO_DYNABOARD_ADDR",
        default_value = "127.0.0.1:3002"
    )]
    pub dynaboard_addr: String,
    /// Serve the sandbox beyond loopback; its controls then need the token printed at start.
    #[arg(long)]
    pub public: bool,
}

/// Refuses a non-loopback address for a local tool unless `allowed`.
pub fn local_only(setting: &str, addr: SocketAddr, allowed: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || allowed {
        return Ok(());
    }
    Err(format!(
        "{setting}: {addr} is not a loopback address. The sandbox mints tokens for any user and          installs any add-on, so it listens on loopback only; pass --public to serve it beyond          (its controls then need the token printed at start)"
    ))
}

/// Runs the demo until interrupted.
pub async fn run(raw: RawConfig, args: DemoArgs) -> Result<(), String> {
    let sandbox_addr: SocketAddr = args.sandbox_addr.parse().map_err(|_| {
        format!(
            "HIPBOARD_SANDBOX_ADDR: {:?} is not a socket address (expected IP:port)",
            args.sandbox_addr
        )
    })?;
    let dynaboard_addr: SocketAddr = args.dynaboard_addr.parse().map_err(|_| {
        format!(
            "HIPBOARD_DEMO_DYNABOARD_ADDR: {:?} is not a socket address (expected IP:port)",
            args.dynaboard_addr
        )
    })?;
    local_only("HIPBOARD_SANDBOX_ADDR", sandbox_addr, args.public)?;
    // The demo dynaBOARD signs events for anyone: never beyond loopback.
    local_only("HIPBOARD_DEMO_DYNABOARD_ADDR", dynaboard_addr, false)?;
    let access_token = args.public.then(|| {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    });
    // The embedded dynaBOARD stands in unless a real one is configured.
    let addon_base = raw
        .base_url
        .clone()
        .or_else(|| raw.addr.as_ref().map(|a| format!("http://{a}")))
        .unwrap_or_else(|| format!("http://{}", hipboard::config::DEFAULT_ADDR));
    let secret = raw
        .dynaboard_webhook_secret
        .clone()
        .unwrap_or_else(|| format!("demo-secret-{}", uuid::Uuid::new_v4().simple()));
    // One clock for the add-on, the sandbox HipChat and the demo dynaBOARD.
    let clock = Clock::system();
    let demo_dynaboard = if raw.dynaboard_url.is_none() {
        let token = format!("demo-{}", uuid::Uuid::new_v4().simple());
        let listener = server::bind("HIPBOARD_DEMO_DYNABOARD_ADDR", dynaboard_addr).await?;
        let base = addon_base.trim_end_matches('/');
        let target = EventTarget {
            url: format!("{base}/dynaboard/events"),
            secret: secret.clone(),
            status_url: format!("{base}/dynaboard/chat/status"),
        };
        let dynaboard = DemoDynaboard::connected(token.clone(), Some(target), clock.clone());
        let router = dynaboard.router(&format!("http://{dynaboard_addr}"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Some((format!("http://{dynaboard_addr}"), token))
    } else {
        None
    };
    let raw = match &demo_dynaboard {
        Some((url, token)) => RawConfig {
            dynaboard_url: Some(url.clone()),
            dynaboard_token: Some(token.clone()),
            dynaboard_webhook_secret: Some(secret),
            ..raw
        },
        None => raw,
    };
    // A demo starts from a clean slate unless a data directory is named explicitly.
    let scratch = match raw.data_dir {
        Some(_) => None,
        None => Some(tempdir()?),
    };
    // The demo's own loopback HipChat is the one allowed to install, and owns the default
    // dynaBOARD connection (DESIGN.md, HIPBOARD_HIPCHAT_ORIGINS).
    let raw = RawConfig {
        data_dir: raw
            .data_dir
            .or_else(|| scratch.as_ref().map(|d| d.display().to_string())),
        hipchat_origins: Some(format!("http://{sandbox_addr}")),
        ..raw
    };
    let config = raw.validate().map_err(|e| e.to_string())?;

    let sandbox_listener = server::bind("HIPBOARD_SANDBOX_ADDR", sandbox_addr).await?;
    let sandbox = Sandbox::new(
        &format!("http://{sandbox_addr}"),
        SandboxSettings {
            access_token: access_token.clone(),
            clock: clock.clone(),
            ..SandboxSettings::default()
        },
    );
    let sandbox_task = tokio::spawn(hipboard_sandbox::serve(sandbox.clone(), sandbox_listener));

    let addon_listener = server::bind("HIPBOARD_ADDR", config.addr).await?;
    let descriptor_url = config.url("/descriptor.json");
    let app = App::build(config, clock).await.map_err(|e| e.to_string())?;
    app.start_background().await.map_err(|e| e.to_string())?;
    let router = app.router();
    let addon_task = tokio::spawn(server::serve_guarded(
        addon_listener,
        router,
        server::ConnectionLimits::default(),
        std::future::pending(),
    ));

    let mut installed = Vec::new();
    for room in sandbox.rooms() {
        let oauth_id = sandbox
            .install(&descriptor_url, Some(room.id))
            .await
            .map_err(|e| format!("installing into the demo room {}: {e}", room.name))?;
        installed.push(oauth_id);
    }
    demo_settings(&app.state.store, &installed).await?;

    println!();
    println!("  hipboard demo is running");
    match &access_token {
        None => println!("  HipChat (sandbox):  {}/", sandbox.base_url()),
        Some(token) => println!(
            "  HipChat (sandbox):  {}/?token={token}   (public: the token is required)",
            sandbox.base_url()
        ),
    }
    println!("  add-on descriptor:  {descriptor_url}");
    println!("  installed in:       {}", room_names(&sandbox).join(", "));
    if let Some((url, _)) = &demo_dynaboard {
        println!("  dynaBOARD (demo):   {url}/   try /issue DB-1 or paste {url}/browse/OPS-2");
        println!(
            "  dynaBOARD events:   {url}/events   fire events and chat requests at the add-on"
        );
    }
    println!();
    println!("  Open the sandbox URL in a browser. Ctrl-C stops everything.");

    tokio::select! {
        () = server::shutdown_signal() => app.begin_draining(),
        r = sandbox_task => return Err(format!("sandbox stopped: {r:?}")),
        r = addon_task => return Err(format!("add-on stopped: {r:?}")),
    }
    server::drain(&app).await;
    drop(app);
    if let Some(dir) = scratch {
        // Best effort: a leftover scratch directory in /tmp harms nobody.
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// The demo's settings over DESIGN.md's defaults: login and logout notices for everyone, so the
/// event console's Log in and Log out show something in the room, as the README promises
/// (issue 13 item 8). `serve` keeps the documented default (off).
async fn demo_settings(store: &Store, oauth_ids: &[String]) -> Result<(), String> {
    let mut batch = Batch::new();
    for oauth_id in oauth_ids {
        let old = store.settings(oauth_id).await.map_err(|e| e.to_string())?;
        let new = Settings {
            events: EventToggles {
                logins: LoginNotices::Everyone,
                ..old.events
            },
            ..old.clone()
        };
        store.put_settings(&mut batch, oauth_id, &old, &new);
    }
    store
        .commit(batch)
        .await
        .map_err(|e| format!("saving the demo's settings: {e}"))
}

fn room_names(sandbox: &Sandbox) -> Vec<String> {
    sandbox.rooms().into_iter().map(|r| r.name).collect()
}

/// A fresh directory for this demo run's store.
fn tempdir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("hipboard-demo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}
