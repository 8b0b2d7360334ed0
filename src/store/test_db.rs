//! Test databases: each test gets a fresh database on the server named by
//! `HIPBOARD_TEST_DATABASE_URL` (see `.ci/postgres`), so tests run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The variable naming the test server's admin database.
pub(crate) const URL_VAR: &str = "HIPBOARD_TEST_DATABASE_URL";

/// The admin URL, or `None` (with a notice) when no server is configured. Under CI a missing
/// server is a failure, not a skip.
pub(crate) fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!("{URL_VAR} is not set under CI"),
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (export \"$(.ci/postgres start /tmp/pg)\")");
            None
        }
    }
}

/// Creates an empty database `test_<unique>` through `admin_url` and returns its URL.
pub(crate) async fn fresh_database(admin_url: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    );
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test server at {admin_url}: {e:?}"));
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut url = url::Url::parse(admin_url).expect("the admin URL is a postgres:// URL");
    url.set_path(&name);
    url.to_string()
}

/// Runs `sql` on the database at `url` (test set-up and inspection).
pub(crate) async fn sql(url: &str, sql: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.simple_query(sql).await.unwrap()
}
