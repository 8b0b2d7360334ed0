//! The embedded backend: one sled database in the data directory, one tree per [`Keyspace`].
//! The only module that names sled (DESIGN.md "Storage").

use std::path::Path;

use ::sled::Transactional;
use ::sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::backend::{Backend, Keyspace, Op, Record, claim_expiry, claim_value};
use super::{StoreError, StoreResult};

/// Sled's page cache size. Its default (1 GiB) would dominate the process's memory, and its
/// decoded nodes take several times the bytes it counts: 16 MiB held ~110 MiB of heap under a
/// stream of new claims, 4 MiB holds ~50 MiB (BENCHMARKS.md). Hot records are small.
const CACHE_BYTES: u64 = 4 * 1024 * 1024;

impl From<::sled::Error> for StoreError {
    fn from(e: ::sled::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

/// A sled database and its trees, indexed by [`Keyspace`].
pub struct SledBackend {
    db: ::sled::Db,
    trees: Vec<::sled::Tree>,
}

impl SledBackend {
    /// Opens (creating if needed, owner-only) the database in `dir`.
    pub fn open(dir: &Path) -> StoreResult<SledBackend> {
        let open_err = |reason: String| StoreError::Open {
            path: dir.to_path_buf(),
            reason,
        };
        create_private_dir(dir).map_err(|e| open_err(e.to_string()))?;
        let db = ::sled::Config::new()
            .path(dir)
            .cache_capacity(CACHE_BYTES)
            .flush_every_ms(Some(1000))
            .open()
            .map_err(|e| open_err(e.to_string()))?;
        restrict_files(dir).map_err(|e| open_err(e.to_string()))?;
        let trees = Keyspace::ALL
            .iter()
            .map(|t| db.open_tree(t.name()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| open_err(e.to_string()))?;
        Ok(SledBackend { db, trees })
    }

    /// Whether `dir` holds a sled database (its `conf` file), without opening or creating it.
    pub fn exists_in(dir: &Path) -> bool {
        dir.join("conf").is_file()
    }

    fn tree(&self, space: Keyspace) -> &::sled::Tree {
        &self.trees[space as usize]
    }
}

/// Why a transaction was abandoned on purpose.
enum Abort {
    Duplicate(Vec<u8>),
    Conflict(Vec<u8>),
}

impl Backend for SledBackend {
    async fn get(&self, space: Keyspace, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.tree(space).get(key)?.map(|bytes| bytes.to_vec()))
    }

    async fn scan(
        &self,
        space: Keyspace,
        prefix: &[u8],
        limit: Option<usize>,
    ) -> StoreResult<Vec<Record>> {
        let mut found = Vec::new();
        for kv in self
            .tree(space)
            .scan_prefix(prefix)
            .take(limit.unwrap_or(usize::MAX))
        {
            let (k, v) = kv?;
            found.push((k.to_vec(), v.to_vec()));
        }
        Ok(found)
    }

    async fn count(&self, space: Keyspace, prefix: &[u8]) -> StoreResult<usize> {
        let mut n = 0;
        for kv in self.tree(space).scan_prefix(prefix).keys() {
            kv?;
            n += 1;
        }
        Ok(n)
    }

    async fn apply(&self, ops: &[Op]) -> StoreResult<()> {
        self.apply_now(ops)
    }

    async fn next_id(&self) -> StoreResult<u64> {
        Ok(self.db.generate_id()?)
    }

    async fn flush(&self) -> StoreResult<()> {
        self.db.flush_async().await?;
        Ok(())
    }

    async fn is_healthy(&self) -> bool {
        self.db.get(b"__health").is_ok()
    }
}

impl SledBackend {
    /// [`Backend::apply`]: one sled transaction over the trees the batch touches, or a plain
    /// write for a batch of one put or one remove.
    fn apply_now(&self, ops: &[Op]) -> StoreResult<()> {
        match ops {
            // sled indexes the first tree of a transaction; with none it would panic.
            [] => return Ok(()),
            // One write is atomic by itself. A sled transaction seals the log's IO buffer and
            // hands it to an IO thread, waking all of sled's idle IO threads: skipping it for
            // the outbox's removals took sled's IO threads from 30 to 19 context switches per
            // `/incident` (BENCHMARKS.md).
            [Op::Put { space, key, value }] => {
                self.tree(*space).insert(key.as_slice(), value.as_slice())?;
                return Ok(());
            }
            [Op::Remove { space, key }] => {
                self.tree(*space).remove(key.as_slice())?;
                return Ok(());
            }
            _ => {}
        }
        // Lock only the trees this batch touches, in a fixed order.
        let mut ids: Vec<Keyspace> = ops.iter().map(Op::space).collect();
        ids.sort();
        ids.dedup();
        let trees: Vec<&::sled::Tree> = ids.iter().map(|id| self.tree(*id)).collect();
        let slot = |id: Keyspace| ids.iter().position(|t| *t == id).unwrap_or(0);

        let result = trees
            .as_slice()
            .transaction(|txs: &Vec<TransactionalTree>| {
                for op in ops {
                    let tx = &txs[slot(op.space())];
                    match op {
                        Op::Put { key, value, .. } => {
                            tx.insert(key.as_slice(), value.as_slice())?;
                        }
                        Op::Remove { key, .. } => {
                            tx.remove(key.as_slice())?;
                        }
                        Op::Claim {
                            key,
                            now,
                            expires_at,
                            ..
                        } => {
                            if let Some(existing) = tx.get(key.as_slice())? {
                                if claim_expiry(&existing) > *now {
                                    return Err(ConflictableTransactionError::Abort(
                                        Abort::Duplicate(key.clone()),
                                    ));
                                }
                            }
                            tx.insert(key.as_slice(), &claim_value(*expires_at)[..])?;
                        }
                        Op::Expect { key, value, .. } => {
                            let current = tx.get(key.as_slice())?;
                            if current.as_deref() != value.as_deref() {
                                return Err(ConflictableTransactionError::Abort(Abort::Conflict(
                                    key.clone(),
                                )));
                            }
                        }
                    }
                }
                Ok(())
            });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(Abort::Duplicate(k))) => Err(StoreError::Duplicate(
                String::from_utf8_lossy(&k).into_owned(),
            )),
            Err(TransactionError::Abort(Abort::Conflict(k))) => Err(StoreError::Conflict(
                String::from_utf8_lossy(&k).into_owned(),
            )),
            Err(TransactionError::Storage(e)) => Err(e.into()),
        }
    }
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
