//! Prometheus metrics (issue 16): every metric's name in one place, the recorder, and the text a
//! scrape reads (served by the web edge on its own listener, `HIPBOARD_METRICS_ADDR`).
//!
//! Nothing is recorded until [`enable`] installs the recorder: with metrics off, each recording
//! call below is a check of an unset global and costs nothing measurable.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use once_cell::sync::{Lazy, OnceCell};

use crate::clock::Clock;
use crate::store::{Queue, Store, StoreObserver};

/// Latency buckets (seconds): 100 µs to 10 s.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 10.0,
];

static HANDLE: OnceCell<PrometheusHandle> = OnceCell::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn enable() -> Result<PrometheusHandle, String> {
    HANDLE
        .get_or_try_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("hipboard_store_flush_commits".into()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
                    )
                })
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| format!("cannot start metrics: {e}"))
                .inspect(|_| {
                    crate::store::observe(&StoreMetrics);
                })
        })
        .cloned()
}

/// How often recorded histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Folds recorded histogram samples into their buckets every [`UPKEEP_EVERY`], for as long as it
/// runs. The recorder keeps every sample until then: folded only at scrapes, a process nobody
/// scraped grew by ~14 MiB per 30 s of `/help` at 27k requests/s.
pub async fn keep_up(handle: PrometheusHandle) {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        handle.run_upkeep();
    }
}

/// Whether metrics are being recorded (the recorder is installed).
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// The scrape's text: the queues' depth and age read now, then every recorded value.
pub async fn scrape(handle: &PrometheusHandle, store: &Store, clock: &Clock) -> String {
    let now = clock.unix();
    for (queue, name) in [(Queue::Inbox, "inbox"), (Queue::Outbox, "outbox")] {
        let depth = store.queue_len(queue).await;
        metrics::gauge!("hipboard_queue_depth", "queue" => name).set(depth as f64);
        let age = match store.oldest_queued_at(queue).await {
            Ok(Some(at)) => (now - at).max(0) as f64,
            Ok(None) => 0.0,
            Err(e) => {
                tracing::warn!(error = %e, queue = name, "cannot read the queue's oldest entry");
                f64::NAN
            }
        };
        metrics::gauge!("hipboard_queue_oldest_age_seconds", "queue" => name).set(age);
    }
    handle.run_upkeep();
    handle.render()
}

/// The request metrics of one (route, method, status), registered once: looking a metric up by
/// its labels on every request (allocating and hashing them) was the larger part of what
/// metrics cost the webhook path.
#[derive(Clone)]
struct RequestHandles {
    count: metrics::Counter,
    latency: metrics::Histogram,
}

/// Handles by route template, then by method, then by status.
type HandleMap = HashMap<String, HashMap<String, HashMap<u16, RequestHandles>>>;

static REQUEST_HANDLES: Lazy<RwLock<HandleMap>> = Lazy::new(RwLock::default);

fn request_handles(route: &str, method: &str, status: u16) -> RequestHandles {
    let known = REQUEST_HANDLES
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(route)
        .and_then(|by| by.get(method))
        .and_then(|by| by.get(&status).cloned());
    if let Some(handles) = known {
        return handles;
    }
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    let handles = RequestHandles {
        count: metrics::counter!("hipboard_http_requests_total", &labels),
        latency: metrics::histogram!(
            "hipboard_http_request_duration_seconds",
            "route" => route.to_owned()
        ),
    };
    REQUEST_HANDLES
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .entry(route.to_owned())
        .or_default()
        .entry(method.to_owned())
        .or_default()
        .insert(status, handles.clone());
    handles
}

/// One answered HTTP request on the add-on's address, by route template and status.
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let handles = request_handles(route, method, status);
    handles.count.increment(1);
    handles.latency.record(elapsed.as_secs_f64());
}

/// Counters labelled with an outcome and a reason, by name, outcome and reason.
type OutcomeMap = HashMap<(&'static str, &'static str, &'static str), metrics::Counter>;

static OUTCOME_HANDLES: Lazy<RwLock<OutcomeMap>> = Lazy::new(RwLock::default);

/// Counts one `outcome` (with `reason`) of counter `name`, registered once per label pair: the
/// registration hashed and allocated its labels on every webhook, half of what metrics cost
/// the webhook path (BENCHMARKS.md).
fn count_outcome(name: &'static str, outcome: &'static str, reason: &'static str) {
    // A handle taken before the recorder is installed would stay a no-op.
    if !enabled() {
        return;
    }
    let key = (name, outcome, reason);
    let known = OUTCOME_HANDLES
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    let counter = known.unwrap_or_else(|| {
        let counter = metrics::counter!(name, "outcome" => outcome, "reason" => reason);
        OUTCOME_HANDLES
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, counter.clone());
        counter
    });
    counter.increment(1);
}

/// What became of one room-message webhook: `handled`, `duplicate`, `ignored` (nothing to do),
/// or `refused` with the reason.
pub fn webhook(outcome: &'static str, reason: &'static str) {
    count_outcome("hipboard_webhooks_total", outcome, reason);
}

/// One call to HipChat: `2xx`, `4xx`, `429`, `5xx`, `timeout` or `unreachable`.
pub fn hipchat_call(outcome: &'static str, elapsed: Duration) {
    metrics::counter!("hipboard_hipchat_calls_total", "outcome" => outcome).increment(1);
    metrics::histogram!("hipboard_hipchat_call_duration_seconds").record(elapsed.as_secs_f64());
}

/// A call held back by the add-on's own pacing (HipChat's limits kept ahead of 429).
pub fn pacing_wait(wait: Duration) {
    metrics::counter!("hipboard_pacing_waits_total").increment(1);
    metrics::histogram!("hipboard_pacing_wait_seconds").record(wait.as_secs_f64());
}

/// An access-token request: `ok`, `revoked` (HipChat refused the credentials) or `failed`.
pub fn token_renewal(outcome: &'static str) {
    metrics::counter!("hipboard_token_renewals_total", "outcome" => outcome).increment(1);
}

/// One call to dynaBOARD: `2xx`, `404`, `403`, `401`, `5xx`, `other`, `timeout`, `unreachable`.
pub fn dynaboard_call(outcome: &'static str, elapsed: Duration) {
    metrics::counter!("hipboard_dynaboard_calls_total", "outcome" => outcome).increment(1);
    metrics::histogram!("hipboard_dynaboard_call_duration_seconds").record(elapsed.as_secs_f64());
}

/// One dynaBOARD event delivery: `accepted`, `duplicate`, or `refused` with the reason.
pub fn dynaboard_event(outcome: &'static str, reason: &'static str) {
    count_outcome("hipboard_dynaboard_events_total", outcome, reason);
}

/// One durable commit of the store (apply and fsync).
pub fn store_commit(elapsed: Duration) {
    metrics::histogram!("hipboard_store_commit_duration_seconds").record(elapsed.as_secs_f64());
}

/// One fsync of the store, and how many waiting commits it made durable at once.
pub fn store_flush(elapsed: Duration, commits: u64) {
    metrics::histogram!("hipboard_store_flush_duration_seconds").record(elapsed.as_secs_f64());
    metrics::histogram!("hipboard_store_flush_commits").record(commits as f64);
}

/// Records the store's commits and flushes as the two functions above do.
struct StoreMetrics;

impl StoreObserver for StoreMetrics {
    fn committed(&self, elapsed: Duration) {
        store_commit(elapsed);
    }

    fn flushed(&self, elapsed: Duration, commits: u64) {
        store_flush(elapsed, commits);
    }
}

/// The reason label of a refused request, from its status.
pub fn refusal_reason(status: u16) -> &'static str {
    match status {
        400 | 422 => "malformed",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "too_large",
        429 => "rate_limited",
        503 => "unavailable",
        408 => "timeout",
        _ => "error",
    }
}
