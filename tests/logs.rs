//! Secrets stay out of the add-on's logs (issue 12 item 12): with debug logging on, a page opened
//! with a valid `signed_request` leaves its URI in the log with the token redacted.
//! A file of its own: the log subscriber is process-wide.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::World;
use tracing_subscriber::fmt::MakeWriter;

/// Everything logged, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logged_request_uris_hold_no_tokens() {
    let log = Captured::default();
    tracing_subscriber::fmt()
        .with_env_filter("tower_http=debug,hipboard=debug")
        .with_writer(log.clone())
        .with_ansi(false)
        .init();
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let token = world
        .sandbox
        .sign_for(&installed.oauth_id, 1, Some(installed.room_id))
        .unwrap();
    // Plain and percent-encoded parameter names: the query parser reads both as the token.
    for name in ["signed_request", "signed%5Frequest"] {
        let url = format!(
            "{}/views/sidebar?{name}={token}&theme=light",
            world.addon().url
        );
        let response = world.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{name}");
    }
    let logged = log.text();
    assert!(
        logged.contains("/views/sidebar?signed_request=REDACTED&theme=light"),
        "the request is logged: {logged}"
    );
    assert!(logged.contains("signed%5Frequest=REDACTED"), "{logged}");
    assert!(!logged.contains(&token), "a valid token reached the log");
}
