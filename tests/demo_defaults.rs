//! The README's things to try hold with the demo's defaults (issue 13 item 8): `hipboard demo`
//! as a process, its event console's Log in and Log out announced in the room.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::json_of;
use common::process::free_port;
use serde_json::json;

/// A running `hipboard demo`, killed when dropped.
struct Demo {
    child: std::process::Child,
    sandbox: String,
    dynaboard: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the demo on free ports and waits for its banner.
fn start_demo() -> Demo {
    let (addon, sandbox, dynaboard) = (free_port(), free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hipboard"))
        .arg("demo")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HIPBOARD_ADDR", addon.to_string())
        .env("HIPBOARD_SANDBOX_ADDR", sandbox.to_string())
        .env("HIPBOARD_DEMO_DYNABOARD_ADDR", dynaboard.to_string())
        .env("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "hipboard=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("hipboard demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let demo = Demo {
        child,
        sandbox: format!("http://{sandbox}"),
        dynaboard: format!("http://{dynaboard}"),
    };
    let mut banner = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("demo output");
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Ctrl-C stops everything") {
            return demo;
        }
    }
    panic!("the demo ended before it was ready:\n{banner}");
}

/// Notifications in the room, as the sandbox's browser client reads them.
async fn notices(http: &reqwest::Client, demo: &Demo, room: i64) -> Vec<String> {
    let url = format!("{}/sandbox/api/rooms/{room}/messages", demo.sandbox);
    let body = json_of(http.get(url)).await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "notification")
        .filter_map(|m| m["message"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until a notice containing `text` is in the room; the demo runs as its own process,
/// so there is no idle signal to wait for, only the room to watch.
async fn wait_for(http: &reqwest::Client, demo: &Demo, room: i64, text: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = notices(http, demo, room).await;
        if seen.iter().any(|n| n.contains(text)) || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_console_s_log_in_and_log_out_appear_in_the_room() {
    let demo = start_demo();
    let http = hipboard::net::client(Duration::from_secs(10));
    let state = json_of(http.get(format!("{}/sandbox/api/state", demo.sandbox))).await;
    let support = state["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Support")
        .and_then(|r| r["id"].as_i64())
        .expect("the demo has a Support room");
    // The console's first person is a customer, its last an admin: both are announced.
    for (user, event, text) in [
        (
            0,
            "user_login",
            "Zoë Ångström</b> (customer, Acme Corp) logged in to dynaBOARD.",
        ),
        (
            3,
            "user_logout",
            "Ольга Петрова</b> (admin) logged out of dynaBOARD.",
        ),
    ] {
        let fire = http.post(format!("{}/demo/fire", demo.dynaboard));
        let fired = json_of(fire.json(&json!({"user": user, "event": event}))).await;
        assert_eq!(fired["status"], 202, "{fired}");
        let seen = wait_for(&http, &demo, support, text).await;
        assert!(
            seen.iter().any(|n| n.contains(text)),
            "{text:?} in {seen:?}"
        );
    }
}
