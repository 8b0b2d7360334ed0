//! The store's durable commit (one transaction plus a group-committed flush), alone and with
//! concurrent committers: the ceiling durability puts on acknowledged writes on this machine.

use std::time::{Duration, Instant};

use hipboard::store::{Batch, Queue, Store};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("| concurrent committers | commits/s | p50 | p99 |");
        println!("|---|---|---|---|");
        for concurrency in [1usize, 8, 64] {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path()).unwrap();
            let deadline = Instant::now() + Duration::from_secs(3);
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
            let pct = |p: f64| {
                all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0
            };
            println!(
                "| {concurrency} | {:.0} | {:.2} ms | {:.2} ms |",
                all.len() as f64 / 3.0,
                pct(0.5),
                pct(0.99)
            );
        }
    });
}
