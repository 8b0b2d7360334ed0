//! The add-on on PostgreSQL (`HIPBOARD_DATABASE_URL`): it waits for a database that does not
//! answer yet, says on `/readyz` while its database is gone and recovers when it returns, and the
//! binary's `check`, `serve` and `migrate` speak of the database in one clear line each.
//! Skipped with a notice unless `HIPBOARD_TEST_DATABASE_URL` names a test server.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::postgres::{Proxy, fresh_database, sql};
use hipboard::app::{App, open_store};
use hipboard::clock::Clock;
use hipboard::config::{Config, RawConfig};
use hipboard::store::{Batch, Retry, Store};

/// Attempts in quick succession: the tests wait for conditions, never for the clock.
const QUICK: Retry = Retry {
    first: Duration::from_millis(5),
    max: Duration::from_millis(20),
};

fn config(database_url: &str) -> Config {
    RawConfig {
        addr: Some("127.0.0.1:0".into()),
        database_url: Some(database_url.into()),
        resources: Some(env!("CARGO_MANIFEST_DIR").into()),
        ..RawConfig::default()
    }
    .validate()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_waits_for_a_database_that_does_not_answer_yet() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let proxy = Proxy::start(&url, false).await;
    let config = config(&proxy.url(&url));
    let opening = tokio::spawn(async move { open_store(&config, QUICK).await });
    while proxy.turned_away() < 3 {
        assert!(!opening.is_finished(), "gave up on a database that is down");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    proxy.set_up(true);
    let store = opening
        .await
        .unwrap()
        .expect("opens once the database answers");
    assert_eq!(store.backend_name(), "postgres");
    assert_eq!(
        store.schema_version(),
        Some(hipboard::store::SCHEMA_VERSION)
    );
    assert!(store.is_healthy().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_while_the_database_is_gone_and_recovers_when_it_returns() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let proxy = Proxy::start(&url, true).await;
    let app = App::build(config(&proxy.url(&url)), Clock::system())
        .await
        .unwrap();
    app.start_background().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http = hipboard::net::client(Duration::from_secs(5));
    let readyz = async || {
        let response = http.get(format!("{base}/readyz")).send().await.unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        (
            status,
            body["status"].as_str().unwrap_or_default().to_owned(),
        )
    };

    assert_eq!(readyz().await, (200, "ready".to_owned()));
    proxy.set_up(false);
    assert_eq!(readyz().await, (503, "store unavailable".to_owned()));
    assert_eq!(readyz().await, (503, "store unavailable".to_owned()));
    proxy.set_up(true);
    assert_eq!(readyz().await, (200, "ready".to_owned()));
}

fn hipboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hipboard"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "off");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exits with status 2 and one line on stderr holding `needle`.
fn assert_refused(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {stderr}");
    assert!(lines[0].starts_with("hipboard: error: "), "{stderr}");
    assert!(lines[0].contains(needle), "{needle:?} not in {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_the_database_and_its_schema_version() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let version = hipboard::store::SCHEMA_VERSION;
    // The test server's URL carries no password: it is printed as given. A check never
    // migrates: a fresh database stays at version 0 until hipboard starts on it.
    for _ in 0..2 {
        let out = hipboard(&["check"], &[("HIPBOARD_DATABASE_URL", &url)]);
        assert!(out.status.success(), "{out:?}");
        let expected = format!(
            "ok    store: postgres at {url}, schema version 0 \
             (hipboard migrates it to {version} when it starts)"
        );
        assert!(
            stdout(&out).lines().any(|l| l == expected),
            "{expected:?} in {out:?}"
        );
    }
    drop(Store::open_postgres(&url, 1).await.unwrap());
    let out = hipboard(&["check"], &[("HIPBOARD_DATABASE_URL", &url)]);
    assert!(out.status.success(), "{out:?}");
    let expected = format!("ok    store: postgres at {url}, schema version {version}");
    assert!(
        stdout(&out).lines().any(|l| l == expected),
        "{expected:?} in {out:?}"
    );

    // A newer schema fails the check, saying so.
    sql(
        &url,
        &format!(
            "INSERT INTO hipboard_schema (version) VALUES ({})",
            version + 1
        ),
    )
    .await;
    let out = hipboard(&["check"], &[("HIPBOARD_DATABASE_URL", &url)]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.starts_with("FAIL  store: postgres at ")
                && l.contains("is newer than this hipboard")),
        "{out:?}"
    );

    // Nobody listens on the proxy's port once it is gone: the check fails, saying where.
    let proxy = Proxy::start(&url, false).await;
    let down = proxy.url(&url);
    let out = hipboard(&["check"], &[("HIPBOARD_DATABASE_URL", &down)]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let line = stdout(&out)
        .lines()
        .find(|l| l.starts_with("FAIL  store: cannot reach PostgreSQL at"))
        .map(str::to_owned);
    assert!(line.is_some(), "{out:?}");

    // Without a database, sled in the data directory, as always.
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("data");
    let out = hipboard(&["check"], &[("HIPBOARD_DATA_DIR", dir.to_str().unwrap())]);
    assert!(out.status.success(), "{out:?}");
    let expected = format!("ok    store: sled in {}", dir.display());
    assert!(stdout(&out).lines().any(|l| l == expected), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_newer_schema_in_one_line_without_retrying() {
    let Some(url) = fresh_database().await else {
        return;
    };
    drop(Store::open_postgres(&url, 1).await.unwrap());
    let newer = hipboard::store::SCHEMA_VERSION + 1;
    sql(
        &url,
        &format!("INSERT INTO hipboard_schema (version) VALUES ({newer})"),
    )
    .await;
    let out = hipboard(
        &["serve"],
        &[
            ("HIPBOARD_DATABASE_URL", &url),
            ("HIPBOARD_ADDR", "127.0.0.1:0"),
        ],
    );
    assert_refused(&out, "HIPBOARD_DATABASE_URL: cannot open the store in");
    assert_refused(
        &out,
        &format!("schema version {newer} is newer than this hipboard"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_into_an_empty_database_and_refuses_a_used_one() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let out = hipboard(&["migrate", "--to", &url], &[("HIPBOARD_DATA_DIR", dir)]);
    assert_refused(&out, "holds no hipboard data");
    // `check` opens (so creates) the sled store, and lets go of it when it exits.
    let out = hipboard(&["check"], &[("HIPBOARD_DATA_DIR", dir)]);
    assert!(out.status.success(), "{out:?}");
    let out = hipboard(&["migrate", "--to", &url], &[("HIPBOARD_DATA_DIR", dir)]);
    assert!(out.status.success(), "{out:?}");
    let printed = stdout(&out);
    for space in ["installations", "incidents", "seen", "inbox", "outbox"] {
        assert!(
            printed
                .lines()
                .any(|l| l.starts_with("ok    ") && l.split_whitespace().nth(1) == Some(space)),
            "{space} in {printed}"
        );
    }

    // Once the database holds anything, a second migration is refused.
    let store = Store::open_postgres(&url, 1).await.unwrap();
    let mut batch = Batch::new();
    store.claim(&mut batch, "msg:1", 1, 60);
    store.commit(batch).await.unwrap();
    let out = hipboard(&["migrate", "--to", &url], &[("HIPBOARD_DATA_DIR", dir)]);
    assert_refused(
        &out,
        "is not empty: hipboard migrate copies into an empty database only",
    );

    let out = hipboard(
        &["migrate", "--to", "mysql://db/x"],
        &[("HIPBOARD_DATA_DIR", dir)],
    );
    assert_refused(&out, "--to: must be postgres://");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_starting_while_it_waits_for_its_database() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let proxy = Proxy::start(&url, false).await;
    let addr = common::process::free_port();
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_hipboard"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))
            .env("HIPBOARD_ADDR", addr.to_string())
            .env("HIPBOARD_DATABASE_URL", proxy.url(&url))
            .env("RUST_LOG", "off")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = hipboard::net::client(Duration::from_secs(5));
    // Waits (on conditions, not the clock) until /readyz answers `status`.
    let mut answers = async |wanted: u16| -> String {
        loop {
            if let Ok(response) = http.get(format!("http://{addr}/readyz")).send().await {
                if response.status().as_u16() == wanted {
                    let body: serde_json::Value = response.json().await.unwrap();
                    return body["status"].as_str().unwrap_or_default().to_owned();
                }
            }
            assert!(child.0.try_wait().unwrap().is_none(), "serve exited");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    assert_eq!(answers(503).await, "starting");
    // It answers before its first try at the database: wait for a try to be turned away.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while proxy.turned_away() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "it never tried the database"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        answers(503).await,
        "starting",
        "still waiting for the database"
    );
    proxy.set_up(true);
    assert_eq!(answers(200).await, "ready");
}

/// A child process, killed when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
