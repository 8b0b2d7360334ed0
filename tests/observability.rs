//! Metrics and structured logs as an operator sees them (issue 16): `hipboard serve` with
//! `HIPBOARD_METRICS_ADDR` and `HIPBOARD_LOG_FORMAT=json`, scraped over HTTP, its stderr read
//! line by line; and the webhook, queue and HipChat metrics of a running add-on.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::World;
use common::process::free_port;
use serde_json::Value;

async fn scrape(http: &reqwest::Client, addr: std::net::SocketAddr) -> String {
    let response = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample `name{labels}` (labels as rendered, in order), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exposes_metrics_on_its_own_listener_and_logs_json_with_request_ids() {
    let data = tempfile::tempdir().unwrap();
    let (addr, metrics) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hipboard"))
        .arg("serve")
        .env_clear()
        .env("HIPBOARD_ADDR", addr.to_string())
        .env("HIPBOARD_DATA_DIR", data.path())
        .env("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))
        .env("HIPBOARD_METRICS_ADDR", metrics.to_string())
        .env("HIPBOARD_LOG_FORMAT", "json")
        .env("RUST_LOG", "hipboard=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = hipboard::net::client(Duration::from_secs(5));
    let url = format!("http://{addr}");
    let mut up = false;
    for _ in 0..300 {
        // 503 `starting` until the store is open: up means 200.
        let answered = http.get(format!("{url}/healthz")).send().await;
        if answered.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "hipboard serve came up");

    // The caller's request id is echoed; a hostile one is replaced by a fresh id.
    let answer = http
        .get(format!("{url}/descriptor.json"))
        .header("X-Request-Id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["x-request-id"], "trace-me-42");
    let answer = http
        .get(format!("{url}/healthz"))
        .header("X-Request-Id", "<script>")
        .send()
        .await
        .unwrap();
    let fresh = answer.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(fresh.len(), 32, "{fresh}");

    // A forged webhook: refused, counted by reason, logged under its request id.
    let forged = http
        .post(format!("{url}/webhooks/room-message"))
        .header("Authorization", "JWT not.a.token")
        .header("X-Request-Id", "forged-1")
        .json(&serde_json::json!({"event": "room_message"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let text = scrape(&http, metrics).await;
    assert_eq!(
        sample(
            &text,
            r#"hipboard_http_requests_total{route="/descriptor.json",method="GET",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"hipboard_webhooks_total{outcome="refused",reason="unauthenticated"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"hipboard_queue_depth{queue="outbox"}"#),
        Some(0.0)
    );
    assert!(
        text.contains("hipboard_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    // Never on the add-on's own address.
    let public = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);

    // SIGTERM, then every stderr line is one JSON object; the refusal carries its request id.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .collect();
    child.wait().unwrap();
    let logged: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect();
    assert!(
        logged
            .iter()
            .any(|l| l["fields"]["message"] == "hipboard add-on listening"),
        "{lines:?}"
    );
    assert!(
        logged
            .iter()
            .any(|l| l["span"]["request_id"] == "forged-1" && l["level"] == "DEBUG"),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_outcomes_hipchat_calls_and_commits_are_counted() {
    let world = World::start().await;
    let metrics = free_port();
    hipboard::web::server::serve_metrics(&world.addon().app, metrics)
        .await
        .unwrap();
    let installed = world.install_in("Support").await;
    let room = world.room("Support");
    room.say_twice("/help").await;
    world.room("Support").say("/incident Metrics are on").await;
    let secret = world.sandbox.secret_of(&installed.oauth_id).unwrap();
    // Delivered directly: HipChat itself sends only what the webhook's pattern matches.
    let (status, _) = world
        .signed_webhook(&secret, &installed.oauth_id, room.id, "just chatting")
        .await;
    assert_eq!(status, 204);
    let (status, _) = world
        .signed_webhook(&format!("{secret}x"), &installed.oauth_id, room.id, "/help")
        .await;
    assert_eq!(status, 401);

    let text = scrape(&world.http, metrics).await;
    let count = |series: &str| sample(&text, series).unwrap_or(0.0);
    assert!(
        count(r#"hipboard_webhooks_total{outcome="handled",reason=""}"#) >= 2.0,
        "{text}"
    );
    assert!(
        count(r#"hipboard_webhooks_total{outcome="duplicate",reason=""}"#) >= 1.0,
        "{text}"
    );
    assert!(
        count(r#"hipboard_webhooks_total{outcome="ignored",reason=""}"#) >= 1.0,
        "{text}"
    );
    assert!(
        count(r#"hipboard_webhooks_total{outcome="refused",reason="unauthenticated"}"#) >= 1.0,
        "{text}"
    );
    // The incident's glance push went through the outbox to HipChat, with a token.
    assert!(
        count(r#"hipboard_hipchat_calls_total{outcome="2xx"}"#) >= 1.0,
        "{text}"
    );
    assert!(
        count(r#"hipboard_token_renewals_total{outcome="ok"}"#) >= 1.0,
        "{text}"
    );
    assert!(
        count("hipboard_store_commit_duration_seconds_count") >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"hipboard_queue_depth{queue="inbox"}"#),
        Some(0.0)
    );
}
