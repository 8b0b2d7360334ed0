//! The `hipboard` binary: `serve` (the add-on), `demo` (add-on + sandbox HipChat + demo
//! dynaBOARD, installed and ready in a browser), `check` (validate and test connections) and
//! `migrate` (copy a sled data directory into PostgreSQL).

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hipboard::app::App;
use hipboard::check;
use hipboard::clock::Clock;
use hipboard::config::RawConfig;
use hipboard::web::server;

mod cli;

use cli::{demo, migrate, sandbox as sandbox_command};

#[derive(Parser)]
#[command(
    name = "hipboard",
    version,
    about = "dynaBOARD in HipChat rooms: a HipChat Connect add-on"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

/// Settings shared by every command; flags override the environment.
#[derive(Args)]
struct Settings {
    /// Listen address of the add-on.
    #[arg(long, env = "HIPBOARD_ADDR", global = true)]
    addr: Option<String>,
    /// Public base URL of the add-on (default: http:// + the listen address).
    #[arg(long, env = "HIPBOARD_BASE_URL", global = true)]
    base_url: Option<String>,
    /// Directory of the sled store.
    #[arg(long, env = "HIPBOARD_DATA_DIR", global = true)]
    data_dir: Option<String>,
    /// PostgreSQL database (postgres://user:password@host:port/db) instead of sled.
    #[arg(
        long,
        env = "HIPBOARD_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Connections to the database per instance (default 16).
    #[arg(long, env = "HIPBOARD_DATABASE_POOL", global = true)]
    database_pool: Option<String>,
    /// Directory holding descriptor.json, commands/ and templates/.
    #[arg(long, env = "HIPBOARD_RESOURCES", global = true)]
    resources: Option<String>,
    /// Default dynaBOARD base URL.
    #[arg(long, env = "DYNABOARD_URL", global = true)]
    dynaboard_url: Option<String>,
    /// Default dynaBOARD API token.
    #[arg(long, env = "DYNABOARD_TOKEN", global = true, hide_env_values = true)]
    dynaboard_token: Option<String>,
    /// Secret of X-Dynaboard-Signature for the default connection.
    #[arg(
        long,
        env = "DYNABOARD_WEBHOOK_SECRET",
        global = true,
        hide_env_values = true
    )]
    dynaboard_webhook_secret: Option<String>,
    /// Default notification room (id or name).
    #[arg(long, env = "HIPBOARD_NOTIFICATION_ROOM", global = true)]
    notification_room: Option<String>,
    /// HipChat's limits kept by the outbox: <messages>/<seconds> per room, <calls>/<seconds> per token.
    #[arg(long, env = "HIPBOARD_HIPCHAT_LIMITS", global = true)]
    hipchat_limits: Option<String>,
    /// HipChats allowed to install (comma-separated scheme://host[:port]); the first owns the
    /// default dynaBOARD connection.
    #[arg(long, env = "HIPBOARD_HIPCHAT_ORIGINS", global = true)]
    hipchat_origins: Option<String>,
    /// Extra loopback or private origins the add-on may call (an installation's own dynaBOARD).
    #[arg(long, env = "HIPBOARD_TRUSTED_ORIGINS", global = true)]
    trusted_origins: Option<String>,
    /// Address of the Prometheus `/metrics` listener (IP:port); off when unset.
    #[arg(long, env = "HIPBOARD_METRICS_ADDR", global = true)]
    metrics_addr: Option<String>,
    /// Log format: `text` (default) or `json`.
    #[arg(
        long,
        env = "HIPBOARD_LOG_FORMAT",
        global = true,
        default_value = "text"
    )]
    log_format: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the add-on server for a real HipChat.
    Serve,
    /// Run the add-on with the sandbox HipChat and a demo dynaBOARD, installed and ready.
    Demo(demo::DemoArgs),
    /// Validate descriptor.json and commands/, and test the store and dynaBOARD connections.
    Check,
    /// Copy the sled data directory into an empty PostgreSQL database.
    Migrate(migrate::MigrateArgs),
    /// Run the HipChat emulator alone with its browser UI, installing the given add-ons.
    Sandbox(sandbox_command::SandboxArgs),
}

/// Logs to stderr as text or, with `HIPBOARD_LOG_FORMAT=json`, one JSON object per line
/// carrying the fields of the spans it is in (a request's id among them).
fn init_logging(format: &str) -> Result<(), String> {
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "hipboard=info,tower_http=warn".into())
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr);
    match format {
        "text" | "" => builder.init(),
        "json" => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        other => {
            return Err(format!(
                "HIPBOARD_LOG_FORMAT: {other:?} is not a log format (text or json)"
            ));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(&cli.settings.log_format) {
        return fail(e);
    }
    let s = cli.settings;
    let raw = RawConfig {
        addr: s.addr,
        base_url: s.base_url,
        data_dir: s.data_dir,
        database_url: s.database_url,
        database_pool: s.database_pool,
        resources: s.resources,
        dynaboard_url: s.dynaboard_url,
        dynaboard_token: s.dynaboard_token,
        dynaboard_webhook_secret: s.dynaboard_webhook_secret,
        notification_room: s.notification_room,
        hipchat_limits: s.hipchat_limits,
        hipchat_origins: s.hipchat_origins,
        trusted_origins: s.trusted_origins,
        metrics_addr: s.metrics_addr,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => {
                let config = raw.validate().map_err(|e| e.to_string())?;
                // Bound first: `/readyz` says "starting" while the store opens (a database may
                // keep it waiting).
                let starting = server::Starting::bind(config.addr).await?;
                let app = App::build(config, Clock::system())
                    .await
                    .map_err(|e| e.to_string())?;
                server::serve_on(app, starting.ready()).await
            }
            Command::Demo(args) => demo::run(raw, args).await,
            Command::Check => check::run(raw).await,
            Command::Migrate(args) => migrate::run(raw, args).await,
            Command::Sandbox(args) => sandbox_command::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

fn fail(message: String) -> ExitCode {
    // One line, always: operators grep logs and read terminals.
    let message = message.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    eprintln!("hipboard: error: {message}");
    ExitCode::from(2)
}
