//! Hostile requests: oversized bodies and headers, and server-side request forgery through
//! unfurling (other hosts, private addresses, redirects). Only the configured dynaBOARD is ever
//! called, and never followed elsewhere.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Options, World};
use hipboard_sandbox::dynaboard::Fault;

/// A server that counts every request it gets: nothing should reach it.
async fn bystander() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            "secret internal data"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfurling_fetches_nothing_but_the_configured_dynaboard() {
    let fake = common::dynaboard().await;
    fake.put_issue(common::issue("DB-1", "Real", "Open", "new"));
    let (internal, hits) = bystander().await;
    let world = World::start_with(Options::with_dynaboard(fake.base_url())).await;
    world.install_in("Support").await;
    let port = internal.rsplit(':').next().unwrap();
    let links = [
        format!("{internal}/browse/DB-1"),
        format!("http://localhost:{port}/browse/DB-1"),
        format!("http://127.1:{port}/issues/DB-1"),
        format!("http://0x7f000001:{port}/browse/DB-1"),
        format!("http://[::1]:{port}/browse/DB-1"),
        "http://169.254.169.254/latest/meta-data/browse/DB-1".to_owned(),
        format!(
            "{}@{}/browse/DB-1",
            fake.base_url(),
            internal.trim_start_matches("http://")
        ),
        format!("{}.evil.example/browse/DB-1", fake.base_url()),
    ];
    let replies = world.room("Support").say(&links.join(" ")).await;
    assert!(replies.is_empty(), "{replies:?}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a foreign address was called"
    );
    assert_eq!(
        fake.call_count(),
        0,
        "a look-alike of dynaBOARD's URL was fetched"
    );

    // dynaBOARD redirecting elsewhere is reported, not followed.
    fake.set_fault(Some(Fault::Redirect(format!(
        "{internal}/rest/api/2/issue/DB-1"
    ))));
    let replies = world.room("Support").say("/issue DB-1").await;
    assert_eq!(replies[0].message, "dynaBOARD answered 302 unexpectedly");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_headers_are_refused() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let big = vec![b'x'; 300 * 1024];
    for path in [
        "/webhooks/room-message",
        "/dynaboard/events",
        "/installed",
        "/views/configure",
    ] {
        let sent = world
            .http
            .post(format!("{}{path}", world.addon().url))
            .header("Content-Type", "application/json")
            .body(big.clone())
            .send()
            .await;
        match sent {
            Ok(response) => assert!(
                matches!(response.status().as_u16(), 401 | 413),
                "{path}: {} (a body over the limit must not be processed)",
                response.status()
            ),
            // Refused before the upload finished: the server closed the connection on it.
            Err(e) => assert!(e.is_request(), "{path}: {e}"),
        }
    }
    let health = world
        .http
        .get(format!("{}/healthz", world.addon().url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // A signed webhook over the limit: authenticated, and still refused for its size.
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    let text = "x".repeat(300 * 1024);
    let (status, _) = world
        .signed_webhook(&secret, &installed.oauth_id, installed.room_id, &text)
        .await;
    assert_eq!(status, 413);
    let huge = "a".repeat(16 * 1024);
    let response = world
        .http
        .post(format!("{}/webhooks/room-message", world.addon().url))
        .header("Authorization", format!("JWT {huge}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(
        matches!(response.status().as_u16(), 401 | 431),
        "{}",
        response.status()
    );
}
