//! Crash test: the real binary under load, killed with SIGKILL at random moments, many times.
//! Afterwards: every acknowledged incident change and every accepted dynaBOARD event is there,
//! every accepted event was announced exactly once (a notification in flight at a kill is looked
//! up in the room's history before it is sent again), nothing is left queued, the store opens
//! cleanly.
//!
//! The same on PostgreSQL: two instances behind one address (a round-robin proxy), one of them
//! SIGKILLed at a time, then a rolling SIGTERM under load while the other keeps answering.
//!
//! `HIPBOARD_CRASH_CYCLES` sets the number of kills (default 12 on sled, 20 on PostgreSQL).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::process::{AddonProcess, free_port};
use common::proxy::Proxy;
use hipboard::model::IncidentState;
use hipboard::store::{Queue, Store};
use hipboard_sandbox::{Sandbox, SandboxSettings};
use serde_json::json;

const SECRET: &str = "crash-test-event-secret";

#[derive(Default, Clone)]
struct Ledger {
    /// Titles of incidents whose /incident was answered 200.
    opened: Vec<String>,
    /// Incident numbers whose /ack was answered "acknowledged".
    acknowledged: Vec<u64>,
    /// Issue keys of events answered 202 or 200.
    accepted: Vec<String>,
}

async fn send_event(http: &reqwest::Client, url: &str, id: &str, key: &str) -> Option<u16> {
    let body = serde_json::to_vec(&json!({
        "id": id, "event": "issue_created", "at": chrono::Utc::now().to_rfc3339(),
        "user": {"first_name": "Zoë", "last_name": "Ångström", "email": "zoe@acme.example", "customer": "Acme", "role": "customer"},
        "issue": {"key": key, "summary": format!("Crash test {key}"), "project": "DB",
                  "url": format!("https://dynaboard.example/browse/{key}"), "type": "Task", "priority": "Minor"}
    }))
    .unwrap();
    let response = http
        .post(format!("{url}/dynaboard/events"))
        .header(
            "X-Dynaboard-Signature",
            hipboard::auth::signature::sign(SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

/// Load until aborted: incidents opened and acknowledged through the sandbox, events sent directly.
fn drive(
    sandbox: &Sandbox,
    url: &str,
    room: i64,
    cycle: usize,
    ledger: &Arc<Mutex<Ledger>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for lane in 0..2 {
        let (sandbox, ledger) = (sandbox.clone(), ledger.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let title = format!("crash {cycle}-{lane}-{n}");
                let Ok(delivery) = sandbox
                    .post_message(room, 2, &format!("/incident {title}"))
                    .await
                else {
                    continue;
                };
                if delivery.webhooks.iter().any(|w| w.status == Some(200)) {
                    ledger.lock().unwrap().opened.push(title);
                }
            }
        }));
    }
    {
        let (sandbox, ledger) = (sandbox.clone(), ledger.clone());
        tasks.push(tokio::spawn(async move {
            for k in 1.. {
                let Ok(delivery) = sandbox
                    .post_message(room, 1, &format!("/ack INC-{k}"))
                    .await
                else {
                    continue;
                };
                if !delivery.webhooks.iter().any(|w| w.status == Some(200)) {
                    continue;
                }
                let replied = sandbox.history(room).iter().any(|p| {
                    p.attach_to.as_deref() == Some(delivery.message_id.as_str())
                        && p.message.contains("acknowledged <b>INC-")
                });
                if replied {
                    ledger.lock().unwrap().acknowledged.push(k);
                }
            }
        }));
    }
    {
        let (url, ledger) = (url.to_owned(), ledger.clone());
        tasks.push(tokio::spawn(async move {
            let http = hipboard::net::client(Duration::from_secs(5));
            for n in 0.. {
                let key = format!("DB-{}", cycle * 100_000 + n + 1);
                if matches!(
                    send_event(&http, &url, &format!("evt-{key}"), &key).await,
                    Some(200 | 202)
                ) {
                    ledger.lock().unwrap().accepted.push(key);
                }
            }
        }));
    }
    tasks
}

fn announced(sandbox: &Sandbox, room: i64) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for p in sandbox.history(room) {
        if let Some(id) = p.card.as_ref().and_then(|c| c["id"].as_str()) {
            if id.starts_with("DB-") {
                *counts.entry(id.to_owned()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Kills to make: `HIPBOARD_CRASH_CYCLES`, else `default`.
fn cycles(default: usize) -> usize {
    std::env::var("HIPBOARD_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The load is far over HipChat Cloud's limits; this sandbox and the add-on agree on higher ones.
async fn unlimited_sandbox() -> (Sandbox, tokio::task::JoinHandle<()>) {
    let limits = hipboard_sandbox::Limits {
        per_token: 1_000_000,
        per_room: 1_000_000,
        ..hipboard_sandbox::Limits::hipchat()
    };
    common::sandbox_only(SandboxSettings {
        limits,
        ..SandboxSettings::default()
    })
    .await
}

/// The add-on's environment: installable from `sandbox`, the crash test's event secret, the
/// sandbox's limits.
fn addon_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    vec![
        ("HIPBOARD_HIPCHAT_ORIGINS", sandbox.base_url().to_owned()),
        ("DYNABOARD_URL", "http://127.0.0.1:9".to_owned()),
        ("DYNABOARD_TOKEN", "unused".to_owned()),
        ("DYNABOARD_WEBHOOK_SECRET", SECRET.to_owned()),
        (
            "HIPBOARD_HIPCHAT_LIMITS",
            "1000000/60,1000000/60".to_owned(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_acknowledged() {
    let cycles = cycles(12);
    let (sandbox, _task) = unlimited_sandbox().await;
    let data = tempfile::tempdir().unwrap();
    let addr = free_port();
    let env = addon_env(&sandbox);
    let room = sandbox.room_named("Support").unwrap().id;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut oauth_id = String::new();
    for cycle in 0..cycles {
        let mut addon = AddonProcess::spawn(data.path(), addr, &env).await;
        if cycle == 0 {
            oauth_id = sandbox
                .install(&format!("{}/descriptor.json", addon.url), Some(room))
                .await
                .unwrap();
        }
        let tasks = drive(&sandbox, &addon.url, room, cycle, &ledger);
        let wait = 150 + rand::random::<u64>() % 600;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        addon.kill().await;
        for task in tasks {
            task.abort();
        }
    }

    // Restart once more and let it finish everything it accepted.
    let mut addon = AddonProcess::spawn(data.path(), addr, &env).await;
    let accepted = ledger.lock().unwrap().accepted.clone();
    wait_announced(&sandbox, room, &accepted).await;
    addon.signal("TERM");
    assert!(addon.wait_exit(Duration::from_secs(20)).await.success());

    let store = Store::open(data.path()).expect("the store opens cleanly after all the kills");
    let ledger = ledger.lock().unwrap().clone();
    verify(&store, &sandbox, room, &oauth_id, &ledger, cycles).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgres_sigkilled_under_load_lose_nothing() {
    let Some(database) = common::postgres::fresh_database().await else {
        return;
    };
    let cycles = cycles(20);
    let (sandbox, _task) = unlimited_sandbox().await;
    let public = free_port();
    let addrs = [free_port(), free_port()];
    let mut env = addon_env(&sandbox);
    env.extend([
        ("HIPBOARD_DATABASE_URL", database.clone()),
        ("HIPBOARD_BASE_URL", format!("http://{public}")),
    ]);
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut instances = Vec::new();
    for (dir, addr) in dirs.iter().zip(addrs) {
        instances.push(AddonProcess::spawn(dir.path(), addr, &env).await);
    }
    let proxy = Proxy::start(
        public,
        addrs.iter().map(|a| format!("http://{a}")).collect(),
    )
    .await;
    let room = sandbox.room_named("Support").unwrap().id;
    let oauth_id = sandbox
        .install(&format!("{}/descriptor.json", proxy.url), Some(room))
        .await
        .unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    for cycle in 0..cycles {
        let tasks = drive(&sandbox, &proxy.url, room, cycle, &ledger);
        let wait = 150 + rand::random::<u64>() % 600;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let victim = rand::random::<u64>() as usize % instances.len();
        instances[victim].kill().await;
        // The other instance goes on alone for a moment, then the killed one comes back.
        tokio::time::sleep(Duration::from_millis(100)).await;
        for task in tasks {
            task.abort();
        }
        instances[victim] = AddonProcess::spawn(dirs[victim].path(), addrs[victim], &env).await;
    }

    // A rolling restart: SIGTERM to one instance under load; the other keeps answering.
    let tasks = drive(&sandbox, &proxy.url, room, cycles, &ledger);
    tokio::time::sleep(Duration::from_millis(300)).await;
    instances[0].signal("TERM");
    assert!(
        instances[0]
            .wait_exit(Duration::from_secs(20))
            .await
            .success()
    );
    // The other instance keeps answering: more incidents are opened with this one gone (a
    // condition waited for, bounded generously, so a busy machine is only slower).
    let before = ledger.lock().unwrap().opened.len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while ledger.lock().unwrap().opened.len() <= before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other instance answered while one restarted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for task in tasks {
        task.abort();
    }
    instances[0] = AddonProcess::spawn(dirs[0].path(), addrs[0], &env).await;

    let accepted = ledger.lock().unwrap().accepted.clone();
    wait_announced(&sandbox, room, &accepted).await;
    for instance in &mut instances {
        instance.signal("TERM");
        assert!(instance.wait_exit(Duration::from_secs(20)).await.success());
    }
    let store = Store::open_postgres(&database, 2)
        .await
        .expect("the database opens after all the kills");
    let ledger = ledger.lock().unwrap().clone();
    verify(&store, &sandbox, room, &oauth_id, &ledger, cycles).await;
}

/// Waits until every accepted event was announced (a dead instance's work is taken over).
async fn wait_announced(sandbox: &Sandbox, room: i64, accepted: &[String]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let seen = announced(sandbox, room);
        if accepted.iter().all(|k| seen.contains_key(k)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "accepted events never announced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Anything sent twice would arrive about now.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Nothing acknowledged was lost, nothing was announced twice, nothing is left queued.
async fn verify(
    store: &Store,
    sandbox: &Sandbox,
    room: i64,
    oauth_id: &str,
    ledger: &Ledger,
    cycles: usize,
) {
    let total = store.incident_count(oauth_id).await as u64;
    let mut titles: Vec<String> = Vec::new();
    for n in 1..=total {
        titles.extend(store.incident(oauth_id, n).await.unwrap().map(|i| i.title));
    }
    assert_eq!(
        titles.len() as u64,
        total,
        "incident numbers have gaps: {total} numbered, {} found",
        titles.len()
    );
    for title in &ledger.opened {
        assert!(
            titles.contains(title),
            "acknowledged incident {title:?} was lost"
        );
    }
    for k in &ledger.acknowledged {
        let incident = store
            .incident(oauth_id, *k)
            .await
            .unwrap()
            .expect("acknowledged incident exists");
        assert_ne!(
            incident.state,
            IncidentState::Open,
            "INC-{k}'s acknowledgement was lost"
        );
    }
    let seen = announced(sandbox, room);
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert_eq!(
        duplicates, 0,
        "announcements sent twice over {cycles} kills: {seen:?}"
    );
    assert_eq!(
        store.queue_len(Queue::Inbox).await,
        0,
        "work left in the inbox"
    );
    assert_eq!(
        store.queue_len(Queue::Outbox).await,
        0,
        "calls left in the outbox"
    );
    println!(
        "{cycles} kills: {} incidents acknowledged, {} acknowledgements, {} events accepted, {duplicates} duplicate announcements",
        ledger.opened.len(),
        ledger.acknowledged.len(),
        ledger.accepted.len()
    );
    assert!(
        !ledger.opened.is_empty() && !ledger.accepted.is_empty(),
        "the load did not run"
    );
}
