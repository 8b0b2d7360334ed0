//! Several `hipboard serve` on one PostgreSQL behind one address (a round-robin proxy), driven
//! through the sandbox HipChat: every guarantee one process keeps holds across instances.
//! Needs `HIPBOARD_TEST_DATABASE_URL` (`.ci/postgres start DIR`); skipped with a notice without
//! it, except under CI.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::process::{AddonProcess, free_port};
use common::proxy::Proxy;
use hipboard::store::{Queue, Store};
use hipboard_sandbox::{Limits, Sandbox, SandboxSettings};
use serde_json::json;

const SECRET: &str = "instances-test-event-secret";

/// Instances, the proxy in front of them, the sandbox, and the installation in room Support.
struct Cluster {
    sandbox: Sandbox,
    _sandbox_task: tokio::task::JoinHandle<()>,
    _proxy: Proxy,
    proxy_url: String,
    instances: Vec<AddonProcess>,
    _dirs: Vec<tempfile::TempDir>,
    database: String,
    oauth_id: String,
    room: i64,
    http: reqwest::Client,
}

async fn cluster(n: usize) -> Option<Cluster> {
    cluster_keeping(n, Limits::hipchat()).await
}

/// [`cluster`], HipChat (the sandbox) and the instances keeping `limits`.
async fn cluster_keeping(n: usize, limits: Limits) -> Option<Cluster> {
    let database = common::postgres::fresh_database().await?;
    let (sandbox, sandbox_task) = common::sandbox_only(SandboxSettings {
        limits,
        ..SandboxSettings::default()
    })
    .await;
    let public = free_port();
    let env = [
        ("HIPBOARD_HIPCHAT_ORIGINS", sandbox.base_url().to_owned()),
        ("DYNABOARD_URL", "http://127.0.0.1:9".to_owned()),
        ("DYNABOARD_TOKEN", "unused".to_owned()),
        ("DYNABOARD_WEBHOOK_SECRET", SECRET.to_owned()),
        ("HIPBOARD_DATABASE_URL", database.clone()),
        ("HIPBOARD_BASE_URL", format!("http://{public}")),
        (
            "HIPBOARD_HIPCHAT_LIMITS",
            format!(
                "{}/{},{}/{}",
                limits.per_room,
                limits.room_window.as_secs(),
                limits.per_token,
                limits.token_window.as_secs()
            ),
        ),
    ];
    let mut dirs = Vec::new();
    let mut instances = Vec::new();
    for _ in 0..n {
        let dir = tempfile::tempdir().unwrap();
        instances.push(AddonProcess::spawn(dir.path(), free_port(), &env).await);
        dirs.push(dir);
    }
    let proxy = Proxy::start(public, instances.iter().map(|i| i.url.clone()).collect()).await;
    let room = sandbox.room_named("Support").unwrap().id;
    let oauth_id = sandbox
        .install(&format!("{}/descriptor.json", proxy.url), Some(room))
        .await
        .unwrap();
    Some(Cluster {
        sandbox,
        _sandbox_task: sandbox_task,
        proxy_url: proxy.url.clone(),
        _proxy: proxy,
        instances,
        _dirs: dirs,
        database,
        oauth_id,
        room,
        http: hipboard::net::client(Duration::from_secs(10)),
    })
}

impl Cluster {
    /// Waits until the room's history stops changing and nothing is left queued.
    async fn settle(&self, store: &Store) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut last = usize::MAX;
        loop {
            let now = self.sandbox.history(self.room).len();
            let queued = store.queue_len(Queue::Inbox).await + store.queue_len(Queue::Outbox).await;
            if now == last && queued == 0 {
                return;
            }
            last = now;
            assert!(tokio::time::Instant::now() < deadline, "work never settled");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Sends a dynaBOARD event, signed, to `base`; its status and JSON answer.
    async fn send(&self, base: &str, event: &serde_json::Value) -> (u16, serde_json::Value) {
        let body = serde_json::to_vec(event).unwrap();
        let response = self
            .http
            .post(format!("{base}/dynaboard/events"))
            .header(
                "X-Dynaboard-Signature",
                hipboard::auth::signature::sign(SECRET.as_bytes(), &body),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Sends an `issue_created` event for `key` with delivery id `id` to `base`; its status.
    async fn post_event(&self, base: &str, id: &str, key: &str) -> u16 {
        let event = json!({
            "id": id, "event": "issue_created", "at": chrono::Utc::now().to_rfc3339(),
            "user": {"first_name": "Ana", "last_name": "Díaz", "email": "ana@acme.example",
                     "customer": "Acme", "role": "customer"},
            "issue": {"key": key, "summary": format!("Issue {key}"), "project": "DB",
                      "url": format!("https://dynaboard.example/browse/{key}"),
                      "type": "Task", "priority": "Minor"}
        });
        self.send(base, &event).await.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_redelivered_to_other_instances_are_acted_on_once_and_numbered_without_gaps() {
    let Some(cluster) = cluster(2).await else {
        return;
    };
    let (sandbox, room) = (&cluster.sandbox, cluster.room);
    // Four people open incidents at once; the proxy spreads the webhooks over both instances.
    let mut tasks = Vec::new();
    for person in 0..4 {
        let sandbox = sandbox.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..6 {
                let text = format!("/incident outage {person}-{n}");
                let delivery = sandbox.post_message(room, 1, &text).await.unwrap();
                ids.push((text, delivery.message_id));
            }
            ids
        }));
    }
    let mut posted = Vec::new();
    for task in tasks {
        posted.extend(task.await.unwrap());
    }
    // Answers that change nothing are claimed too, where every instance sees the claim.
    let mut helps = Vec::new();
    for n in 0..4 {
        let text = format!("/help incident {n}");
        let delivery = sandbox.post_message(room, 2, &text).await.unwrap();
        helps.push((text, delivery.message_id));
    }
    // HipChat delivers every message once more; round robin sends most to the other instance.
    for (_, message_id) in posted.iter().chain(&helps) {
        sandbox.redeliver(room, message_id).await.unwrap();
    }
    let store = Store::open_postgres(&cluster.database, 2).await.unwrap();
    cluster.settle(&store).await;

    let total = store.incident_count(&cluster.oauth_id).await;
    assert_eq!(
        total,
        posted.len(),
        "one incident per message, not per delivery"
    );
    let mut titles = Vec::new();
    for number in 1..=total as u64 {
        let incident = store
            .incident(&cluster.oauth_id, number)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("INC-{number} missing: numbers have a gap"));
        titles.push(incident.title);
    }
    titles.sort();
    let mut expected: Vec<String> = posted
        .iter()
        .map(|(text, _)| text.trim_start_matches("/incident ").to_owned())
        .collect();
    expected.sort();
    assert_eq!(titles, expected);

    // Each message was answered once, whichever instance got which delivery.
    let mut answers: HashMap<String, usize> = HashMap::new();
    for posted in sandbox.history(room) {
        if let Some(to) = posted.attach_to {
            *answers.entry(to).or_default() += 1;
        }
    }
    for (text, message_id) in posted.iter().chain(&helps) {
        assert_eq!(answers.get(message_id), Some(&1), "answers to {text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_delivered_to_every_instance_is_announced_once() {
    let Some(cluster) = cluster(3).await else {
        return;
    };
    let store = Store::open_postgres(&cluster.database, 2).await.unwrap();
    for n in 0..5 {
        let key = format!("DB-{}", 100 + n);
        let id = format!("evt-{key}");
        let sends = cluster
            .instances
            .iter()
            .map(|instance| cluster.post_event(&instance.url, &id, &key));
        let statuses = futures::future::join_all(sends).await;
        assert!(
            statuses.iter().all(|s| matches!(s, 200 | 202)),
            "every delivery is acknowledged: {statuses:?}"
        );
    }
    cluster.settle(&store).await;
    let mut cards: HashMap<String, usize> = HashMap::new();
    for posted in cluster.sandbox.history(cluster.room) {
        if let Some(id) = posted.card.as_ref().and_then(|c| c["id"].as_str()) {
            *cards.entry(id.to_owned()).or_default() += 1;
        }
    }
    for n in 0..5 {
        let key = format!("DB-{}", 100 + n);
        assert_eq!(
            cards.get(&key),
            Some(&1),
            "announcements of {key}: {cards:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_uninstall_through_one_instance_takes_effect_on_every_instance_at_once() {
    let Some(cluster) = cluster(2).await else {
        return;
    };
    let token = cluster
        .sandbox
        .sign_for(&cluster.oauth_id, 1, Some(cluster.room))
        .unwrap();
    let glance = |base: &str| format!("{base}/views/glance/incidents?signed_request={token}");
    // Both instances know the installation (and would have cached it).
    for instance in &cluster.instances {
        let status = cluster
            .http
            .get(glance(&instance.url))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    let status = cluster.sandbox.uninstall(&cluster.oauth_id).await.unwrap();
    assert!((200..300).contains(&status), "uninstall answered {status}");
    for instance in &cluster.instances {
        let status = cluster
            .http
            .get(glance(&instance.url))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            status, 401,
            "{} still accepts the removed installation",
            instance.url
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hipchats_rate_limits_hold_for_all_instances_together() {
    // Five messages per room in three seconds, for the add-on as a whole.
    let limits = Limits {
        per_room: 5,
        room_window: Duration::from_secs(3),
        ..Limits::hipchat()
    };
    let Some(cluster) = cluster_keeping(2, limits).await else {
        return;
    };
    let store = Store::open_postgres(&cluster.database, 2).await.unwrap();
    // Twelve announcements for one room, accepted by both instances (round robin).
    for n in 0..12 {
        let key = format!("DB-{}", 200 + n);
        let status = cluster
            .post_event(&cluster.proxy_url, &format!("evt-{key}"), &key)
            .await;
        assert!(matches!(status, 200 | 202), "{key}: {status}");
    }
    cluster.settle(&store).await;
    let cards = cluster
        .sandbox
        .history(cluster.room)
        .iter()
        .filter(|p| p.card.is_some())
        .count();
    assert_eq!(cards, 12, "every announcement arrived");
    let refused: Vec<_> = cluster
        .sandbox
        .recorded()
        .into_iter()
        .filter(|r| r.status == 429)
        .collect();
    assert!(
        refused.is_empty(),
        "HipChat refused calls as over its limit: {refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_rooms_deferred_jobs_run_in_order_whichever_instance_accepted_them() {
    let Some(cluster) = cluster(2).await else {
        return;
    };
    let store = Store::open_postgres(&cluster.database, 2).await.unwrap();
    // One after another through the proxy: accepted alternately by each instance.
    let keys: Vec<String> = (0..10).map(|n| format!("DB-{}", 300 + n)).collect();
    for key in &keys {
        let status = cluster
            .post_event(&cluster.proxy_url, &format!("evt-{key}"), key)
            .await;
        assert!(matches!(status, 200 | 202), "{key}: {status}");
    }
    cluster.settle(&store).await;
    let announced: Vec<String> = cluster
        .sandbox
        .history(cluster.room)
        .iter()
        .filter_map(|p| p.card.as_ref()?["id"].as_str().map(str::to_owned))
        .filter(|id| id.starts_with("DB-3"))
        .collect();
    assert_eq!(announced, keys, "announced in the order accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chat_request_sent_to_every_instance_at_once_opens_one_room() {
    let Some(cluster) = cluster(2).await else {
        return;
    };
    // Two clicks of one user (two deliveries), one to each instance, at the same moment.
    let request = |id: &str| {
        json!({"id": id, "event": "chat_request", "at": chrono::Utc::now().to_rfc3339(),
               "user": {"first_name": "Ana", "last_name": "Díaz", "email": "ana@acme.example",
                        "customer": "Acme", "role": "customer"}})
    };
    let cluster = &cluster;
    let sends = cluster.instances.iter().enumerate().map(|(n, instance)| {
        let body = request(&format!("chat-{n}"));
        async move { cluster.send(&instance.url, &body).await }
    });
    let answers = futures::future::join_all(sends).await;
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
    }
    assert_eq!(
        answers[0].1["room_id"], answers[1].1["room_id"],
        "{answers:?}"
    );
    let rooms: Vec<String> = cluster
        .sandbox
        .rooms()
        .into_iter()
        .map(|r| r.name)
        .filter(|name| name.starts_with("dynaBOARD Ana"))
        .collect();
    assert_eq!(rooms, ["dynaBOARD Ana Díaz"]);
}
