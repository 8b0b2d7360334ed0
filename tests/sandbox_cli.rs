//! `hipboard sandbox [DESCRIPTOR_URL…]`: the HipChat emulator alone installs any add-on (here a
//! minimal one written in the test, as someone's add-on in another language would be) and
//! prints the URL to open; a refused descriptor is printed with every rule it breaks.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Addon {
    installs: Arc<Mutex<Vec<Value>>>,
}

/// Kills the child when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_add_on_is_installed_and_the_url_printed() {
    let addon = Addon::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let descriptor = json!({
        "key": "com.example.other", "name": "Someone else's add-on", "description": "",
        "vendor": {"name": "Example", "url": "https://example.com"},
        "links": {"self": format!("{base}/descriptor.json"), "homepage": base},
        "capabilities": {
            "hipchatApiConsumer": {"scopes": ["send_notification"]},
            "installable": {"allowGlobal": false, "callbackUrl": format!("{base}/installed")}
        }
    });
    let broken = json!({"key": "bad key!", "name": "Broken"});
    let router = axum::Router::new()
        .route(
            "/descriptor.json",
            get(move || async move { Json(descriptor) }),
        )
        .route("/broken.json", get(move || async move { Json(broken) }))
        .route(
            "/installed",
            post(
                |State(a): State<Addon>, Json(body): Json<Value>| async move {
                    a.installs.lock().unwrap().push(body);
                    axum::http::StatusCode::OK
                },
            ),
        )
        .with_state(addon.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_hipboard"))
            .args([
                "sandbox",
                &format!("{base}/descriptor.json"),
                &format!("{base}/broken.json"),
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HIPBOARD_SANDBOX_ADDR", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // Read on a thread that keeps draining, so the child never writes into a closed pipe.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let lines = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(60)) {
            let done = line.contains("Ctrl-C");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    })
    .await
    .unwrap();
    let text = lines.join("\n");
    assert!(
        text.contains("installed     ") && text.contains("descriptor.json in room"),
        "{text}"
    );
    assert!(text.contains("NOT installed"), "{text}");
    assert!(
        text.contains("links (required)"),
        "each broken rule is named: {text}"
    );
    let open = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("open"))
        .map(|u| u.trim().to_owned())
        .expect("the URL to open is printed");

    // The add-on got HipChat's installation callback from this sandbox.
    let installs = addon.installs.lock().unwrap().clone();
    assert_eq!(installs.len(), 1, "{installs:?}");
    let caps = installs[0]["capabilitiesUrl"].as_str().unwrap();
    assert!(
        caps.starts_with(open.trim_end_matches('/')),
        "{caps} vs {open}"
    );
    // And the printed URL serves the browser client.
    let http = hipboard::net::client(std::time::Duration::from_secs(5));
    let page = http.get(&open).send().await.unwrap();
    assert_eq!(page.status(), 200);
}

#[test]
fn a_non_loopback_sandbox_needs_public() {
    let out = Command::new(env!("CARGO_BIN_EXE_hipboard"))
        .args(["sandbox"])
        .env_clear()
        .env("HIPBOARD_SANDBOX_ADDR", "0.0.0.0:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public"));
}
