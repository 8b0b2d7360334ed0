//! The store's durable-commit ceiling: `concurrency` committers, each committing one small
//! transaction (a claim and a queue entry, like a state change's) with the group-committed flush,
//! back to back. Shared by `benches/store.rs` and `benches/load.rs`.

use std::time::{Duration, Instant};

use hipboard::store::{Batch, Queue, Store};

/// Commits per second, p50 and p99 of `concurrency` committers for `seconds` on `store`.
pub async fn commit_ceiling(
    store: &Store,
    concurrency: usize,
    seconds: u64,
) -> (f64, Duration, Duration) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let mut batch = Batch::new();
                store.claim(&mut batch, &format!("msg:{t}:{n}"), 0, 1800);
                store
                    .enqueue(&mut batch, Queue::Outbox, &serde_json::json!({"n": n}))
                    .await
                    .unwrap();
                let started = Instant::now();
                store.commit(batch).await.unwrap();
                latencies.push(started.elapsed());
                n += 1;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    (all.len() as f64 / seconds as f64, pct(0.5), pct(0.99))
}
