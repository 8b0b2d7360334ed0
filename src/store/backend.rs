//! The key-value contract a storage backend implements: sled today (`store/sled.rs`), PostgreSQL
//! next. Everything above it (records, keys, caches, group commit) is the same on every backend.

use std::future::Future;

use super::StoreResult;

/// The key spaces of the store, one per kind of record. A key lives in exactly one space; the
/// same bytes in two spaces are two unrelated records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyspace {
    /// Installations by oauthId.
    Installations,
    /// Cached access tokens by oauthId.
    Tokens,
    /// Settings under `{oauthId}/settings`.
    Settings,
    /// Incidents and their number index, under `{oauthId}/`.
    Incidents,
    /// Per-installation counters (the last incident number).
    Counters,
    /// Cached dynaBOARD issues.
    IssueCache,
    /// Claims on delivery ids (dedupe).
    Seen,
    /// The inbox queue, by 8-byte big-endian id.
    Inbox,
    /// The outbox queue, by 8-byte big-endian id.
    Outbox,
    /// When issues were last unfurled per room.
    Unfurls,
    /// Personal chat rooms, chat requests and their answers.
    ChatRooms,
    /// Own dynaBOARD connections: connection id to oauthId.
    Connections,
    /// Posted memes.
    Memes,
    /// Installations removed lately.
    Removed,
    /// Which instance works each shared lane now (several instances on one store).
    Turns,
    /// Queue entries by lane, `{queue}/{lane}/{id}`, so the first of a lane is found at once.
    LaneIndex,
    /// HipChat's rate budgets shared by instances: recent calls per token and per room.
    Budgets,
}

impl Keyspace {
    /// Every key space, in declaration order.
    pub const ALL: [Keyspace; 17] = [
        Keyspace::Installations,
        Keyspace::Tokens,
        Keyspace::Settings,
        Keyspace::Incidents,
        Keyspace::Counters,
        Keyspace::IssueCache,
        Keyspace::Seen,
        Keyspace::Inbox,
        Keyspace::Outbox,
        Keyspace::Unfurls,
        Keyspace::ChatRooms,
        Keyspace::Connections,
        Keyspace::Memes,
        Keyspace::Removed,
        Keyspace::Turns,
        Keyspace::LaneIndex,
        Keyspace::Budgets,
    ];

    /// Spaces whose keys start with `{oauthId}/` and are deleted with their installation.
    pub(crate) const PER_INSTALLATION: [Keyspace; 7] = [
        Keyspace::Settings,
        Keyspace::Incidents,
        Keyspace::Counters,
        Keyspace::IssueCache,
        Keyspace::Unfurls,
        Keyspace::ChatRooms,
        Keyspace::Memes,
    ];

    /// The space's stable name (sled's tree name; a backend may use it as a table or column
    /// value). Never changes: stored data is found by it.
    pub fn name(self) -> &'static str {
        match self {
            Keyspace::Installations => "installations",
            Keyspace::Tokens => "tokens",
            Keyspace::Settings => "settings",
            Keyspace::Incidents => "incidents",
            Keyspace::Counters => "counters",
            Keyspace::IssueCache => "issue_cache",
            Keyspace::Seen => "seen",
            Keyspace::Inbox => "inbox",
            Keyspace::Outbox => "outbox",
            Keyspace::Unfurls => "unfurls",
            Keyspace::ChatRooms => "chat_rooms",
            Keyspace::Connections => "connections",
            Keyspace::Memes => "memes",
            Keyspace::Removed => "removed_installations",
            Keyspace::Turns => "turns",
            Keyspace::LaneIndex => "lane_index",
            Keyspace::Budgets => "budgets",
        }
    }

    /// The space as one bit of a [`Keyspaces`] set.
    pub(crate) fn bit(self) -> Keyspaces {
        Keyspaces(1 << self as u32)
    }
}

/// A set of key spaces (which ones a batch wrote), without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Keyspaces(u32);

impl Keyspaces {
    /// Adds a space.
    pub(crate) fn insert(&mut self, space: Keyspace) {
        self.0 |= space.bit().0;
    }

    /// Whether the set holds `space`.
    pub(crate) fn contains(self, space: Keyspace) -> bool {
        self.0 & space.bit().0 != 0
    }
}

/// One write or precondition of a batch, as a backend applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Store `value` under `key`, replacing whatever is there.
    Put {
        /// Its space.
        space: Keyspace,
        /// The key.
        key: Vec<u8>,
        /// The bytes to store.
        value: Vec<u8>,
    },
    /// Delete `key`; deleting an absent key is no error.
    Remove {
        /// Its space.
        space: Keyspace,
        /// The key.
        key: Vec<u8>,
    },
    /// Dedupe. If `key` holds a claim whose expiry ([`claim_expiry`]) is after `now`, the
    /// whole batch fails with `StoreError::Duplicate(key)`; otherwise (absent, or expired) the
    /// key is set to [`claim_value`]`(expires_at)`.
    Claim {
        /// Its space.
        space: Keyspace,
        /// The claimed key (a delivery id).
        key: Vec<u8>,
        /// Unix seconds of the claim.
        now: i64,
        /// Unix seconds after which the claim no longer holds.
        expires_at: i64,
    },
    /// Optimistic concurrency. Unless `key` holds exactly `value` (byte for byte; `None`:
    /// absent) when the batch is applied, the whole batch fails with
    /// `StoreError::Conflict(key)`.
    Expect {
        /// Its space.
        space: Keyspace,
        /// The key.
        key: Vec<u8>,
        /// The bytes the key must hold, or `None` for "absent".
        value: Option<Vec<u8>>,
    },
}

impl Op {
    /// The space the operation reads or writes.
    pub fn space(&self) -> Keyspace {
        match self {
            Op::Put { space, .. }
            | Op::Remove { space, .. }
            | Op::Claim { space, .. }
            | Op::Expect { space, .. } => *space,
        }
    }
}

/// The bytes a claim stores: its expiry, 8 bytes big-endian.
pub fn claim_value(expires_at: i64) -> [u8; 8] {
    expires_at.to_be_bytes()
}

/// A stored claim's expiry; bytes that are no claim count as expired long ago.
pub fn claim_expiry(bytes: &[u8]) -> i64 {
    <[u8; 8]>::try_from(bytes)
        .map(i64::from_be_bytes)
        .unwrap_or(i64::MIN)
}

/// One record as a scan returns it: `(key, value)`.
pub type Record = (Vec<u8>, Vec<u8>);

/// An ordered key-value store with atomic batches: what the [`super::Store`] needs of a backend.
///
/// Keys and values are opaque bytes. Within a [`Keyspace`], keys are ordered bytewise
/// (lexicographically by unsigned byte, a shorter key before its extensions), as sled and
/// PostgreSQL's `bytea` order them. Every method may be called from many tasks at once, and on
/// PostgreSQL from many processes at once.
///
/// Visibility: a read sees every batch whose [`Backend::apply`] returned `Ok` before the read
/// began, on this handle and on every other handle of the same storage (another instance's
/// included). Durability: a batch is durable (survives a crash of the process or the machine)
/// once a [`Backend::flush`] that began after its `apply` returned has completed with `Ok`.
///
/// Methods return `Send` futures so that the store can be used from any task; the store holds
/// one concrete backend ([`super::Engine`]), so no future is boxed.
pub trait Backend: Send + Sync {
    /// The bytes under `key`, or `None` if absent.
    fn get(
        &self,
        space: Keyspace,
        key: &[u8],
    ) -> impl Future<Output = StoreResult<Option<Vec<u8>>>> + Send;

    /// The records of `space` whose key starts with `prefix` (every record for an empty
    /// prefix), in ascending key order, at most `limit` of them. The records are those of one
    /// moment or, on a backend that cannot promise that, each record as of some moment during
    /// the scan; a batch is never seen half-applied.
    fn scan(
        &self,
        space: Keyspace,
        prefix: &[u8],
        limit: Option<usize>,
    ) -> impl Future<Output = StoreResult<Vec<Record>>> + Send;

    /// Number of records of `space` whose key starts with `prefix`.
    fn count(
        &self,
        space: Keyspace,
        prefix: &[u8],
    ) -> impl Future<Output = StoreResult<usize>> + Send;

    /// Applies `ops` atomically and in order, isolated from every concurrent batch
    /// (serialisable): either every operation takes effect, or none does and the error says
    /// why: `Duplicate` for a held [`Op::Claim`], `Conflict` for a failed [`Op::Expect`] (the
    /// first one met in order), `Io` when storage failed. A later operation sees the effect of
    /// an earlier one in the same batch. An empty batch succeeds and changes nothing. Returning
    /// `Ok` makes the batch visible, not yet durable: see [`Backend::flush`].
    fn apply(&self, ops: &[Op]) -> impl Future<Output = StoreResult<()>> + Send;

    /// A fresh id, greater than every id handed out before, across restarts too (queue keys).
    fn next_id(&self) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Makes every batch applied before the call durable. The store calls it for many commits
    /// at once (group commit) and answers none of them before it completes.
    fn flush(&self) -> impl Future<Output = StoreResult<()>> + Send;

    /// Whether the storage answers reads now (`/healthz`, `/readyz`).
    fn is_healthy(&self) -> impl Future<Output = bool> + Send;
}
