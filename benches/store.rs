//! The store's durable commit (one transaction plus a group-committed flush), alone and with
//! concurrent committers: the ceiling durability puts on acknowledged writes on this machine.

#[path = "common/ceiling.rs"]
mod ceiling;

use hipboard::store::Store;

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
            let (rate, p50, p99) = ceiling::commit_ceiling(&store, concurrency, 3).await;
            println!(
                "| {concurrency} | {rate:.0} | {:.2} ms | {:.2} ms |",
                p50.as_secs_f64() * 1000.0,
                p99.as_secs_f64() * 1000.0
            );
        }
    });
}
