//! Persistent state in sled: the only module that imports sled (DESIGN.md "Storage").
//!
//! Every write that acknowledges something goes through a [`Batch`]: one transaction across the
//! trees it touches, then a group-committed flush, so the caller may answer only once the write is
//! durable. Other modules see typed records and accessors, never sled types, which keeps this
//! module the seam for a second backend.

mod batch;
mod chat_requests;
mod chat_rooms;
mod dedupe;
mod derived;
mod incidents;
mod installations;
mod issue_cache;
mod memes;
mod queue;
mod removed;
mod rooms;
mod settings;
mod unfurls;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use batch::Batch;
pub use chat_requests::ChatRequest;
pub use chat_rooms::{ChatAnswer, ChatRoom};
pub use incidents::{Incident, IncidentState, Stamp};
pub use installations::{Installation, KnownHipChat, StoredToken};
pub use issue_cache::CachedIssue;
pub use memes::Meme;
pub use queue::{Queue, QueueId};
pub use removed::{REMEMBERED_AT_MOST, REMEMBERED_FOR_SECS, Removed};
pub use settings::{
    EventToggles, LoginNotices, OwnConnection, ServiceHours, Settings, WeekdayHours,
};

/// Errors of the store. Callers map them to an HTTP status or a room reply in one place.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be opened.
    #[error("cannot open the store in {path}: {reason}")]
    Open {
        /// The data directory.
        path: PathBuf,
        /// What sled or the file system said.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("store I/O failed: {0}")]
    Io(String),
    /// A stored record does not decode: a bug or a foreign file, never silently skipped.
    #[error("stored {tree} record {key:?} is corrupt: {reason}")]
    Corrupt {
        /// Tree name.
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

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

/// The sled trees, one per kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TreeId {
    Installations,
    Tokens,
    Settings,
    Incidents,
    Counters,
    IssueCache,
    Seen,
    Inbox,
    Outbox,
    Unfurls,
    ChatRooms,
    Connections,
    Memes,
    Removed,
}

impl TreeId {
    const ALL: [TreeId; 14] = [
        TreeId::Installations,
        TreeId::Tokens,
        TreeId::Settings,
        TreeId::Incidents,
        TreeId::Counters,
        TreeId::IssueCache,
        TreeId::Seen,
        TreeId::Inbox,
        TreeId::Outbox,
        TreeId::Unfurls,
        TreeId::ChatRooms,
        TreeId::Connections,
        TreeId::Memes,
        TreeId::Removed,
    ];

    fn name(self) -> &'static str {
        match self {
            TreeId::Installations => "installations",
            TreeId::Tokens => "tokens",
            TreeId::Settings => "settings",
            TreeId::Incidents => "incidents",
            TreeId::Counters => "counters",
            TreeId::IssueCache => "issue_cache",
            TreeId::Seen => "seen",
            TreeId::Inbox => "inbox",
            TreeId::Outbox => "outbox",
            TreeId::Unfurls => "unfurls",
            TreeId::ChatRooms => "chat_rooms",
            TreeId::Connections => "connections",
            TreeId::Memes => "memes",
            TreeId::Removed => "removed_installations",
        }
    }

    /// Trees whose keys start with `{oauthId}/` and are deleted with their installation.
    const PER_INSTALLATION: [TreeId; 7] = [
        TreeId::Settings,
        TreeId::Incidents,
        TreeId::Counters,
        TreeId::IssueCache,
        TreeId::Unfurls,
        TreeId::ChatRooms,
        TreeId::Memes,
    ];
}

/// Sled's page cache size. Its default (1 GiB) would dominate the process's memory, and its
/// decoded nodes take several times the bytes it counts: 16 MiB held ~110 MiB of heap under a
/// stream of new claims, 4 MiB holds ~50 MiB (BENCHMARKS.md). Hot records are small.
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: sled::Db,
    trees: Vec<sled::Tree>,
    /// Installations read on every webhook and call, kept decoded; see `installations.rs`.
    installations: installations::Cache,
    /// The default connection's owner, derived from every installation and its settings.
    default_owner: derived::Derived<Option<Installation>>,
    /// Every HipChat installed from, derived from the installations.
    known_hipchats: derived::Derived<Arc<Vec<KnownHipChat>>>,
    /// Active installations by HipChat group, for rooms' homes.
    groups: derived::Derived<rooms::Groups>,
    /// Installations removed lately, derived from their tree.
    removed: derived::Derived<Arc<Vec<Removed>>>,
    /// Group commit: flush tickets handed out, and the highest ticket known durable.
    flush_requested: AtomicU64,
    flush_done: AtomicU64,
    flush_lock: tokio::sync::Mutex<()>,
}

/// Creates the data directory readable by its owner only (0700): it holds installation secrets
/// and dynaBOARD tokens. An existing directory is tightened too.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Makes every file under the data directory owner-only (0600, directories 0700). Files sled
/// creates later sit in the 0700 directory, out of other users' reach whatever their mode.
fn restrict_files(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700))?;
                restrict_files(&path)?;
            } else {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> StoreResult<Store> {
        let open_err = |reason: String| StoreError::Open {
            path: dir.to_path_buf(),
            reason,
        };
        create_private_dir(dir).map_err(|e| open_err(e.to_string()))?;
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(Some(1000))
            .open()
            .map_err(|e| open_err(e.to_string()))?;
        restrict_files(dir).map_err(|e| open_err(e.to_string()))?;
        let trees = TreeId::ALL
            .iter()
            .map(|t| db.open_tree(t.name()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| open_err(e.to_string()))?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                trees,
                installations: installations::Cache::default(),
                default_owner: Default::default(),
                known_hipchats: Default::default(),
                groups: Default::default(),
                removed: Default::default(),
                flush_requested: AtomicU64::new(0),
                flush_done: AtomicU64::new(0),
                flush_lock: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Whether the store answers reads (for `/healthz`).
    pub fn is_healthy(&self) -> bool {
        self.inner.db.get(b"__health").is_ok()
    }

    /// Makes every write done before this call durable. Concurrent callers share one fsync:
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
        inner.db.flush_async().await?;
        let done = inner.flush_done.fetch_max(covered, Ordering::SeqCst);
        crate::metrics::store_flush(started.elapsed(), covered.saturating_sub(done));
        Ok(())
    }

    /// Blocking flush, for shutdown paths outside the runtime.
    pub fn flush_blocking(&self) -> StoreResult<()> {
        self.inner.db.flush()?;
        Ok(())
    }

    /// Applies a batch atomically and waits until it is durable.
    pub async fn commit(&self, batch: Batch) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        self.apply(batch)?;
        let flushed = self.flush().await;
        crate::metrics::store_commit(started.elapsed());
        flushed
    }

    /// After a batch wrote `trees`: drops every cached value derived from them.
    fn trees_changed(&self, trees: &[TreeId]) {
        let installations = trees.contains(&TreeId::Installations);
        if installations {
            self.installations_changed();
            self.inner.known_hipchats.invalidate();
            self.inner.groups.invalidate();
        }
        if trees.contains(&TreeId::Removed) {
            self.inner.removed.invalidate();
        }
        if installations || trees.contains(&TreeId::Settings) {
            self.inner.default_owner.invalidate();
        }
    }

    /// Applies a batch atomically without waiting for durability (caches, sweeps).
    pub fn apply(&self, batch: Batch) -> StoreResult<()> {
        batch::apply(self, batch)
    }

    /// A fresh id, increasing across restarts; used for queue keys.
    pub(crate) fn next_id(&self) -> StoreResult<u64> {
        Ok(self.inner.db.generate_id()?)
    }

    pub(crate) fn tree(&self, id: TreeId) -> &sled::Tree {
        &self.inner.trees[id as usize]
    }

    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        key: &[u8],
    ) -> StoreResult<Option<T>> {
        match self.tree(tree).get(key)? {
            None => Ok(None),
            Some(bytes) => decode(tree, key, &bytes).map(Some),
        }
    }

    /// Every record whose key starts with `prefix`, in key order.
    pub(crate) fn scan<T: DeserializeOwned>(
        &self,
        tree: TreeId,
        prefix: &[u8],
    ) -> StoreResult<Vec<(Vec<u8>, T)>> {
        self.tree(tree)
            .scan_prefix(prefix)
            .map(|kv| {
                let (k, v) = kv?;
                let value = decode(tree, &k, &v)?;
                Ok((k.to_vec(), value))
            })
            .collect()
    }

    /// Number of records under `prefix` (without decoding them).
    pub(crate) fn count(&self, tree: TreeId, prefix: &[u8]) -> usize {
        self.tree(tree).scan_prefix(prefix).count()
    }

    /// Removes everything stored for one installation: its record, token and all its data. The
    /// installation is remembered as removed at `now` (Unix seconds) for a bounded while.
    pub async fn delete_installation_data(&self, oauth_id: &str, now: i64) -> StoreResult<()> {
        let mut batch = Batch::new();
        if let Some(installation) = self.installation(oauth_id)? {
            self.remember_removed(&mut batch, &installation, now)?;
        }
        if let Some(own) = self.settings(oauth_id)?.connection {
            batch.remove(TreeId::Connections, own.id.as_bytes().to_vec());
        }
        batch.remove(TreeId::Installations, oauth_id.as_bytes().to_vec());
        batch.remove(TreeId::Tokens, oauth_id.as_bytes().to_vec());
        let prefix = installation_prefix(oauth_id);
        for tree in TreeId::PER_INSTALLATION {
            for key in self.tree(tree).scan_prefix(&prefix).keys() {
                batch.remove(tree, key?.to_vec());
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

pub(crate) fn encode<T: Serialize>(tree: TreeId, value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
        tree: tree.name(),
        key: String::new(),
        reason: format!("does not serialise: {e}"),
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    tree: TreeId,
    key: &[u8],
    bytes: &[u8],
) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        tree: tree.name(),
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
        store.apply(Batch::new()).unwrap();
        store.commit(Batch::new()).await.unwrap();
        assert_eq!(store.sweep_issue_cache(i64::MAX).unwrap(), 0);
        assert_eq!(store.sweep_unfurls(i64::MAX).unwrap(), 0);
        store.clear_issue_cache("nobody").unwrap();
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
        assert_eq!(store.sweep_claims(1000).unwrap(), 1);
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
        let owner = |store: &Store| {
            store
                .default_connection_owner(&hipchat)
                .unwrap()
                .map(|i| i.oauth_id)
        };
        assert_eq!(owner(&store), None);

        let put = |i: Installation| {
            let mut batch = Batch::new();
            store.put_installation(&mut batch, &i);
            store.apply(batch).unwrap();
        };
        // Another HipChat's global installation, installed first, never owns it.
        let mut stranger = installation("stranger", None, 1);
        stranger.capabilities_url = "http://evil.test/v2/capabilities".into();
        put(stranger);
        assert_eq!(owner(&store), None);
        put(installation("room-later", Some(2), 20));
        assert_eq!(owner(&store).as_deref(), Some("room-later"));
        put(installation("room-earlier", Some(1), 10));
        assert_eq!(
            owner(&store).as_deref(),
            Some("room-earlier"),
            "earliest room installation"
        );
        put(installation("global", None, 30));
        assert_eq!(
            owner(&store).as_deref(),
            Some("global"),
            "a global installation first"
        );

        // The global installation takes its own connection: the default goes back to a room.
        let old = store.settings("global").unwrap();
        let mut new = old.clone();
        new.connection = Some(settings::OwnConnection {
            id: "c1".into(),
            url: "http://dynaboard.test".into(),
            token: "t".into(),
            webhook_secret: "w".into(),
        });
        let mut batch = Batch::new();
        store.put_settings(&mut batch, "global", &old, &new);
        store.apply(batch).unwrap();
        assert_eq!(owner(&store).as_deref(), Some("room-earlier"));

        // Revoked and removed installations do not own it.
        let mut revoked = installation("room-earlier", Some(1), 10);
        revoked.revoked_at = Some(1);
        put(revoked);
        assert_eq!(owner(&store).as_deref(), Some("room-later"));
        store
            .delete_installation_data("room-later", 0)
            .await
            .unwrap();
        assert_eq!(owner(&store), None);
    }

    #[tokio::test]
    async fn known_hipchats_follow_installs_and_uninstalls() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let homes = |store: &Store, now: i64| -> Vec<String> {
            store
                .known_hipchats(now)
                .unwrap()
                .iter()
                .map(|h| h.homepage.clone())
                .collect()
        };
        assert!(homes(&store, 0).is_empty());
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &installation("a", Some(1), 1));
        store.put_installation(&mut batch, &installation("b", Some(2), 2));
        store.apply(batch).unwrap();
        assert_eq!(
            homes(&store, 0),
            ["http://hipchat.test"],
            "one HipChat, listed once"
        );

        let mut other = installation("c", None, 3);
        other.capabilities_url = "https://other.test/v2/capabilities".into();
        other.homepage = "https://other.test".into();
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &other);
        store.apply(batch).unwrap();
        assert_eq!(
            homes(&store, 0),
            ["http://hipchat.test", "https://other.test"]
        );

        // Removed at 0, c's HipChat is remembered for a day, then forgotten.
        store.delete_installation_data("c", 0).await.unwrap();
        assert_eq!(
            homes(&store, 0),
            ["http://hipchat.test", "https://other.test"]
        );
        let day = crate::store::REMEMBERED_FOR_SECS;
        assert_eq!(homes(&store, day - 1).len(), 2);
        assert_eq!(homes(&store, day), ["http://hipchat.test"]);
        assert!(store.removed_installation("c", day - 1).unwrap().is_some());
        assert!(store.removed_installation("c", day).unwrap().is_none());
        assert!(store.removed_installation("a", 0).unwrap().is_none());
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
                .unwrap();
            store.apply(batch).unwrap();
        }
        let now = limit as i64 + 3;
        assert_eq!(store.count(TreeId::Removed, b""), limit);
        assert!(
            store.removed_installation("i2", now).unwrap().is_none(),
            "oldest forgotten"
        );
        assert!(store.removed_installation("i3", now).unwrap().is_some());
        // Through the real deletion, and persisted: a restart remembers it.
        let mut batch = Batch::new();
        store.put_installation(&mut batch, &installation("gone", None, 1));
        store.apply(batch).unwrap();
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
        assert!(store.installation("gone").unwrap().is_none());
        assert!(store.removed_installation("gone", now).unwrap().is_some());
    }
}
