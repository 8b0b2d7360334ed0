//! Versioned schema migrations, run at start under a database lock so that several instances
//! starting together migrate once.

use tokio_postgres::{Client, IsolationLevel};

/// The migrations in order: `(version, SQL)`. Each runs in the one transaction that records its
/// version, so it must be transactional (no `CREATE INDEX CONCURRENTLY`). A released migration is
/// never edited: a change is a new entry.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1)];

/// The schema version this build of hipboard knows (the last migration's).
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Key of the transaction-level advisory lock held while migrating ("hipboard" in ASCII).
const LOCK_KEY: i64 = 0x6869_7062_6f61_7264;

/// Version 1: the key-value table, the id sequence and the batch function.
///
/// `hipboard_apply` applies one batch in order (kinds: `p`ut, `r`emove, `c`laim, `e`xpect) and
/// raises `HB001` (claim held) or `HB002` (expectation failed) with the 1-based index of the
/// operation as DETAIL, which aborts the whole transaction. A claim is held while its stored
/// value is 8 bytes whose big-endian `i64` is after `now`; anything else counts as expired.
/// `changed`, when not NULL, is sent on `hipboard_changes`, delivered at commit.
const V1: &str = r#"
CREATE TABLE kv (
    space text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (space, key)
);

CREATE SEQUENCE hipboard_ids AS bigint MINVALUE 1 START 1;

CREATE FUNCTION hipboard_apply(
    kinds "char"[], spaces text[], keys bytea[], vals bytea[], nows bigint[], changed text
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cur bytea;
BEGIN
    FOR i IN 1 .. coalesce(array_length(kinds, 1), 0) LOOP
        CASE kinds[i]
        WHEN 'p' THEN
            INSERT INTO kv (space, key, value) VALUES (spaces[i], keys[i], vals[i])
            ON CONFLICT (space, key) DO UPDATE SET value = excluded.value;
        WHEN 'r' THEN
            DELETE FROM kv WHERE space = spaces[i] AND key = keys[i];
        WHEN 'c' THEN
            SELECT value INTO cur FROM kv WHERE space = spaces[i] AND key = keys[i];
            -- Parenthesised: PL/pgSQL ends an IF condition at its first THEN otherwise.
            IF (CASE WHEN length(cur) = 8
                     THEN ('x' || encode(cur, 'hex'))::bit(64)::bigint > nows[i]
                     ELSE false END) THEN
                RAISE EXCEPTION USING ERRCODE = 'HB001', MESSAGE = 'claim held', DETAIL = i::text;
            END IF;
            INSERT INTO kv (space, key, value) VALUES (spaces[i], keys[i], vals[i])
            ON CONFLICT (space, key) DO UPDATE SET value = excluded.value;
        WHEN 'e' THEN
            SELECT value INTO cur FROM kv WHERE space = spaces[i] AND key = keys[i];
            IF cur IS DISTINCT FROM vals[i] THEN
                RAISE EXCEPTION USING ERRCODE = 'HB002', MESSAGE = 'expectation failed',
                    DETAIL = i::text;
            END IF;
        END CASE;
    END LOOP;
    IF changed IS NOT NULL THEN
        PERFORM pg_notify('hipboard_changes', changed);
    END IF;
END
$$;
"#;

/// Why the schema could not be brought to [`SCHEMA_VERSION`].
#[derive(Debug)]
pub(super) enum MigrateError {
    /// The database was migrated by a newer hipboard: its version.
    Newer(i32),
    /// The database failed.
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for MigrateError {
    fn from(e: tokio_postgres::Error) -> Self {
        MigrateError::Db(e)
    }
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrateError::Newer(version) => write!(
                f,
                "database schema version {version} is newer than this hipboard \
                 (knows {SCHEMA_VERSION}); upgrade hipboard"
            ),
            MigrateError::Db(e) => write!(f, "migrating the schema failed: {}", super::describe(e)),
        }
    }
}

/// The schema version the database holds now, 0 when it was never migrated; changes nothing.
pub(super) async fn current_version(client: &Client) -> Result<i32, tokio_postgres::Error> {
    // Two statements: one naming a table that does not exist would not even be planned.
    let exists: bool = client
        .query_one("SELECT to_regclass('hipboard_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client
        .query_one("SELECT coalesce(max(version), 0) FROM hipboard_schema", &[])
        .await?;
    Ok(row.get(0))
}

/// Brings the schema to [`SCHEMA_VERSION`] and returns it. One transaction holding an advisory
/// lock: concurrent callers wait for it, then find the work done. Read committed on purpose, so
/// that a waiter's reads after the lock see what the holder committed.
pub(super) async fn migrate(client: &mut Client) -> Result<i32, MigrateError> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hipboard_schema (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM hipboard_schema", &[])
        .await?
        .get(0);
    if current > SCHEMA_VERSION {
        // Dropping the transaction rolls it back and releases the lock.
        return Err(MigrateError::Newer(current));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO hipboard_schema (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tracing::info!(version, "migrated the PostgreSQL schema");
    }
    tx.commit().await?;
    Ok(SCHEMA_VERSION)
}
