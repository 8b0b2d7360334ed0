//! `GET /metrics`, the only route of the metrics listener (`HIPBOARD_METRICS_ADDR`, never the
//! add-on's address).

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::clock::Clock;
use crate::store::Store;

/// What `/metrics` reads at scrape time besides the recorded values: the queues.
#[derive(Clone)]
pub struct Scrape {
    /// The recorder's handle.
    pub handle: PrometheusHandle,
    /// The store, for queue depth and age.
    pub store: Store,
    /// Time, for ages.
    pub clock: Clock,
}

/// The metrics listener's routes: `GET /metrics` only.
pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state(scrape)
}

async fn render(State(scrape): State<Scrape>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::scrape(&scrape.handle, &scrape.store, &scrape.clock).await,
    )
}
