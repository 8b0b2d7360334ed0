//! The backend a store runs on, chosen at start. One enum rather than a trait object, so the
//! backends' async methods dispatch without boxing a future per call.

use super::StoreResult;
use super::backend::{Backend, Keyspace, Op, Record};
use super::postgres::PostgresBackend;
use super::sled::SledBackend;

/// Every backend the store can run on.
pub enum Engine {
    /// The embedded default: one sled directory, one process.
    Sled(SledBackend),
    /// A PostgreSQL database shared by any number of instances.
    Postgres(PostgresBackend),
}

/// Calls `$call` on whichever backend `$engine` holds.
macro_rules! dispatch {
    ($engine:expr, $backend:ident => $call:expr) => {
        match $engine {
            Engine::Sled($backend) => $call,
            Engine::Postgres($backend) => $call,
        }
    };
}

impl Engine {
    /// The backend's name, as `hipboard check` reports it.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Sled(_) => "sled",
            Engine::Postgres(_) => "postgres",
        }
    }
}

impl Backend for Engine {
    async fn get(&self, space: Keyspace, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        dispatch!(self, b => b.get(space, key).await)
    }

    async fn scan(
        &self,
        space: Keyspace,
        prefix: &[u8],
        limit: Option<usize>,
    ) -> StoreResult<Vec<Record>> {
        dispatch!(self, b => b.scan(space, prefix, limit).await)
    }

    async fn count(&self, space: Keyspace, prefix: &[u8]) -> StoreResult<usize> {
        dispatch!(self, b => b.count(space, prefix).await)
    }

    async fn apply(&self, ops: &[Op]) -> StoreResult<()> {
        dispatch!(self, b => b.apply(ops).await)
    }

    async fn next_id(&self) -> StoreResult<u64> {
        dispatch!(self, b => b.next_id().await)
    }

    async fn flush(&self) -> StoreResult<()> {
        dispatch!(self, b => b.flush().await)
    }

    async fn is_healthy(&self) -> bool {
        dispatch!(self, b => b.is_healthy().await)
    }
}
