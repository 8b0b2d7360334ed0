//! Opening the configured store at start: sled in a directory, or a PostgreSQL database that
//! is waited for while it does not answer (a database restarting, or started after hipboard).

use std::path::Path;
use std::time::Duration;

use super::{PostgresBackend, Store, StoreError, StoreResult};

/// Where the store lives, as the configuration names it.
#[derive(Debug, Clone, Copy)]
pub enum Location<'a> {
    /// The embedded sled store in this data directory.
    Sled(&'a Path),
    /// A PostgreSQL database (`postgres://…`), with at most `pool_size` connections.
    Postgres {
        /// The database URL (may hold a password: never printed).
        url: &'a str,
        /// Connections in this process's pool.
        pool_size: usize,
    },
}

/// How long to wait between attempts to reach an unreachable database: `first`, doubling up to
/// `max`, forever (until it answers).
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// The pause after the first failed attempt.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Retry {
    /// At start: half a second, then up to 30 seconds between attempts.
    pub const AT_START: Retry = Retry {
        first: Duration::from_millis(500),
        max: Duration::from_secs(30),
    };
}

/// A PostgreSQL database as `hipboard check` sees it, without changing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// The database as `postgres://user@host:port/db`, without the password.
    pub target: String,
    /// Its schema version: 0 before the first start, [`super::SCHEMA_VERSION`] once migrated.
    pub schema_version: i32,
}

impl Store {
    /// Reads the schema version of the database at `url` without migrating it: a check must
    /// not upgrade a schema that running instances use. Errors as for [`Store::open_postgres`].
    pub async fn inspect_postgres(url: &str) -> StoreResult<Inspected> {
        let (target, schema_version) = PostgresBackend::inspect(url).await?;
        Ok(Inspected {
            target,
            schema_version,
        })
    }

    /// Opens the store at `location`. A database that does not answer
    /// ([`StoreError::Unreachable`]) is tried again after a growing pause, with one warning line
    /// per attempt, until it answers; any other failure (a newer schema, refused credentials,
    /// an unusable directory) is returned at once.
    pub async fn open_at(location: Location<'_>, retry: Retry) -> StoreResult<Store> {
        let (url, pool_size) = match location {
            Location::Sled(dir) => return Store::open(dir),
            Location::Postgres { url, pool_size } => (url, pool_size),
        };
        let mut pause = retry.first;
        let mut attempt = 1u32;
        loop {
            match Store::open_postgres(url, pool_size).await {
                Err(StoreError::Unreachable { target, reason }) => {
                    tracing::warn!(
                        "PostgreSQL at {target} does not answer (attempt {attempt}: {reason}); \
                         trying again in {:.1}s",
                        pause.as_secs_f64()
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(retry.max);
                    attempt = attempt.saturating_add(1);
                }
                done => {
                    if done.is_ok() && attempt > 1 {
                        tracing::info!(attempt, "PostgreSQL answers; starting");
                    }
                    return done;
                }
            }
        }
    }

    /// The database as `postgres://user@host:port/db` (no password), or `None` on sled.
    pub fn database_target(&self) -> Option<&str> {
        match &self.inner.backend {
            super::Engine::Postgres(pg) => Some(pg.target()),
            super::Engine::Sled(_) => None,
        }
    }
}
