//! Load and memory measurements of the release binary (issue 7), printed as Markdown.
//!
//! `cargo bench --bench load` (add `-- --seconds 10` for longer runs). It measures, each in its
//! own process: a bare axum handler, and `hipboard serve` on the full webhook path — JWT
//! verification, dispatch, the `/incident` handler, the sled transaction and flush, and the
//! glance push through the outbox to a local HipChat sink — at concurrency 1, 8 and 64; then
//! RSS and start-up time with 10,000 installations and 100,000 stored incidents.
//!
//! `--pin` runs the add-on and the bare handler on core 0 and the load generator (with the
//! HipChat sink) on core 1, with `taskset`, so a run on a 2-core machine compares the two servers
//! on one core each time. `--concurrency 64` (comma-separated) picks the cells; `--no-memory`
//! skips the memory part; `BENCH_TEXT=/help` measures a reply that changes nothing;
//! `BENCH_ROOMS=1` sends every request to one room (1,000 rooms in turn otherwise).
//!
//! Each cell also reports CPU time (user and system, from `/proc`) per request of the bare
//! handler and of the add-on (everything the requests caused, glance pushes included), and per
//! commit of the ceiling: on a machine too noisy to compare throughputs closely, what each unit
//! of work costs the core is the steadier figure.
//!
//! `--stores` (with `HIPBOARD_TEST_DATABASE_URL` naming a PostgreSQL server, e.g. from
//! `.ci/postgres start DIR`) instead measures `/incident` on sled, on PostgreSQL with one
//! instance and with two (requests spread over both), each beside its store's own durable-commit
//! ceiling at the same concurrency, in the same run.

#[path = "common/ceiling.rs"]
mod ceiling;
#[allow(dead_code)] // The bench needs fresh databases only.
#[path = "../tests/common/postgres.rs"]
mod postgres;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::{get, post};
use hipboard::model::{Incident, IncidentState, Installation, Stamp};
use hipboard::store::{Batch, Store};
use serde_json::{Value, json};

const SECRET: &str = "bench-secret";

/// PostgreSQL connections per instance (`HIPBOARD_DATABASE_POOL`) and for the ceiling.
const POOL: usize = 16;

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A HipChat that accepts everything quickly and counts calls.
async fn sink() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let caps = json!({
        "links": {"self": format!("{base}/v2/capabilities"), "homepage": base},
        "capabilities": {"oauth2Provider": {"tokenUrl": format!("{base}/v2/oauth/token")},
                         "hipchatApiProvider": {"url": format!("{base}/v2/")}}
    });
    let counter = calls.clone();
    let app = axum::Router::new()
        .route("/v2/capabilities", get(move || { let caps = caps.clone(); async move { Json(caps) } }))
        .route("/v2/oauth/token", post(|| async {
            Json(json!({"access_token": "t", "expires_in": 3599, "group_id": 1, "group_name": "bench",
                        "scope": "send_notification", "token_type": "bearer"}))
        }))
        .route("/v2/room/{room}/history/latest", get(|| async { Json(json!({"items": []})) }))
        .fallback(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async { axum::http::StatusCode::NO_CONTENT }
        });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, calls)
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.to_owned())
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// CPU time (user and system) process `pid` (a number, or `self`) has used so far.
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (in parentheses, which may hold spaces): the third is the
    // state; utime and stime are the 14th and 15th, in clock ticks (USER_HZ, 100 on Linux).
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|t| t.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// Microseconds of CPU per unit of work: `cpu` spent on `units`.
fn cpu_us(cpu: Duration, units: f64) -> f64 {
    cpu.as_secs_f64() * 1e6 / units.max(1.0)
}

async fn wait_up(http: &reqwest::Client, url: &str) -> Duration {
    let started = Instant::now();
    loop {
        if http
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{url} never came up"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Whether servers and generator run on cores of their own (`--pin`).
static PIN: once_cell::sync::Lazy<bool> =
    once_cell::sync::Lazy::new(|| std::env::args().any(|a| a == "--pin"));

/// A command for a server under test: on core 0 when pinned.
fn server_command(program: &str) -> Command {
    if *PIN {
        let mut command = Command::new("taskset");
        command.args(["-c", "0", program]);
        command
    } else {
        Command::new(program)
    }
}

fn spawn_addon(data: &std::path::Path, addr: SocketAddr, hipchat: &str) -> Proc {
    spawn_addon_on(data, None, addr, hipchat)
}

/// [`spawn_addon`], on a PostgreSQL `database` when given.
fn spawn_addon_on(
    data: &std::path::Path,
    database: Option<&str>,
    addr: SocketAddr,
    hipchat: &str,
) -> Proc {
    let mut command = server_command(env!("CARGO_BIN_EXE_hipboard"));
    if let Some(url) = database {
        command
            .env("HIPBOARD_DATABASE_URL", url)
            .env("HIPBOARD_DATABASE_POOL", POOL.to_string());
    }
    Proc(
        command
            .arg("serve")
            .env("HIPBOARD_HIPCHAT_ORIGINS", hipchat)
            .env("HIPBOARD_ADDR", addr.to_string())
            .env("HIPBOARD_DATA_DIR", data)
            .env("HIPBOARD_RESOURCES", env!("CARGO_MANIFEST_DIR"))
            .env("HIPBOARD_HIPCHAT_LIMITS", "100000000/60,100000000/60")
            .env("RUST_LOG", "hipboard=error")
            .stdout(Stdio::null())
            .spawn()
            .expect("release binary runs"),
    )
}

fn token(oauth_id: &str, secret: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"iss": oauth_id, "sub": "2", "iat": now, "exp": now + 3600}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// The message each request types: `BENCH_TEXT` (e.g. `/help`) or a new incident; `{n}`
/// becomes the request's number.
static TEXT: once_cell::sync::Lazy<String> = once_cell::sync::Lazy::new(|| {
    std::env::var("BENCH_TEXT").unwrap_or_else(|_| "/incident load test {n}".into())
});

/// The rooms the requests go to in turn: `BENCH_ROOMS` (1 puts every glance push in one room's
/// lane), 1,000 unless set.
static ROOMS: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
    std::env::var("BENCH_ROOMS")
        .ok()
        .and_then(|rooms| rooms.parse().ok())
        .filter(|rooms| *rooms > 0)
        .unwrap_or(1000)
});

fn webhook(oauth_id: &str, n: usize) -> Value {
    json!({
        "event": "room_message", "oauth_client_id": oauth_id,
        "item": {"message": {"id": format!("bench-{}-{n}", std::process::id()), "type": "message",
                             "message": TEXT.replace("{n}", &n.to_string()),
                             "from": {"id": 2, "name": "Ben Builder", "mention_name": "Ben"}},
                 "room": {"id": 1000 + n % *ROOMS, "name": "bench"}}
    })
}

struct Run {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// `concurrency` clients posting webhooks back to back for `seconds`, request `n` to
/// `urls[n % urls.len()]` (instances behind one address, spread as a proxy would).
async fn load(urls: &[String], oauth_id: &str, concurrency: usize, seconds: u64) -> Run {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, urls, counter, oauth_id) = (
            http.clone(),
            urls.to_vec(),
            counter.clone(),
            oauth_id.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            while Instant::now() < deadline {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                // Freshly signed, as HipChat signs every delivery.
                let auth = format!("JWT {}", token(&oauth_id, SECRET));
                let started = Instant::now();
                let answer = http
                    .post(&urls[n % urls.len()])
                    .header("Authorization", auth)
                    .json(&webhook(&oauth_id, n))
                    .send()
                    .await;
                latencies.push(started.elapsed());
                let failure = match answer {
                    Ok(r) if r.status().is_success() => None,
                    Ok(r) => Some(format!(
                        "{} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )),
                    Err(e) => Some(e.to_string()),
                };
                if let Some(failure) = failure {
                    // Each client's first three, to say what the errors column counts.
                    if errors < 3 {
                        eprintln!("request {n} failed: {failure}");
                    }
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Run {
        rps: all.len() as f64 / seconds as f64,
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    }
}

/// A bare axum server: one handler that reads the body and answers 204.
fn bare_server(addr: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = axum::Router::new().route(
            "/webhooks/room-message",
            post(|_body: axum::body::Bytes| async { axum::http::StatusCode::NO_CONTENT }),
        );
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}

/// The store's durable-commit ceiling at a concurrency, printed as `commits/s p99-seconds
/// cpu-seconds`: run as a child process, on the add-on's core when pinned, so both meet the same
/// disk and CPU.
fn print_ceiling(concurrency: &str, seconds: &str, database: Option<&String>) {
    let (concurrency, seconds) = (concurrency.parse().unwrap(), seconds.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = match database {
            Some(url) => Store::open_postgres(url, POOL).await.unwrap(),
            None => Store::open(dir.path()).unwrap(),
        };
        let cpu = cpu_time("self");
        let (rate, _, p99) = ceiling::commit_ceiling(&store, concurrency, seconds).await;
        let cpu = cpu_time("self") - cpu;
        println!("{rate} {} {}", p99.as_secs_f64(), cpu.as_secs_f64());
    });
}

/// The store's durable-commit ceiling: commits/s, p99, and CPU per commit in microseconds.
struct Ceiling {
    rate: f64,
    p99: Duration,
    cpu_us: f64,
}

/// Runs [`print_ceiling`] in a child process (on a PostgreSQL `database`, else on sled).
fn store_ceiling(concurrency: usize, seconds: u64, database: Option<&str>) -> Ceiling {
    let me = std::env::current_exe().unwrap().display().to_string();
    let out = server_command(&me)
        .args(["--ceiling", &concurrency.to_string(), &seconds.to_string()])
        .args(database)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the ceiling run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut words = text.split_whitespace().map(|w| w.parse::<f64>().unwrap());
    let (rate, p99, cpu) = (
        words.next().unwrap(),
        words.next().unwrap(),
        words.next().unwrap(),
    );
    Ceiling {
        rate,
        p99: Duration::from_secs_f64(p99),
        cpu_us: cpu_us(Duration::from_secs_f64(cpu), rate * seconds as f64),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Installs the bench installation through the add-on at `url`.
async fn install_bench(http: &reqwest::Client, url: &str, sink_url: &str) {
    let installed = http
        .post(format!("{url}/installed"))
        .json(
            &json!({"capabilitiesUrl": format!("{sink_url}/v2/capabilities"), "oauthId": "bench",
                      "oauthSecret": SECRET, "groupId": 1}),
        )
        .send()
        .await
        .unwrap();
    assert!(
        installed.status().is_success(),
        "{:?}",
        installed.text().await
    );
}

/// `--stores`: `/incident` on sled, on PostgreSQL with one instance and with two, each on a
/// fresh store and beside that store's durable-commit ceiling at the same concurrency.
async fn compare_stores(cells: &[usize], seconds: u64) {
    let http = hipboard::net::client(Duration::from_secs(30));
    let (sink_url, _) = sink().await;
    println!(
        "| store | instances | concurrency | hipboard req/s | p50 | p99 | store commit ceiling/s (p99) | hipboard / ceiling | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (store, instances) in [("sled", 1), ("postgres", 1), ("postgres", 2)] {
        for &concurrency in cells {
            let fresh = || async {
                match store {
                    "sled" => None,
                    _ => Some(
                        postgres::fresh_database()
                            .await
                            .expect("--stores needs HIPBOARD_TEST_DATABASE_URL"),
                    ),
                }
            };
            let database = fresh().await;
            let dirs: Vec<_> = (0..instances)
                .map(|_| tempfile::tempdir().unwrap())
                .collect();
            let addrs: Vec<SocketAddr> = (0..instances).map(|_| free_addr()).collect();
            let procs: Vec<Proc> = dirs
                .iter()
                .zip(&addrs)
                .map(|(dir, addr)| {
                    spawn_addon_on(dir.path(), database.as_deref(), *addr, &sink_url)
                })
                .collect();
            for addr in &addrs {
                wait_up(&http, &format!("http://{addr}/healthz")).await;
            }
            install_bench(&http, &format!("http://{}", addrs[0]), &sink_url).await;
            let urls: Vec<String> = addrs
                .iter()
                .map(|a| format!("http://{a}/webhooks/room-message"))
                .collect();
            let run = load(&urls, "bench", concurrency, seconds).await;
            drop(procs);
            let ceiling_database = fresh().await;
            let ceiling = store_ceiling(concurrency, seconds, ceiling_database.as_deref());
            println!(
                "| {store} | {instances} | {concurrency} | {:.0} | {} | {} | {:.0} ({}) | {:.2} | {} |",
                run.rps,
                ms(run.p50),
                ms(run.p99),
                ceiling.rate,
                ms(ceiling.p99),
                run.rps / ceiling.rate,
                run.errors
            );
        }
    }
}

/// 10,000 installations and 100,000 incidents (10 per installation), written directly.
async fn populate(dir: &std::path::Path, caps_base: &str) -> Vec<String> {
    let store = Store::open(dir).unwrap();
    let mut ids = Vec::new();
    for chunk in 0..10 {
        let mut batch = Batch::new();
        for i in 0..1000 {
            let oauth_id = format!("install-{}", chunk * 1000 + i);
            store.put_installation(
                &mut batch,
                &Installation {
                    oauth_id: oauth_id.clone(),
                    oauth_secret: SECRET.into(),
                    // One group each, as global installations are (one per group).
                    group_id: (chunk * 1000 + i) as i64,
                    group_name: None,
                    room_id: None,
                    capabilities_url: format!("{caps_base}/v2/capabilities"),
                    token_url: format!("{caps_base}/v2/oauth/token"),
                    api_url: format!("{caps_base}/v2/"),
                    homepage: caps_base.into(),
                    installed_at_ms: 0,
                    revoked_at: None,
                },
            );
            ids.push(oauth_id);
        }
        store.apply(batch).await.unwrap();
    }
    for oauth_id in &ids {
        for n in 0..10 {
            let mut batch = Batch::new();
            let incident = Incident {
                number: 0,
                room_id: 1000 + n,
                title: format!("Stored incident {n} of {oauth_id}"),
                state: if n % 3 == 0 {
                    IncidentState::Open
                } else {
                    IncidentState::Resolved
                },
                opened: Stamp {
                    by: "Ben Builder".into(),
                    by_id: Some(2),
                    at: 1_700_000_000,
                },
                acknowledged: None,
                resolved: None,
                issue: None,
            };
            store
                .stage_new_incident(&mut batch, oauth_id, incident)
                .await
                .unwrap();
            store.apply(batch).await.unwrap();
        }
    }
    store.flush().await.unwrap();
    ids
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bare") {
        return bare_server(&args[i + 1]);
    }
    if let Some(i) = args.iter().position(|a| a == "--ceiling") {
        return print_ceiling(&args[i + 1], &args[i + 2], args.get(i + 3));
    }
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let seconds: u64 = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(5);
    let cells: Vec<usize> = args
        .iter()
        .position(|a| a == "--concurrency")
        .and_then(|i| args.get(i + 1))
        .map(|list| {
            list.split(',')
                .filter_map(|c| c.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![1, 8, 64]);
    let memory = !args.iter().any(|a| a == "--no-memory");
    let stores = args.iter().any(|a| a == "--stores");
    if *PIN {
        // Before the runtime starts: its threads inherit core 1.
        let pinned = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(pinned, "--pin needs taskset (util-linux) and two cores");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if stores {
        return runtime.block_on(compare_stores(&cells, seconds));
    }
    runtime.block_on(async move {
        let http = hipboard::net::client(Duration::from_secs(30));
        let (sink_url, sink_calls) = sink().await;

        let bare_addr = free_addr();
        let me = std::env::current_exe().unwrap();
        let bare_proc = Proc(server_command(&me.display().to_string()).args(["--bare", &bare_addr.to_string()]).spawn().unwrap());
        let data = tempfile::tempdir().unwrap();
        let addon_addr = free_addr();
        let addon = spawn_addon(data.path(), addon_addr, &sink_url);
        let addon_url = format!("http://{addon_addr}");
        wait_up(&http, &format!("{addon_url}/healthz")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        install_bench(&http, &addon_url, &sink_url).await;

        println!("| concurrency | bare axum req/s | hipboard req/s | ratio | hipboard p50 | hipboard p99 | bare p99 | store commit ceiling/s (p99) | hipboard / ceiling | CPU µs per request: bare / hipboard; per ceiling commit | errors |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        let (bare_pid, addon_pid) = (bare_proc.0.id().to_string(), addon.0.id().to_string());
        for concurrency in cells {
            let cpu = cpu_time(&bare_pid);
            let bare = load(&[format!("http://{bare_addr}/webhooks/room-message")], "bench", concurrency, seconds).await;
            let bare_cpu = cpu_us(cpu_time(&bare_pid) - cpu, bare.rps * seconds as f64);
            let before = sink_calls.load(Ordering::Relaxed);
            let cpu = cpu_time(&addon_pid);
            let full = load(&[format!("{addon_url}/webhooks/room-message")], "bench", concurrency, seconds).await;
            // Wait for the outbox to deliver every glance push of the run.
            let drained = Instant::now();
            loop {
                let ready: Value = http.get(format!("{addon_url}/readyz")).send().await.unwrap().json().await.unwrap();
                if ready["pending_calls"] == 0 && ready["pending_jobs"] == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let drain_time = drained.elapsed();
            // Everything the requests caused, their glance pushes included.
            let full_cpu = cpu_us(cpu_time(&addon_pid) - cpu, full.rps * seconds as f64);
            let pushed = sink_calls.load(Ordering::Relaxed) - before;
            let ceiling = store_ceiling(concurrency, seconds, None);
            println!(
                "| {concurrency} | {:.0} | {:.0} | {:.2} | {} | {} | {} | {:.0} ({}) | {:.2} | {bare_cpu:.1} / {full_cpu:.1}; {:.1} | {} (outbox drained {pushed} calls in {}) |",
                bare.rps, full.rps, full.rps / bare.rps, ms(full.p50), ms(full.p99), ms(bare.p99), ceiling.rate, ms(ceiling.p99), full.rps / ceiling.rate, ceiling.cpu_us, full.errors + bare.errors, ms(drain_time)
            );
        }
        println!();
        println!("RSS of hipboard after the runs above: {} MiB", rss_kib(addon.0.id()) / 1024);
        drop(addon);
        if !memory {
            return;
        }

        // Memory and start-up with 10,000 installations and 100,000 incidents.
        let big = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let ids = populate(big.path(), &sink_url).await;
        println!("populated 10,000 installations and 100,000 incidents in {:.1} s", started.elapsed().as_secs_f64());
        let addr = free_addr();
        let spawned = Instant::now();
        let addon = spawn_addon(big.path(), addr, &sink_url);
        let url = format!("http://{addr}");
        wait_up(&http, &format!("{url}/healthz")).await;
        let startup = spawned.elapsed();
        let idle_rss = rss_kib(addon.0.id());
        // Touch installations across the set: JWT verification reads each one.
        for (n, oauth_id) in ids.iter().step_by(10).enumerate() {
            let r = http
                .post(format!("{url}/webhooks/room-message"))
                .header("Authorization", format!("JWT {}", token(oauth_id, SECRET)))
                .json(&webhook(oauth_id, 1_000_000 + n))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
        let busy = load(&[format!("{url}/webhooks/room-message")], &ids[0], 8, seconds).await;
        println!(
            "with 10,000 installations and 100,000 incidents: start-up to /healthz {}, RSS idle {} MiB, after 1,000 installations' webhooks and a {seconds}-s run at concurrency 8 ({:.0} req/s, p99 {}) {} MiB",
            ms(startup),
            idle_rss / 1024,
            busy.rps,
            ms(busy.p99),
            rss_kib(addon.0.id()) / 1024
        );
    });
}
