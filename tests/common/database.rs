//! PostgreSQL for tests: a fresh database per test on the server named by
//! `HIPBOARD_TEST_DATABASE_URL` (`.ci/postgres start DIR` prints it), so tests run in parallel.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the test server's admin database.
pub const URL_VAR: &str = "HIPBOARD_TEST_DATABASE_URL";

/// A new, empty database's URL; `None` (with a notice) when no server is configured. Under CI
/// a missing server fails the test instead: CI starts one.
pub async fn fresh() -> Option<String> {
    let admin = match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ if std::env::var_os("CI").is_some() => panic!("{URL_VAR} is not set under CI"),
        _ => {
            eprintln!("skipped: {URL_VAR} is not set (see README: PostgreSQL tests)");
            return None;
        }
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "itest_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test server at {admin}: {e}"));
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).expect("the admin URL is a postgres:// URL");
    url.set_path(&name);
    Some(url.to_string())
}
