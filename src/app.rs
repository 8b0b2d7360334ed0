//! The add-on assembled: its services wired from the configuration, the state the web edge
//! serves from, and the background sweeps.

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::Ordering;

use crate::clock::Clock;
use crate::config::Config;
use crate::dispatch::CommandFileError;
use crate::dynaboard::chat::Chats;
use crate::dynaboard::client::{Connection, DynaboardClient};
use crate::dynaboard::lookup::{DefaultConnection, Issues};
use crate::handlers::Registry;
use crate::handlers::Services;
use crate::hipchat::client::HipChatClient;
use crate::hipchat::descriptor::{Descriptor, DescriptorError};
use crate::hipchat::install::{Admission, Installer};
use crate::hipchat::people::People;
use crate::hipchat::rooms::Rooms;
use crate::hipchat::session::Sessions;
use crate::hipchat::tokens::Tokens;
use crate::net::OutboundPolicy;
use crate::pipeline::Pipeline;
use crate::pipeline::events::Inbound;
use crate::runtime::outbox::Outbox;
use crate::store::{Location, Retry, Store, StoreError};
use crate::views::{TemplateError, Templates, Views};

/// How often an instance on a shared store looks for stored work nobody works on: a dead
/// instance's work waits at most this long after its turns expire.
const ADOPT_EVERY: Duration = Duration::from_secs(5);

/// Why the add-on cannot start; each message is one line naming the setting or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory cannot hold the store.
    #[error("HIPBOARD_DATA_DIR: {0}")]
    Store(StoreError),
    /// The database cannot be used (a newer schema, refused credentials, …).
    #[error("HIPBOARD_DATABASE_URL: {0}")]
    Database(StoreError),
    /// A commands/ file is wrong.
    #[error(transparent)]
    Commands(#[from] CommandFileError),
    /// descriptor.json is wrong.
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    /// A view template is wrong.
    #[error(transparent)]
    Templates(#[from] TemplateError),
}

/// Opens the store the configuration names: PostgreSQL at `HIPBOARD_DATABASE_URL` when set
/// (retried per `retry` while it does not answer), else sled in `HIPBOARD_DATA_DIR`.
pub async fn open_store(config: &Config, retry: Retry) -> Result<Store, StartError> {
    match &config.database_url {
        Some(url) => Store::open_at(
            Location::Postgres {
                url: url.secret(),
                pool_size: config.database_pool,
            },
            retry,
        )
        .await
        .map_err(StartError::Database),
        None => Store::open_at(Location::Sled(&config.data_dir), retry)
            .await
            .map_err(StartError::Store),
    }
}

/// Everything request handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Settings.
    pub config: Arc<Config>,
    /// State.
    pub store: Store,
    /// Time.
    pub clock: Clock,
    /// The capabilities descriptor.
    pub descriptor: Arc<Descriptor>,
    /// Installation lifecycle.
    pub installer: Arc<Installer>,
    /// Every user action's pipeline, and the inbox.
    pub pipeline: Arc<Pipeline>,
    /// Access tokens.
    pub tokens: Arc<Tokens>,
    /// Outgoing calls.
    pub outbox: Outbox,
    /// The views' shared state.
    pub views: Views,
    /// dynaBOARD's endpoints' shared state.
    pub inbound: Inbound,
    /// Set when shutdown began: new work is refused, `/readyz` says so.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

/// The add-on, assembled.
pub struct App {
    /// Shared state.
    pub state: AppState,
    /// Periodic tasks, stopped when the app is dropped so the store can close.
    background: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for App {
    fn drop(&mut self) {
        for task in self
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }
}

impl App {
    /// Loads commands and descriptor, opens the configured store (waiting for a database that
    /// does not answer yet, see [`open_store`]), and wires the services.
    pub async fn build(config: Config, clock: Clock) -> Result<App, StartError> {
        let registry = Arc::new(Registry::load(&config.resources.join("commands"))?);
        let descriptor = Arc::new(Descriptor::load(
            &config.resources.join("descriptor.json"),
            &registry,
            config.base_url.as_str(),
        )?);
        let store = open_store(&config, Retry::AT_START).await?;
        let policy = OutboundPolicy::new(config.operator_origins());
        let client = HipChatClient::new(policy.clone());
        let tokens = Arc::new(Tokens::new(
            store.clone(),
            client.clone(),
            descriptor.scopes().to_vec(),
            clock.clone(),
        ));
        let installer = Arc::new(Installer::new(
            store.clone(),
            client.clone(),
            tokens.clone(),
            descriptor.clone(),
            clock.clone(),
            Admission::new(config.hipchat_origins.clone()),
        ));
        let sessions = Arc::new(Sessions::new(
            client,
            tokens.clone(),
            config.rate_limits,
            &store,
            clock.clone(),
        ));
        let people = Arc::new(People::new(sessions.clone()));
        let outbox = Outbox::new(store.clone(), sessions.clone(), clock.clone());
        let default_connection = config.dynaboard.as_ref().map(|d| DefaultConnection {
            connection: Connection {
                url: d.url.clone(),
                token: d.token.clone(),
            },
            owner: config.hipchat_origins.first().cloned(),
        });
        let issues = Arc::new(Issues::new(
            DynaboardClient::new(policy),
            store.clone(),
            clock.clone(),
            default_connection,
        ));
        let services = Services {
            help: Arc::new(crate::handlers::help::HelpTexts::of(&registry)),
            registry,
            store: store.clone(),
            clock: clock.clone(),
            issues,
            base_url: config.base_url.as_str().trim_end_matches('/').to_owned(),
            people: people.clone(),
        };
        let pipeline = Pipeline::new(services.clone(), outbox.clone());
        let chats = Arc::new(Chats::new(
            Rooms::new(sessions),
            store.clone(),
            clock.clone(),
        ));
        let inbound = Inbound {
            services: services.clone(),
            pipeline: pipeline.clone(),
            chats,
            default_secret: config
                .dynaboard
                .as_ref()
                .and_then(|d| d.webhook_secret.clone()),
            default_room: config.notification_room.clone(),
        };
        let views = Views {
            services,
            pipeline: pipeline.clone(),
            templates: Arc::new(Templates::load(
                &config.resources.join("templates").join("views"),
            )?),
            people,
            scopes: descriptor.scopes().to_vec(),
        };
        Ok(App {
            state: AppState {
                config: Arc::new(config),
                store,
                clock,
                descriptor,
                installer,
                pipeline,
                tokens,
                outbox,
                views,
                inbound,
                draining: Arc::default(),
            },
            background: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Stops taking new work: from now on `/readyz` says draining and every non-GET gets 503.
    pub fn begin_draining(&self) {
        self.state.draining.store(true, Ordering::SeqCst);
    }

    /// On a store shared with other instances: now and then, takes up the stored jobs and
    /// calls no instance works on (their instance died), in their lanes' turns.
    fn adopt_orphans(&self) -> tokio::task::JoinHandle<()> {
        let pipeline = self.state.pipeline.clone();
        let outbox = self.state.outbox.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(ADOPT_EVERY);
            loop {
                tick.tick().await;
                let adopted = async {
                    Ok::<_, StoreError>(pipeline.resume().await? + outbox.resume().await?)
                }
                .await;
                match adopted {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(n, "took up stored work"),
                    Err(e) => tracing::warn!(error = %e, "cannot read stored work"),
                }
            }
        })
    }

    /// Resumes stored work and starts the periodic sweeps. Call once, inside the runtime.
    pub async fn start_background(&self) -> Result<(), StoreError> {
        let jobs = self.state.pipeline.resume().await?;
        let sends = self.state.outbox.resume().await?;
        if jobs + sends > 0 {
            tracing::info!(jobs, sends, "resumed work accepted before the restart");
        }
        let tokens = self.state.tokens.clone();
        let token_sweep = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                tokens.sweep().await;
            }
        });
        let store = self.state.store.clone();
        let clock = self.state.clock.clone();
        let claim_sweep = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(300));
            loop {
                tick.tick().await;
                let now = clock.unix();
                let swept = async {
                    store.sweep_claims(now).await?;
                    store
                        .sweep_issue_cache(now - crate::dynaboard::lookup::CACHE_TTL_SECS)
                        .await?;
                    store
                        .sweep_unfurls(now - crate::handlers::unfurl::REPEAT_WINDOW_SECS)
                        .await
                }
                .await;
                if let Err(e) = swept {
                    tracing::error!(error = %e, "periodic sweep failed");
                }
            }
        });
        let mut tasks = vec![token_sweep, claim_sweep];
        if self.state.store.is_shared() {
            tasks.push(self.adopt_orphans());
        }
        self.background
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(tasks);
        Ok(())
    }

    /// Waits until accepted work is done and its calls delivered (tests, demo, shutdown).
    pub async fn wait_idle(&self) {
        self.state.pipeline.wait_idle().await;
    }
}
