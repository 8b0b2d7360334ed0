//! The PostgreSQL backend against a real server (`HIPBOARD_TEST_DATABASE_URL`), each test in a
//! fresh database of its own.

use std::time::Duration;

use tokio::sync::broadcast::Receiver;
use tokio_postgres::SimpleQueryMessage;

use super::*;
use crate::store::test_db::{fresh_database, sql};

/// A fresh database's URL, or `None` when no test server is configured.
async fn database() -> Option<String> {
    fresh_database().await
}

/// How long a test waits for a notification before failing (a bound, not a timing assertion).
const PATIENCE: Duration = Duration::from_secs(20);

async fn next_change(changes: &mut Receiver<Vec<Keyspace>>) -> Vec<Keyspace> {
    tokio::time::timeout(PATIENCE, changes.recv())
        .await
        .expect("a change is announced")
        .expect("the announcement channel is open")
}

/// The single value a simple query returned.
fn single(rows: &[SimpleQueryMessage]) -> String {
    rows.iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
            _ => None,
        })
        .expect("one row")
}

fn put(space: Keyspace, key: &[u8], value: &[u8]) -> Op {
    Op::Put {
        space,
        key: key.to_vec(),
        value: value.to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_the_store_contract() {
    let Some(url) = database().await else { return };
    crate::store::contract::run(async || crate::store::Store::open_postgres(&url, 4).await).await;
}

#[test]
fn prefix_ends_skip_trailing_ff_bytes() {
    assert_eq!(prefix_end(b""), None);
    assert_eq!(prefix_end(b"a/"), Some(b"a0".to_vec()));
    assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
    assert_eq!(prefix_end(b"\x01\xff\xff"), Some(b"\x02".to_vec()));
    assert_eq!(prefix_end(b"\xff\xff"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_of_ff_bytes_and_the_empty_prefix_scan_right() {
    let Some(url) = database().await else { return };
    let store = PostgresBackend::connect(&url, 2).await.unwrap();
    let space = Keyspace::Inbox;
    let keys: [&[u8]; 6] = [b"", b"\x00", b"a\xff", b"a\xff\x00", b"b", b"\xff\xff\x01"];
    let batch: Vec<Op> = keys.iter().map(|k| put(space, k, b"v")).collect();
    store.apply(&batch).await.unwrap();
    let scan = |prefix: &'static [u8], limit| {
        let store = &store;
        async move {
            let found = store.scan(space, prefix, limit).await.unwrap();
            found.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
        }
    };
    assert_eq!(scan(b"", None).await, keys);
    assert_eq!(scan(b"", Some(2)).await, keys[..2]);
    assert_eq!(scan(b"a\xff", None).await, keys[2..4]);
    assert_eq!(scan(b"\xff", None).await, keys[5..]);
    assert_eq!(scan(b"\xff\xff", None).await, keys[5..]);
    assert_eq!(store.count(space, b"").await.unwrap(), 6);
    assert_eq!(store.count(space, b"\xff").await.unwrap(), 1);
    assert_eq!(store.count(space, b"a\xff").await.unwrap(), 2);
    assert_eq!(store.count(Keyspace::Outbox, b"").await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_instances_expecting_absence_exactly_one_writes() {
    let Some(url) = database().await else { return };
    let (a, b) = (
        PostgresBackend::connect(&url, 2).await.unwrap(),
        PostgresBackend::connect(&url, 2).await.unwrap(),
    );
    for round in 0..50u32 {
        let key = format!("race/{round}").into_bytes();
        let batch = |value: &[u8]| {
            vec![
                Op::Expect {
                    space: Keyspace::Incidents,
                    key: key.clone(),
                    value: None,
                },
                put(Keyspace::Incidents, &key, value),
                put(Keyspace::Counters, &key, value),
            ]
        };
        let (batch_a, batch_b) = (batch(b"a"), batch(b"b"));
        let (ra, rb) = tokio::join!(a.apply(&batch_a), b.apply(&batch_b));
        let winner: &[u8] = match (ra, rb) {
            (Ok(()), Err(StoreError::Conflict(k))) | (Err(StoreError::Conflict(k)), Ok(())) => {
                assert_eq!(k.as_bytes(), key);
                if a.get(Keyspace::Incidents, &key).await.unwrap() == Some(b"a".to_vec()) {
                    b"a"
                } else {
                    b"b"
                }
            }
            other => panic!("round {round}: exactly one must win, got {other:?}"),
        };
        // The loser wrote nothing, in either space.
        assert_eq!(
            b.get(Keyspace::Counters, &key).await.unwrap().unwrap(),
            winner
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_instances_claiming_one_key_exactly_one_wins() {
    let Some(url) = database().await else { return };
    let (a, b) = (
        PostgresBackend::connect(&url, 2).await.unwrap(),
        PostgresBackend::connect(&url, 2).await.unwrap(),
    );
    for round in 0..50u32 {
        let key = format!("msg:{round}").into_bytes();
        let batch = |who: &[u8]| {
            vec![
                Op::Claim {
                    space: Keyspace::Seen,
                    key: key.clone(),
                    now: 1_000,
                    expires_at: 2_000,
                },
                put(Keyspace::Outbox, &key, who),
            ]
        };
        let (batch_a, batch_b) = (batch(b"a"), batch(b"b"));
        let (ra, rb) = tokio::join!(a.apply(&batch_a), b.apply(&batch_b));
        match (ra, rb) {
            (Ok(()), Err(StoreError::Duplicate(k))) | (Err(StoreError::Duplicate(k)), Ok(())) => {
                assert_eq!(k.as_bytes(), key)
            }
            other => panic!("round {round}: exactly one claim must hold, got {other:?}"),
        }
        assert_eq!(a.count(Keyspace::Outbox, &key).await.unwrap(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_migrate_once() {
    let Some(url) = database().await else { return };
    let (a, b, c) = tokio::join!(
        PostgresBackend::connect(&url, 1),
        PostgresBackend::connect(&url, 1),
        PostgresBackend::connect(&url, 1),
    );
    for started in [a, b, c] {
        assert_eq!(started.unwrap().schema_version(), SCHEMA_VERSION);
    }
    let rows = sql(&url, "SELECT count(*), max(version) FROM hipboard_schema").await;
    let row = rows
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some((row.get(0), row.get(1))),
            _ => None,
        })
        .unwrap();
    let version = SCHEMA_VERSION.to_string();
    assert_eq!(row, (Some(version.as_str()), Some(version.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_in_one_line() {
    let Some(url) = database().await else { return };
    drop(PostgresBackend::connect(&url, 1).await.unwrap());
    let newer = SCHEMA_VERSION + 1;
    sql(
        &url,
        &format!("INSERT INTO hipboard_schema (version) VALUES ({newer})"),
    )
    .await;
    let message = match PostgresBackend::connect(&url, 1).await {
        Err(e @ StoreError::Open { .. }) => e.to_string(),
        Err(other) => panic!("expected Open, got {other:?}"),
        Ok(_) => panic!("a newer schema must be refused"),
    };
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.ends_with(&format!(
            "database schema version {newer} is newer than this hipboard \
             (knows {SCHEMA_VERSION}); upgrade hipboard"
        )),
        "{message}"
    );
    assert!(!message.contains("password"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_a_clear_error_worth_retrying() {
    // Bind a port, then free it: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://hipboard:secret@127.0.0.1:{port}/hipboard");
    match PostgresBackend::connect(&url, 1).await {
        Err(StoreError::Unreachable { target, reason }) => {
            assert_eq!(
                target,
                format!("postgres://hipboard@127.0.0.1:{port}/hipboard")
            );
            assert!(reason.starts_with("cannot connect"), "{reason}");
            assert!(!reason.contains("secret"), "{reason}");
        }
        Err(other) => panic!("expected Unreachable (worth retrying), got {other:?}"),
        Ok(_) => panic!("nothing listens on {port}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_rise_above_a_migrated_maximum_and_never_fall() {
    let Some(url) = database().await else { return };
    let store = PostgresBackend::connect(&url, 1).await.unwrap();
    assert!(store.is_empty().await.unwrap());
    let first = store.next_id().await.unwrap();
    store.ensure_ids_above(1_000).await.unwrap();
    assert!(store.next_id().await.unwrap() > 1_000);
    store.ensure_ids_above(5).await.unwrap();
    let later = store.next_id().await.unwrap();
    assert!(later > 1_001 && later > first);
    store.ensure_ids_above(later).await.unwrap();
    assert!(store.next_id().await.unwrap() > later);
    store
        .apply(&[put(Keyspace::Inbox, b"x", b"y")])
        .await
        .unwrap();
    assert!(!store.is_empty().await.unwrap());
    assert!(store.is_healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_to_cached_spaces_are_announced_to_other_instances() {
    let Some(url) = database().await else { return };
    let (writer, reader) = (
        PostgresBackend::connect(&url, 1).await.unwrap(),
        PostgresBackend::connect(&url, 1).await.unwrap(),
    );
    let mut changes = reader.listen();
    // Uncached spaces and failed batches announce nothing; announcements arrive in commit
    // order, so the first one received is the settings write.
    writer
        .apply(&[put(Keyspace::Memes, b"m", b"1")])
        .await
        .unwrap();
    let failed = writer
        .apply(&[
            put(Keyspace::Installations, b"oauth", b"1"),
            Op::Expect {
                space: Keyspace::Memes,
                key: b"m".to_vec(),
                value: None,
            },
        ])
        .await;
    assert!(matches!(failed, Err(StoreError::Conflict(_))));
    writer
        .apply(&[put(Keyspace::Settings, b"oauth/settings", b"{}")])
        .await
        .unwrap();
    assert_eq!(next_change(&mut changes).await, [Keyspace::Settings]);
    writer
        .apply(&[
            Op::Remove {
                space: Keyspace::Installations,
                key: b"oauth".to_vec(),
            },
            put(Keyspace::Removed, b"oauth", b"{}"),
            Op::Remove {
                space: Keyspace::Tokens,
                key: b"oauth".to_vec(),
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        next_change(&mut changes).await,
        [Keyspace::Installations, Keyspace::Removed, Keyspace::Tokens]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_reconnects_and_announces_everything() {
    let Some(url) = database().await else { return };
    let store = PostgresBackend::connect(&url, 1).await.unwrap();
    let mut changes = store.listen();
    let killed = sql(
        &url,
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = '{}' AND datname = current_database()",
            changes::LISTENER_NAME
        ),
    )
    .await;
    assert_eq!(single(&killed), "1");
    assert_eq!(next_change(&mut changes).await, CHANGE_SPACES);
    // Listening again: a later write is heard.
    store
        .apply(&[put(Keyspace::Tokens, b"oauth", b"t")])
        .await
        .unwrap();
    assert_eq!(next_change(&mut changes).await, [Keyspace::Tokens]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_the_server_ended_is_replaced() {
    let Some(url) = database().await else { return };
    let store = PostgresBackend::connect(&url, 1).await.unwrap();
    store
        .apply(&[put(Keyspace::Memes, b"k", b"v")])
        .await
        .unwrap();
    let pooled = "application_name = 'hipboard' AND datname = current_database()";
    let ended = sql(
        &url,
        &format!("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {pooled}"),
    )
    .await;
    assert_eq!(single(&ended), "1", "the pool's one connection");
    // Termination is asynchronous: wait until the server has let go of the connection.
    let gone = format!("SELECT count(*) FROM pg_stat_activity WHERE {pooled}");
    while single(&sql(&url, &gone).await) != "0" {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        store.get(Keyspace::Memes, b"k").await.unwrap(),
        Some(b"v".to_vec())
    );
    assert!(store.is_healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_modify_write_from_two_instances_numbers_without_gaps() {
    let Some(url) = database().await else { return };
    let instances = [
        std::sync::Arc::new(PostgresBackend::connect(&url, 4).await.unwrap()),
        std::sync::Arc::new(PostgresBackend::connect(&url, 4).await.unwrap()),
    ];
    let key = b"oauth/last-incident".to_vec();
    let mut tasks = Vec::new();
    for task in 0..16 {
        let store = instances[task % 2].clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut taken = Vec::new();
            while taken.len() < 5 {
                let old = store.get(Keyspace::Counters, &key).await.unwrap();
                let last: u64 = old
                    .as_deref()
                    .map_or(0, |b| std::str::from_utf8(b).unwrap().parse().unwrap());
                let batch = [
                    Op::Expect {
                        space: Keyspace::Counters,
                        key: key.clone(),
                        value: old,
                    },
                    put(Keyspace::Counters, &key, (last + 1).to_string().as_bytes()),
                ];
                match store.apply(&batch).await {
                    Ok(()) => taken.push(last + 1),
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            taken
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.extend(task.await.unwrap());
    }
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=80).collect::<Vec<u64>>(),
        "unique and gap-free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_makes_every_batch_before_it_durable() {
    let Some(url) = database().await else { return };
    let store = PostgresBackend::connect(&url, 2).await.unwrap();
    let client = store.pool.get().await.unwrap();
    for round in 0..5u8 {
        store
            .apply(&[put(Keyspace::Memes, &[round], b"v")])
            .await
            .unwrap();
        // The batch's commit record lies before the WAL's insert position read now.
        let inserted: String = client
            .query_one("SELECT pg_current_wal_insert_lsn()::text", &[])
            .await
            .unwrap()
            .get(0);
        store.flush().await.unwrap();
        let short: f64 = client
            .query_one(
                "SELECT pg_wal_lsn_diff($1::text::pg_lsn, pg_current_wal_flush_lsn())::float8",
                &[&inserted],
            )
            .await
            .unwrap()
            .get(0);
        assert!(
            short <= 0.0,
            "round {round}: the WAL is on disk only up to {short} bytes before the batch"
        );
    }
}

/// The test server's CA (beside its certificate, as `.ci/postgres` makes it), or `None` when
/// the server offers no TLS (a failure under `CI`, whose cluster always does).
async fn test_ca(url: &str) -> Option<String> {
    let ssl = single(&sql(url, "SHOW ssl").await);
    if ssl != "on" {
        assert!(
            std::env::var_os("CI").is_none(),
            "the CI cluster offers TLS (.ci/postgres)"
        );
        return None;
    }
    let cert = single(&sql(url, "SHOW ssl_cert_file").await);
    let ca = std::path::Path::new(&cert).with_file_name("ca.crt");
    Some(ca.to_string_lossy().into_owned())
}

/// Whether the backend's pooled connection is encrypted, as the server sees it.
async fn encrypted(backend: &PostgresBackend) -> bool {
    let client = backend.client().await.unwrap();
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    row.get(0)
}

/// `url` with `query` added to its parameters.
fn with(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_used_and_checked_as_sslmode_says() {
    let Some(url) = database().await else { return };
    let Some(ca) = test_ca(&url).await else {
        return;
    };
    // The server's certificate names localhost, not 127.0.0.1 (the test URL's host).
    let localhost = url.replacen("127.0.0.1", "localhost", 1);
    assert_ne!(localhost, url, "the test server is reached at 127.0.0.1");

    for (url, tls) in [
        (with(&url, "sslmode=disable"), false),
        (url.clone(), true),
        (with(&url, "sslmode=require"), true),
        (
            with(&url, &format!("sslmode=verify-ca&sslrootcert={ca}")),
            true,
        ),
        (
            with(&url, &format!("sslmode=require&sslrootcert={ca}")),
            true,
        ),
        (
            with(&localhost, &format!("sslmode=verify-full&sslrootcert={ca}")),
            true,
        ),
    ] {
        let backend = PostgresBackend::connect(&url, 2)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(encrypted(&backend).await, tls, "{url}");
    }

    // verify-full refuses a certificate for another name, and verify-ca one from an unknown CA.
    let wrong_name = with(&url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let err = PostgresBackend::connect(&wrong_name, 2)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    let unknown_ca = with(&url, "sslmode=verify-ca&sslrootcert=system");
    let err = PostgresBackend::connect(&unknown_ca, 2)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("certificate"), "{err}");
    // `require` with a root file checks the chain (as libpq does): the server's own
    // certificate is no root of itself.
    let server_cert = ca.replace("ca.crt", "server.crt");
    let not_its_root = with(&url, &format!("sslmode=require&sslrootcert={server_cert}"));
    let err = PostgresBackend::connect(&not_its_root, 2)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("certificate"), "{err}");
    // The last sslmode counts, as in libpq.
    let last = with(
        &url,
        &format!("sslmode=verify-full&sslrootcert={ca}&sslmode=disable"),
    );
    let backend = PostgresBackend::connect(&last, 2).await.unwrap();
    assert!(!encrypted(&backend).await);

    // A root file that is not there is named in one line, before anything is tried.
    let missing = with(&url, "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
    let err = PostgresBackend::connect(&missing, 2).await.err().unwrap();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}
