//! Change notification between instances sharing one database, for cache invalidation: a batch
//! that writes a cached space notifies `hipboard_changes` in its transaction (delivered at commit),
//! and every instance listens on one dedicated connection that reconnects when lost.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Keyspace, Op};

/// The notification channel (also named in the `hipboard_apply` function of migration 1).
const CHANNEL: &str = "hipboard_changes";

/// The spaces whose writes are announced to other instances: those the store caches.
pub const CHANGE_SPACES: [Keyspace; 4] = [
    Keyspace::Installations,
    Keyspace::Settings,
    Keyspace::Removed,
    Keyspace::Tokens,
];

/// How many announcements a slow receiver may fall behind before it sees `Lagged`.
const CAPACITY: usize = 256;

/// How often the listening connection is checked, so a silently dead one is noticed.
const PING_EVERY: Duration = Duration::from_secs(10);

/// How long a check may take before the connection counts as lost.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest wait between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The `application_name` of the listening connection (visible in `pg_stat_activity`).
pub(super) const LISTENER_NAME: &str = "hipboard-listen";

/// The payload announcing the cached spaces `ops` write, comma-separated; `None` if none.
pub(super) fn payload(ops: &[Op]) -> Option<String> {
    let written: Vec<&str> = CHANGE_SPACES
        .iter()
        .filter(|space| {
            ops.iter()
                .any(|op| op.space() == **space && !matches!(op, Op::Expect { .. }))
        })
        .map(|space| space.name())
        .collect();
    (!written.is_empty()).then(|| written.join(","))
}

/// The spaces a payload names; names this build does not know are skipped.
fn parse(payload: &str) -> Vec<Keyspace> {
    payload
        .split(',')
        .filter_map(|name| Keyspace::ALL.into_iter().find(|s| s.name() == name))
        .collect()
}

/// The listening task and the channel it announces changes on; stops the task when dropped.
pub(super) struct Listener {
    changes: broadcast::Sender<Vec<Keyspace>>,
    task: JoinHandle<()>,
}

impl Listener {
    /// Listens on a connection made from `config`; fails if the first connection fails, so
    /// that a store never starts without hearing other instances' changes.
    pub(super) async fn start(
        config: &Config,
        tls: &MakeRustlsConnect,
    ) -> Result<Listener, tokio_postgres::Error> {
        let mut config = config.clone();
        config.application_name(LISTENER_NAME);
        let (changes, _) = broadcast::channel(CAPACITY);
        let session = Session::open(&config, tls, &changes).await?;
        let task = tokio::spawn(run(config, tls.clone(), changes.clone(), session));
        Ok(Listener { changes, task })
    }

    /// A receiver of every later announcement.
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Vec<Keyspace>> {
        self.changes.subscribe()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Keeps listening: waits for the session to be lost, reconnects with backoff, and then
/// announces every space as changed, since notifications sent meanwhile were missed.
async fn run(
    config: Config,
    tls: MakeRustlsConnect,
    changes: broadcast::Sender<Vec<Keyspace>>,
    mut session: Session,
) {
    loop {
        let reason = session.until_lost().await;
        tracing::warn!(%reason, "lost the PostgreSQL change listener; reconnecting");
        let mut backoff = Duration::from_millis(100);
        session = loop {
            match Session::open(&config, &tls, &changes).await {
                Ok(session) => break session,
                Err(e) => {
                    tracing::warn!(error = %super::describe(&e), "cannot listen for changes");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        tracing::info!("listening for PostgreSQL changes again");
        // Nobody may be subscribed; that is no error.
        let _ = changes.send(CHANGE_SPACES.to_vec());
    }
}

/// One listening connection: the client, and the task driving its connection, which forwards
/// every notification.
struct Session {
    client: Client,
    driver: JoinHandle<String>,
}

impl Session {
    /// Connects and issues `LISTEN`.
    async fn open(
        config: &Config,
        tls: &MakeRustlsConnect,
        changes: &broadcast::Sender<Vec<Keyspace>>,
    ) -> Result<Session, tokio_postgres::Error> {
        let (client, mut connection) = config.connect(tls.clone()).await?;
        let changes = changes.clone();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(note))) if note.channel() == CHANNEL => {
                        let _ = changes.send(parse(note.payload()));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return super::describe(&e),
                    None => return "the connection closed".to_string(),
                }
            }
        });
        let session = Session { client, driver };
        session
            .client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await?;
        Ok(session)
    }

    /// Waits until the connection ends or stops answering; says why.
    async fn until_lost(mut self) -> String {
        let mut ticks = tokio::time::interval(PING_EVERY);
        ticks.tick().await;
        loop {
            tokio::select! {
                ended = &mut self.driver => {
                    return ended.unwrap_or_else(|e| format!("the listener task failed: {e}"));
                }
                _ = ticks.tick() => {
                    let ping = self.client.simple_query("SELECT 1");
                    match tokio::time::timeout(PING_TIMEOUT, ping).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return super::describe(&e),
                        Err(_) => return "the connection stopped answering".to_string(),
                    }
                }
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The client going away closes the connection too; this only makes it immediate.
        self.driver.abort();
    }
}
