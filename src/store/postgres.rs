//! The PostgreSQL backend (DESIGN.md "Storage"): any number of instances share one database.
//! The only module that names tokio-postgres.
//!
//! Every key space lives in one table `kv(space, key, value)`; `bytea` keys order bytewise as
//! the contract requires. A batch is one call of the `hipboard_apply` function (see
//! `migrations.rs`) in a SERIALIZABLE transaction, pipelined with its `BEGIN` and `COMMIT` so
//! that it costs one round trip. It commits asynchronously (`synchronous_commit` off for that
//! transaction): visible to every session at once, durable at the next flush, which commits a
//! transaction synchronously and so waits for the WAL up to its own commit record, past every
//! batch committed before it. Like sled's, the flush is shared by every commit waiting for it
//! (group commit, in `Store::flush`), and the store answers nobody before it. Reads are single statements at READ COMMITTED: each sees one
//! snapshot, so never half a batch, and takes no predicate locks that would make writers retry.
//!
//! Connections use TLS as the URL's `sslmode` says, as libpq reads it (see `tls.rs`): give
//! `sslmode=verify-full` to reach a database over a network you do not trust.

mod changes;
mod migrations;
mod tls;

use std::path::PathBuf;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio::sync::broadcast;
use tokio_postgres::Config;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::backend::{Backend, Keyspace, Op, Record, claim_value};
use super::{StoreError, StoreResult};

#[cfg(test)]
use changes::CHANGE_SPACES;
pub use migrations::SCHEMA_VERSION;

/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a caller waits for a free pooled connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// How long `/healthz` waits for `SELECT 1`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a batch is retried after a serialization failure or deadlock before giving up.
const MAX_RETRIES: u32 = 10;

/// Reads one key.
const GET: &str = "SELECT value FROM kv WHERE space = $1 AND key = $2";
/// A prefix scan with an upper bound (the prefix's successor).
const SCAN: &str = "SELECT key, value FROM kv WHERE space = $1 AND key >= $2 AND key < $3 \
                    ORDER BY key LIMIT $4";
/// A prefix scan without an upper bound (empty prefix, or one of 0xFF bytes only).
const SCAN_OPEN: &str = "SELECT key, value FROM kv WHERE space = $1 AND key >= $2 \
                         ORDER BY key LIMIT $3";
/// Counts a prefix with an upper bound.
const COUNT: &str = "SELECT count(*) FROM kv WHERE space = $1 AND key >= $2 AND key < $3";
/// Counts a prefix without an upper bound.
const COUNT_OPEN: &str = "SELECT count(*) FROM kv WHERE space = $1 AND key >= $2";
/// Opens a batch's transaction: serializable, committed without waiting for the disk (the
/// flush does that, for many batches at once).
const BEGIN_BATCH: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE; SET LOCAL synchronous_commit TO off";
/// Makes every batch committed before it durable. A synchronous commit waits until the WAL is
/// on disk through its commit record, but only for a transaction that wrote WAL (one that only
/// took an id does not wait): a transactional logical-decoding message is the smallest such
/// write, and needs no table (nor a row every instance's flush would queue on).
const FLUSH: &str = "BEGIN; SET LOCAL synchronous_commit TO on; \
                     SELECT pg_logical_emit_message(true, 'hipboard', ''); COMMIT";
/// Applies one batch (inside the pipelined transaction).
const APPLY: &str = "SELECT hipboard_apply($1, $2, $3, $4, $5, $6)";

/// Runs `$query`, an expression that reads through `$client` (a pooled connection) and may use
/// `?` on driver errors, as the store's result. A connection found broken (the server
/// restarted, or cut the connection while it idled in the pool) is dropped from the pool and
/// the query runs once more on a fresh one: reads are safe to repeat. A macro, not a method
/// taking an async closure, because such a closure's future cannot be proven `Send` here.
macro_rules! read {
    ($backend:expr, $doing:expr, |$client:ident| $query:expr) => {{
        let mut retried = false;
        loop {
            let $client = $backend.client().await?;
            let result: Result<_, tokio_postgres::Error> = async { $query }.await;
            match result {
                Err(e) if broken(&e) && !retried => {
                    let _ = deadpool_postgres::Object::take($client);
                    retried = true;
                }
                done => break done.map_err(|e| io_error($doing, &e)),
            }
        }
    }};
}

/// A PostgreSQL database as a store [`Backend`], through a pool of connections.
pub struct PostgresBackend {
    pool: Pool,
    schema_version: i32,
    target: String,
    listener: changes::Listener,
}

impl PostgresBackend {
    /// Connects to `url` (`postgres://user:password@host:port/db` or `key=value` form), with at
    /// most `pool_size` connections, migrating the schema first. A database that does not answer
    /// is `StoreError::Unreachable` (worth retrying); bad URLs, refused credentials and newer
    /// schemas are `StoreError::Open`; either with a one-line reason.
    pub async fn connect(url: &str, pool_size: usize) -> StoreResult<PostgresBackend> {
        let (config, tls, target) = parse(url)?;
        let open_err = |reason: String| StoreError::Open {
            path: PathBuf::from(&target),
            reason,
        };
        let failed = |doing: &str, e: &tokio_postgres::Error| open_failure(&target, doing, e);
        let (mut client, connection) = config
            .connect(tls.clone())
            .await
            .map_err(|e| failed("cannot connect", &e))?;
        let driver = tokio::spawn(connection);
        let schema_version = migrations::migrate(&mut client)
            .await
            .map_err(|e| match e {
                migrations::MigrateError::Db(e) if transient(&e) => {
                    failed("migrating the schema failed", &e)
                }
                other => open_err(other.to_string()),
            })?;
        drop(client);
        // The connection ends with its client; its outcome says nothing more.
        let _ = driver.await;

        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| open_err(format!("cannot build the connection pool: {e}")))?;
        let listener = changes::Listener::start(&config, &tls)
            .await
            .map_err(|e| failed("cannot listen for changes", &e))?;
        Ok(PostgresBackend {
            pool,
            schema_version,
            target,
            listener,
        })
    }

    /// The schema version of the database at `url` (0 before any migration) and the database
    /// as `postgres://user@host:port/db`, read without migrating or changing anything: what
    /// `hipboard check` reports, since a check must not upgrade a schema running instances use.
    pub async fn inspect(url: &str) -> StoreResult<(String, i32)> {
        let (config, tls, target) = parse(url)?;
        let failed = |doing: &str, e: &tokio_postgres::Error| open_failure(&target, doing, e);
        let (client, connection) = config
            .connect(tls)
            .await
            .map_err(|e| failed("cannot connect", &e))?;
        let driver = tokio::spawn(connection);
        let version = migrations::current_version(&client)
            .await
            .map_err(|e| failed("reading the schema version", &e))?;
        drop(client);
        // The connection ends with its client; its outcome says nothing more.
        let _ = driver.await;
        Ok((target, version))
    }

    /// The database's schema version after migrating (for `hipboard check`).
    pub fn schema_version(&self) -> i32 {
        self.schema_version
    }

    /// The database as `postgres://user@host:port/db`, without the password (for messages).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Announcements of writes to [`changes::CHANGE_SPACES`] by any instance (this one included), each
    /// naming the spaces one batch wrote. After the listening connection was lost and
    /// restored, every space is announced, since announcements were missed meanwhile; a
    /// receiver that sees `RecvError::Lagged` must likewise assume that everything changed.
    pub fn listen(&self) -> broadcast::Receiver<Vec<Keyspace>> {
        self.listener.subscribe()
    }

    /// Makes every later [`Backend::next_id`] greater than `n` (ids copied from another store).
    /// Not atomic with concurrent `next_id` calls: run it before instances serve.
    pub async fn ensure_ids_above(&self, n: u64) -> StoreResult<()> {
        let n = i64::try_from(n)
            .map_err(|_| StoreError::Io(format!("id {n} is beyond PostgreSQL's bigint")))?;
        if n < 1 {
            return Ok(());
        }
        let client = self.client().await?;
        client
            .execute(
                "SELECT setval('hipboard_ids', $1) FROM hipboard_ids \
                 WHERE CASE WHEN is_called THEN last_value + 1 ELSE last_value END <= $1",
                &[&n],
            )
            .await
            .map_err(|e| io_error("raising the id sequence", &e))?;
        Ok(())
    }

    /// Whether no record is stored (`hipboard migrate` copies only into an empty database).
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT NOT EXISTS (SELECT 1 FROM kv)", &[])
            .await
            .map_err(|e| io_error("reading", &e))?;
        Ok(row.get(0))
    }

    /// A pooled connection, or `Io` saying why there is none.
    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => io_error("connecting", &e),
            other => StoreError::Io(format!(
                "PostgreSQL at {} unavailable: {other}",
                self.target
            )),
        })
    }

    /// One attempt at a batch: `BEGIN`, the function call and `COMMIT`, sent together.
    async fn apply_once(&self, args: &ApplyArgs<'_>) -> Result<(), Attempt> {
        let client = self.client().await.map_err(Attempt::Failed)?;
        let statement = client
            .prepare_cached(APPLY)
            .await
            .map_err(|e| Attempt::Failed(io_error("preparing a batch", &e)))?;
        let values: Vec<Option<&[u8]>> = args.values.iter().map(|v| v.as_deref()).collect();
        let params: [&(dyn ToSql + Sync); 6] = [
            &args.kinds,
            &args.spaces,
            &args.keys,
            &values,
            &args.nows,
            &args.changed,
        ];
        // `biased` polls in order, so the three requests are queued in this order on the
        // connection before any answer is awaited. After an error in the call, `COMMIT` ends
        // the aborted transaction as a rollback, leaving the connection idle either way.
        let (begin, applied, commit) = tokio::join!(
            biased;
            client.batch_execute(BEGIN_BATCH),
            client.execute(&statement, &params),
            client.batch_execute("COMMIT"),
        );
        let outcome = begin.and(applied).and(commit).map(|_| ());
        if let Err(e) = &outcome {
            if broken(e) {
                // Whether the batch committed is unknown: the caller hears `Io`, not a retry.
                let _ = deadpool_postgres::Object::take(client);
            }
        }
        outcome.map_err(|e| args.classify(&e))
    }
}

/// A batch as the arrays `hipboard_apply` takes, one element per operation.
struct ApplyArgs<'a> {
    kinds: Vec<i8>,
    spaces: Vec<&'static str>,
    keys: Vec<&'a [u8]>,
    values: Vec<Option<Vec<u8>>>,
    nows: Vec<i64>,
    changed: Option<String>,
}

impl<'a> ApplyArgs<'a> {
    fn new(ops: &'a [Op]) -> ApplyArgs<'a> {
        let mut args = ApplyArgs {
            kinds: Vec::with_capacity(ops.len()),
            spaces: Vec::with_capacity(ops.len()),
            keys: Vec::with_capacity(ops.len()),
            values: Vec::with_capacity(ops.len()),
            nows: Vec::with_capacity(ops.len()),
            changed: changes::payload(ops),
        };
        for op in ops {
            let (kind, key, value, now) = match op {
                Op::Put { key, value, .. } => (b'p', key, Some(value.clone()), 0),
                Op::Remove { key, .. } => (b'r', key, None, 0),
                Op::Claim {
                    key,
                    now,
                    expires_at,
                    ..
                } => (b'c', key, Some(claim_value(*expires_at).to_vec()), *now),
                Op::Expect { key, value, .. } => (b'e', key, value.clone(), 0),
            };
            args.kinds.push(kind as i8);
            args.spaces.push(op.space().name());
            args.keys.push(key);
            args.values.push(value);
            args.nows.push(now);
        }
        args
    }

    /// What a failed attempt means: a held claim or failed expectation (the operation's key
    /// is in the error's DETAIL), a conflict worth retrying, or a storage failure.
    fn classify(&self, e: &tokio_postgres::Error) -> Attempt {
        let key_of = |e: &tokio_postgres::Error| {
            e.as_db_error()
                .and_then(|db| db.detail())
                .and_then(|detail| detail.parse::<usize>().ok())
                .and_then(|index| self.keys.get(index.wrapping_sub(1)))
                .map(|key| String::from_utf8_lossy(key).into_owned())
                .unwrap_or_default()
        };
        match e.code() {
            Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED) => {
                Attempt::Retry(describe(e))
            }
            Some(code) if code.code() == "HB001" => {
                Attempt::Failed(StoreError::Duplicate(key_of(e)))
            }
            Some(code) if code.code() == "HB002" => {
                Attempt::Failed(StoreError::Conflict(key_of(e)))
            }
            _ => Attempt::Failed(io_error("applying a batch", e)),
        }
    }
}

/// The outcome of one failed attempt at a batch.
enum Attempt {
    /// Lost to a concurrent transaction: try again.
    Retry(String),
    /// Final.
    Failed(StoreError),
}

impl Backend for PostgresBackend {
    async fn get(&self, space: Keyspace, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        read!(self, "reading", |client| {
            let statement = client.prepare_cached(GET).await?;
            let row = client.query_opt(&statement, &[&space.name(), &key]).await?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    async fn scan(
        &self,
        space: Keyspace,
        prefix: &[u8],
        limit: Option<usize>,
    ) -> StoreResult<Vec<Record>> {
        let limit = limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let end = prefix_end(prefix);
        let rows = read!(self, "scanning", |client| match &end {
            Some(end) => {
                let statement = client.prepare_cached(SCAN).await?;
                let params: [&(dyn ToSql + Sync); 4] =
                    [&space.name(), &prefix, &end.as_slice(), &limit];
                client.query(&statement, &params).await
            }
            None => {
                let statement = client.prepare_cached(SCAN_OPEN).await?;
                let params: [&(dyn ToSql + Sync); 3] = [&space.name(), &prefix, &limit];
                client.query(&statement, &params).await
            }
        })?;
        Ok(rows
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
    }

    async fn count(&self, space: Keyspace, prefix: &[u8]) -> StoreResult<usize> {
        let end = prefix_end(prefix);
        let row = read!(self, "counting", |client| match &end {
            Some(end) => {
                let statement = client.prepare_cached(COUNT).await?;
                let params: [&(dyn ToSql + Sync); 3] = [&space.name(), &prefix, &end.as_slice()];
                client.query_one(&statement, &params).await
            }
            None => {
                let statement = client.prepare_cached(COUNT_OPEN).await?;
                let params: [&(dyn ToSql + Sync); 2] = [&space.name(), &prefix];
                client.query_one(&statement, &params).await
            }
        })?;
        let n: i64 = row.get(0);
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn apply(&self, ops: &[Op]) -> StoreResult<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let args = ApplyArgs::new(ops);
        let mut retries = 0;
        loop {
            match self.apply_once(&args).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Failed(e)) => return Err(e),
                Err(Attempt::Retry(reason)) if retries >= MAX_RETRIES => {
                    return Err(StoreError::Io(format!(
                        "PostgreSQL batch still conflicting after {MAX_RETRIES} retries: {reason}"
                    )));
                }
                Err(Attempt::Retry(_)) => {
                    retries += 1;
                    // Serializable retries always make progress (one of the rivals commits);
                    // a short, growing pause only spares the database a stampede.
                    tokio::time::sleep(Duration::from_millis(u64::from(retries))).await;
                }
            }
        }
    }

    async fn next_id(&self) -> StoreResult<u64> {
        // Repeating `nextval` after a broken connection only skips an id, which is harmless.
        let id: i64 = read!(self, "drawing an id", |client| {
            let row = client
                .query_one("SELECT nextval('hipboard_ids')", &[])
                .await?;
            Ok(row.get(0))
        })?;
        u64::try_from(id).map_err(|_| StoreError::Io(format!("id sequence returned {id}")))
    }

    /// One synchronous commit of a transaction with an id (so that it writes a commit record):
    /// it returns once the WAL is on disk up to that record, which is after every batch
    /// committed before the flush began, on this connection or any other.
    async fn flush(&self) -> StoreResult<()> {
        // Not repeated on a broken connection: a fresh one's flush covers the same batches,
        // but the caller hears of the failure and may retry the whole commit.
        let client = self.client().await?;
        client
            .batch_execute(FLUSH)
            .await
            .map_err(|e| io_error("flushing", &e))
    }

    async fn is_healthy(&self) -> bool {
        let ping = async {
            read!(self, "checking health", |client| client
                .simple_query("SELECT 1")
                .await)
        };
        matches!(tokio::time::timeout(HEALTH_TIMEOUT, ping).await, Ok(Ok(_)))
    }
}

/// The smallest key above every key starting with `prefix`: the prefix without its trailing
/// 0xFF bytes, its last byte incremented. `None` when there is none (empty prefix, or 0xFF bytes
/// only): every key from the prefix on matches.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Whether `e` leaves its connection unusable: closed, cut, or ended by the server.
fn broken(e: &tokio_postgres::Error) -> bool {
    let ended_by_server = e.code().is_some_and(|code| {
        // Class 08: connection exceptions; 57P0x: shutdown, crash, terminated by an admin.
        code.code().starts_with("08") || code.code().starts_with("57P")
    });
    let io = std::error::Error::source(e).is_some_and(|cause| cause.is::<std::io::Error>());
    e.is_closed() || ended_by_server || io
}

/// The connection settings of `url`, with hipboard's defaults (connect timeout, application
/// name), and the database as `postgres://user@host:port/db` for messages.
fn parse(url: &str) -> StoreResult<(Config, MakeRustlsConnect, String)> {
    let invalid = |reason: String| StoreError::Open {
        path: PathBuf::from("<database URL>"),
        reason,
    };
    let tls::Split { url, tls } = tls::split(url).map_err(invalid)?;
    let mut config: Config = url
        .parse()
        .map_err(|e| invalid(format!("invalid PostgreSQL URL: {}", describe(&e))))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("hipboard");
    }
    let target = redacted(&config);
    Ok((config, tls, target))
}

/// A failure while opening: `Unreachable` when waiting may fix it (nobody answers, the server
/// is starting or overloaded, the connection was cut), else `Open` (refused credentials, a
/// missing database), which waiting does not fix.
fn open_failure(target: &str, doing: &str, e: &tokio_postgres::Error) -> StoreError {
    let reason = format!("{doing}: {}", describe(e));
    if transient(e) {
        StoreError::Unreachable {
            target: target.to_string(),
            reason,
        }
    } else {
        StoreError::Open {
            path: PathBuf::from(target),
            reason,
        }
    }
}

/// Whether `e` may go away by waiting: no answer at all (refused, timed out, cut), or the
/// server saying it cannot take the connection now (starting, shutting down, too many clients).
fn transient(e: &tokio_postgres::Error) -> bool {
    // A certificate refused (or a TLS setting the server does not meet) stays refused however
    // long we wait: say so once rather than retry. rustls' errors reach us inside I/O errors,
    // whose `source` skips the error they wrap.
    let tls_refused = causes(e).any(|cause| {
        cause.is::<rustls::Error>()
            || cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<rustls::Error>())
    });
    if tls_refused {
        return false;
    }
    match e.code() {
        // Class 08: connection exceptions; 57P: shutdown or start-up; 53: out of resources.
        Some(code) => ["08", "57P", "53"]
            .iter()
            .any(|class| code.code().starts_with(class)),
        None => true,
    }
}

/// `postgres://user@host:port/db` from a connection config, without the password.
fn redacted(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}

/// A driver error with its cause (tokio-postgres's own message is only the kind, e.g.
/// "db error"), on one line.
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {} ({})", db.severity(), db.message(), db.code().code());
    }
    let mut text = e.to_string();
    for cause in causes(e) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    text.replace('\n', " ")
}

/// The errors behind `e`, nearest first.
fn causes(e: &tokio_postgres::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |cause| cause.source())
}

/// A driver error while `doing` something, as the store's I/O error.
fn io_error(doing: &str, e: &tokio_postgres::Error) -> StoreError {
    StoreError::Io(format!("PostgreSQL error while {doing}: {}", describe(e)))
}

#[cfg(test)]
mod tests;
