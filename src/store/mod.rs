//! Persistent state behind a backend-neutral interface (DESIGN.md "Storage").
//!
//! [`Store`] holds the domain operations (installations, settings, incidents, dedupe claims,
//! queues, …) over a [`Backend`], the small key-value contract in `backend.rs`; sled
//! (`sled.rs`) is its embedded implementation and the only module that names sled. Records are
//! the model's types, stored as JSON.
//!
//! Every write that acknowledges something goes through a [`Batch`]: applied atomically, then a
//! group-committed flush, so the caller may answer only once the write is durable.

mod backend;
mod batch;
mod budgets;
mod chat_requests;
mod chat_rooms;
#[cfg(test)]
mod contract;
mod copy;
mod dedupe;
mod derived;
mod engine;
mod incidents;
mod installations;
mod issue_cache;
mod memes;
mod observer;
mod open;
mod postgres;
mod queue;
mod removed;
mod rooms;
mod settings;
mod sled;
// The end-to-end tests' fresh databases serve the backend's own tests too.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../../tests/common/postgres.rs"]
pub(crate) mod test_db;
mod turns;
mod unfurls;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{Installation, KnownHipChat, Removed};

pub use self::postgres::{PostgresBackend, SCHEMA_VERSION};
pub use self::sled::SledBackend;
pub use backend::{Backend, Keyspace, Op, Record, claim_expiry, claim_value};
pub use batch::Batch;
pub use budgets::Budget;
pub use copy::Copied;
pub use engine::Engine;
pub use observer::{StoreObserver, observe};
pub use open::{Inspected, Location, Retry};
pub use queue::{Queue, QueueId};

/// Errors of the store. Callers map them to an HTTP status or a room reply in one place.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be opened.
    #[error("cannot open the store in {path}: {reason}")]
    Open {
        /// Where it was opened: the data directory.
        path: PathBuf,
        /// What the backend or the file system said.
        reason: String,
    },
    /// The database did not answer: worth trying again later (the server may be starting, or
    /// the network down). Distinct from [`StoreError::Open`], which retrying cannot fix.
    #[error("cannot reach PostgreSQL at {target}: {reason}")]
    Unreachable {
        /// The database, without its password.
        target: String,
        /// What the driver said.
        reason: String,
    },
    /// The target of a copy holds data already: copies go into an empty database only.
    #[error("{0} is not empty: hipboard migrate copies into an empty database only")]
    NotEmpty(String),
    /// Reading or writing failed.
    #[error("store I/O failed: {0}")]
    Io(String),
    /// A stored record does not decode: a bug or a foreign file, never silently skipped.
    #[error("stored {tree} record {key:?} is corrupt: {reason}")]
    Corrupt {
        /// Key space name.
        tree: &'static str,
        /// Key, lossily decoded.
        key: String,
        /// Decoder message.
        reason: String,
    },
    /// A claimed key (message id, event id) was already claimed and has not expired.
    #[error("already handled: {0}")]
    Duplicate(String),
    /// A precondition of the batch no longer holds: somebody changed the record meanwhile.
    #[error("concurrent change to {0}; retry")]
    Conflict(String),
}

/// Result alias for the store.
pub type StoreResult<T> = Result<T, StoreError>;

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Engine,
    /// Installations read on every webhook and call, kept decoded; see `installations.rs`.
    installations: installations::Cache,
    /// The default connection's owner, derived from every installation and its settings.
    default_owner: derived::Derived<Option<Installation>>,
    /// Every HipChat installed from, derived from the installations.
    known_hipchats: derived::Derived<Arc<Vec<KnownHipChat>>>,
    /// Active installations by HipChat group, for rooms' homes.
    groups: derived::Derived<rooms::Groups>,
    /// Installations removed lately, derived from their key space.
    removed: derived::Derived<Arc<Vec<Removed>>>,
    /// Group commit: flush tickets handed out, and the highest ticket known durable.
    flush_requested: AtomicU64,
    flush_done: AtomicU64,
    flush_lock: tokio::sync::Mutex<()>,
}

impl Store {
    /// Opens (creating if needed) the embedded store in the data directory `dir`.
    pub fn open(dir: &Path) -> StoreResult<Store> {
        Ok(Store::new(Engine::Sled(SledBackend::open(dir)?)))
    }

    /// Whether `dir` holds an embedded store (one [`Store::open`] created before).
    pub fn exists_in(dir: &Path) -> bool {
        SledBackend::exists_in(dir)
    }

    /// Connects to the PostgreSQL database at `url` (migrating its schema under a lock) with at
    /// most `pool_size` connections. Caches follow every instance's writes: the backend's change
    /// announcements invalidate them as they arrive.
    pub async fn open_postgres(url: &str, pool_size: usize) -> StoreResult<Store> {
        let backend = PostgresBackend::connect(url, pool_size).await?;
        let mut changes = backend.listen();
        let store = Store::new(Engine::Postgres(backend));
        let inner = Arc::downgrade(&store.inner);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let spaces = match changes.recv().await {
                    Ok(spaces) => spaces,
                    // Announcements were missed: anything may have changed.
                    Err(RecvError::Lagged(_)) => Keyspace::ALL.to_vec(),
                    Err(RecvError::Closed) => return,
                };
                let Some(inner) = inner.upgrade() else { return };
                let mut changed = backend::Keyspaces::default();
                for space in spaces {
                    changed.insert(space);
                }
                Store { inner }.spaces_changed(changed);
            }
        });
        Ok(store)
    }

    /// The schema version of the database, or `None` on a backend without one (sled).
    pub fn schema_version(&self) -> Option<i32> {
        match &self.inner.backend {
            Engine::Postgres(pg) => Some(pg.schema_version()),
            Engine::Sled(_) => None,
        }
    }

    /// Whether other processes may share this store (PostgreSQL): what is kept only in this
    /// process's memory is then not shared with them.
    pub fn is_shared(&self) -> bool {
        matches!(self.inner.backend, Engine::Postgres(_))
    }

    /// The store over `backend`.
    pub fn new(backend: Engine) -> Store {
        Store {
            inner: Arc::new(Inner {
                backend,
                installations: installations::Cache::default(),
                default_owner: Default::default(),
                known_hipchats: Default::default(),
                groups: Default::default(),
                removed: Default::default(),
                flush_requested: AtomicU64::new(0),
                flush_done: AtomicU64::new(0),
                flush_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Whether the store answers reads (for `/healthz`).
    pub async fn is_healthy(&self) -> bool {
        self.inner.backend.is_healthy().await
    }

    /// The backend's name, as `hipboard check` reports it.
    pub fn backend_name(&self) -> &'static str {
        self.inner.backend.name()
    }

    /// Makes every write done before this call durable. Concurrent callers share one flush:
    /// whoever takes the lock flushes on behalf of every ticket handed out so far.
    pub async fn flush(&self) -> StoreResult<()> {
        let inner = &self.inner;
        let ticket = inner.flush_requested.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = inner.flush_lock.lock().await;
        if inner.flush_done.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let covered = inner.flush_requested.load(Ordering::SeqCst);
        let started = std::time::Instant::now();
        inner.backend.flush().await?;
        let done = inner.flush_done.fetch_max(covered, Ordering::SeqCst);
        if let Some(observer) = observer::observer() {
            observer.flushed(started.elapsed(), covered.saturating_sub(done));
        }
        Ok(())
    }

    /// Applies a batch atomically and waits until it is durable.
    pub async fn commit(&self, batch: Batch) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        self.apply(batch).await?;
        let flushed = self.flush().await;
        if let Some(observer) = observer::observer() {
            observer.committed(started.elapsed());
        }
        flushed
    }

    /// After a batch wrote `spaces`: drops every cached value derived from them.
    fn spaces_changed(&self, spaces: backend::Keyspaces) {
        let installations = spaces.contains(Keyspace::Installations);
        if installations {
            self.installations_changed();
            self.inner.known_hipchats.invalidate();
            self.inner.groups.invalidate();
        }
        if spaces.contains(Keyspace::Removed) {
            self.inner.removed.invalidate();
        }
        if installations || spaces.contains(Keyspace::Settings) {
            self.inner.default_owner.invalidate();
        }
    }

    /// Applies a batch atomically without waiting for durability (caches, sweeps).
    pub async fn apply(&self, batch: Batch) -> StoreResult<()> {
        let ops = batch.into_ops()?;
        if ops.is_empty() {
            return Ok(());
        }
        self.inner.backend.apply(&ops).await?;
        let mut spaces = backend::Keyspaces::default();
        for op in &ops {
            spaces.insert(op.space());
        }
        self.spaces_changed(spaces);
        Ok(())
    }

    /// A fresh id, increasing across restarts; used for queue keys.
    pub(crate) async fn next_id(&self) -> StoreResult<u64> {
        self.inner.backend.next_id().await
    }

    /// The record under `key`, decoded.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        space: Keyspace,
        key: &[u8],
    ) -> StoreResult<Option<T>> {
        match self.inner.backend.get(space, key).await? {
            Some(bytes) => decode(space, key, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Whether `key` holds a claim that has not expired at `now`.
    pub(crate) async fn claim_held(
        &self,
        space: Keyspace,
        key: &[u8],
        now: i64,
    ) -> StoreResult<bool> {
        let stored = self.inner.backend.get(space, key).await?;
        Ok(stored.is_some_and(|bytes| claim_expiry(&bytes) > now))
    }

    /// Every record whose key starts with `prefix`, in key order.
    pub(crate) async fn scan<T: DeserializeOwned>(
        &self,
        space: Keyspace,
        prefix: &[u8],
    ) -> StoreResult<Vec<(Vec<u8>, T)>> {
        self.inner
            .backend
            .scan(space, prefix, None)
            .await?
            .into_iter()
            .map(|(k, v)| decode(space, &k, &v).map(|value| (k, value)))
            .collect()
    }

    /// Every key starting with `prefix`, in key order, without decoding the records.
    pub(crate) async fn keys(&self, space: Keyspace, prefix: &[u8]) -> StoreResult<Vec<Vec<u8>>> {
        let all = self.inner.backend.scan(space, prefix, None).await?;
        Ok(all.into_iter().map(|(k, _)| k).collect())
    }

    /// The first record of `space` in key order, decoded.
    pub(crate) async fn first<T: DeserializeOwned>(
        &self,
        space: Keyspace,
    ) -> StoreResult<Option<T>> {
        let first = self.inner.backend.scan(space, b"", Some(1)).await?;
        first
            .into_iter()
            .next()
            .map(|(k, v)| decode(space, &k, &v))
            .transpose()
    }

    /// The first key starting with `prefix`, if any.
    pub(crate) async fn first_key(
        &self,
        space: Keyspace,
        prefix: &[u8],
    ) -> StoreResult<Option<Vec<u8>>> {
        let first = self.inner.backend.scan(space, prefix, Some(1)).await?;
        Ok(first.into_iter().next().map(|(k, _)| k))
    }

    /// The bytes under `key`, undecoded (claims, which are not JSON).
    pub(crate) async fn get_raw(
        &self,
        space: Keyspace,
        key: &[u8],
    ) -> StoreResult<Option<Vec<u8>>> {
        self.inner.backend.get(space, key).await
    }

    /// Every raw `(key, value)` under `prefix`, in key order (claims, which are not JSON).
    pub(crate) async fn scan_raw(
        &self,
        space: Keyspace,
        prefix: &[u8],
    ) -> StoreResult<Vec<Record>> {
        self.inner.backend.scan(space, prefix, None).await
    }

    /// Number of records under `prefix` (without decoding them); 0 when the store cannot be
    /// read, which is logged.
    pub(crate) async fn count(&self, space: Keyspace, prefix: &[u8]) -> usize {
        self.inner
            .backend
            .count(space, prefix)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, space = space.name(), "cannot count records");
                0
            })
    }

    /// Removes everything stored for one installation: its record, token and all its data. The
    /// installation is remembered as removed at `now` (Unix seconds) for a bounded while.
    pub async fn delete_installation_data(&self, oauth_id: &str, now: i64) -> StoreResult<()> {
        let mut batch = Batch::new();
        if let Some(installation) = self.installation(oauth_id).await? {
            self.remember_removed(&mut batch, &installation, now)
                .await?;
        }
        if let Some(own) = self.settings(oauth_id).await?.connection {
            batch.remove(Keyspace::Connections, own.id.as_bytes().to_vec());
        }
        batch.remove(Keyspace::Installations, oauth_id.as_bytes().to_vec());
        batch.remove(Keyspace::Tokens, oauth_id.as_bytes().to_vec());
        let prefix = installation_prefix(oauth_id);
        for space in Keyspace::PER_INSTALLATION {
            for key in self.keys(space, &prefix).await? {
                batch.remove(space, key);
            }
        }
        self.commit(batch).await
    }
}

/// `{oauthId}/`: the key prefix of everything an installation owns.
pub(crate) fn installation_prefix(oauth_id: &str) -> Vec<u8> {
    let mut p = oauth_id.as_bytes().to_vec();
    p.push(b'/');
    p
}

pub(crate) fn encode<T: Serialize>(space: Keyspace, value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        tree: space.name(),
        key: String::new(),
        reason: format!("does not serialise: {e}"),
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    space: Keyspace,
    key: &[u8],
    bytes: &[u8],
) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree: space.name(),
        key: String::from_utf8_lossy(key).into_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn empty_batches_and_sweeps_of_nothing_are_fine() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.apply(Batch::new()).await.unwrap();
        store.commit(Batch::new()).await.unwrap();
        assert_eq!(store.sweep_issue_cache(i64::MAX).await.unwrap(), 0);
        assert_eq!(store.sweep_unfurls(i64::MAX).await.unwrap(), 0);
        store.clear_issue_cache("nobody").await.unwrap();
    }

    #[tokio::test]
    async fn claims_dedupe_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut first = Batch::new();
        store.claim(&mut first, "msg:1", 100, 60);
        store.commit(first).await.unwrap();
        let mut again = Batch::new();
        store.claim(&mut again, "msg:1", 120, 60);
        assert!(matches!(
            store.commit(again).await,
            Err(StoreError::Duplicate(_))
        ));
        let mut later = Batch::new();
        store.claim(&mut later, "msg:1", 161, 60);
        store.commit(later).await.unwrap();
        assert_eq!(store.sweep_claims(1000).await.unwrap(), 1);
    }

    /// A test installation of group 1 on http://hipchat.test.
    pub(crate) fn installation(
        oauth_id: &str,
        room_id: Option<i64>,
        installed_at_ms: i64,
    ) -> Installation {
        Installation {
            oauth_id: oauth_id.into(),
            oauth_secret: "s".into(),
            group_id: 1,
            group_name: None,
            room_id,
            capabilities_url: "http://hipchat.test/v2/capabilities".into(),
            token_url: "http://hipchat.test/v2/oauth/token".into(),
            api_url: "http://hipchat.test/v2/".into(),
            homepage: "http://hipchat.test".into(),
            installed_at_ms,
            revoked_at: None,
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_its_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        drop(Store::open(&dir).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                files += 1;
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
        assert!(files > 0);
    }

    #[tokio::test]
    async fn the_default_connection_owner_follows_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let hipchat = url::Url::parse("http://hipchat.test").unwrap().origin();
        let owner = async |store: &Store| {
            store
                .default_connection_owner(&hipchat)
                .await
                .unwrap()
                .map(|i| i.oauth_id)
        };
        assert_eq!(owner(&store).await, None);

        let put = async |i: Installation| {
            let mut batch = Batch::new();
            store.put_installation(&mut batch, &i);
            store.apply(batch).await.unwrap();
        };
        // Another HipChat's global installation, installed first, never owns it.
        let mut stranger = installation("stranger", None, 1);
        stranger.capabilities_url = "http://evil.test/v2/capabilities".into();
        put(stranger).await;
        assert_eq!(owner(&store).await, None);
        put(installation("room-later", Some(2), 20)).await;
        assert_eq!(owner(&store).await.as_deref(), Some("room-later"));
        put(installation("room-earlier", Some(1), 10)).await;
        assert_eq!(
            owner(&store).await.as_deref(),
            Some("room-earlier"),
            "earliest room installation"
        );
        put(installation("global", None, 30)).await;
        assert_eq!(
            owner(&store).await.as_deref(),
            Some("global"),
            "a global installation first"
        );

        // The global installation takes its own connection: the default goes back to a room.
        let old = store.settings("global").await.unwrap();
        let mut new = old.clone();
        new.connection = Some(crate::model::OwnConnection {
            id: "c1".into(),
            url: "http://dynaboard.test".into(),
            token: "t".into(),
            webhook_secret: "w".into(),
        });
        let mut batch = Batch::new();
        store.put_settings(&mut batch, "global", &old, &new);
        store.apply(batch).await.unwrap();
        assert_eq!(owner(&store).await.as_deref(), Some("room-earlier"));

        // Revoked and removed installations do not own it.
        let mut revoked = installation("room-earlier", Some(1), 10);
        revoked.revoked_at = Some(1);
        put(revoked).await;
        assert_eq!(owner(&store).await.as_deref(), Some("room-later"));
        store
            .delete_installation_data("room-later", 0)
            .await
            .unwrap();
        assert_eq!(owner(&store).await, None);
    }

    #[tokio::test]
    async fn known_hipchats_follow_installs_and_uninstalls() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let homes = async |store: &Store, now: i64| -> Vec<String> {
            store
                .known_hipchats(now)
                .await
                .unwrap()
                .iter()
                .map(|h| h.homepage.clone())
                .collect()
        };
        assert!(homes(&store, 0).await.is_empty());
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &installation("a", Some(1), 1));
        store.put_installation(&mut batch, &installation("b", Some(2), 2));
        store.apply(batch).await.unwrap();
        assert_eq!(
            homes(&store, 0).await,
            ["http://hipchat.test"],
            "one HipChat, listed once"
        );

        let mut other = installation("c", None, 3);
        other.capabilities_url = "https://other.test/v2/capabilities".into();
        other.homepage = "https://other.test".into();
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &other);
        store.apply(batch).await.unwrap();
        assert_eq!(
            homes(&store, 0).await,
            ["http://hipchat.test", "https://other.test"]
        );

        // Removed at 0, c's HipChat is remembered for a day, then forgotten.
        store.delete_installation_data("c", 0).await.unwrap();
        assert_eq!(
            homes(&store, 0).await,
            ["http://hipchat.test", "https://other.test"]
        );
        let day = crate::model::REMEMBERED_FOR_SECS;
        assert_eq!(homes(&store, day - 1).await.len(), 2);
        assert_eq!(homes(&store, day).await, ["http://hipchat.test"]);
        assert!(
            store
                .removed_installation("c", day - 1)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .removed_installation("c", day)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.removed_installation("a", 0).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn removed_installations_are_remembered_in_bounded_number() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let limit = 5;
        for n in 0..limit + 3 {
            let mut batch = Batch::new();
            let removed = installation(&format!("i{n}"), None, 1);
            store
                .remember_removed_within(&mut batch, &removed, n as i64, limit)
                .await
                .unwrap();
            store.apply(batch).await.unwrap();
        }
        let now = limit as i64 + 3;
        assert_eq!(store.count(Keyspace::Removed, b"").await, limit);
        assert!(
            store
                .removed_installation("i2", now)
                .await
                .unwrap()
                .is_none(),
            "oldest forgotten"
        );
        assert!(
            store
                .removed_installation("i3", now)
                .await
                .unwrap()
                .is_some()
        );
        // Through the real deletion, and persisted: a restart remembers it.
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &installation("gone", None, 1));
        store.apply(batch).await.unwrap();
        store.delete_installation_data("gone", now).await.unwrap();
        drop(store);
        // sled's flusher thread lets go of the directory's lock a moment after the drop.
        let mut reopened = Store::open(dir.path());
        for _ in 0..200 {
            if reopened.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            reopened = Store::open(dir.path());
        }
        let store = reopened.unwrap();
        assert!(store.installation("gone").await.unwrap().is_none());
        assert!(
            store
                .removed_installation("gone", now)
                .await
                .unwrap()
                .is_some()
        );
    }
}
