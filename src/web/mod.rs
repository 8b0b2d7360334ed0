//! The HTTP edge: the router, the extractors, every endpoint of the add-on, its middleware, and
//! the one place that maps errors to responses (`error`), with one JSON error shape.
//!
//! Protocol and domain code below it (`hipchat`, `dynaboard`, `pipeline`, `views`) knows no HTTP
//! server type: the edge reads requests into plain values, calls it, and answers.

pub mod assets;
pub mod dynaboard;
pub mod error;
pub mod extract;
pub mod health;
pub mod install;
pub mod metrics;
pub mod middleware;
pub mod response;
pub mod server;
pub mod views;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use tower_http::timeout::TimeoutLayer;

use crate::app::{App, AppState};
use crate::auth::Verifier;
use crate::hipchat::descriptor::WEBHOOK_PATH;
use crate::hipchat::install::Installer;
use crate::pipeline::Pipeline;

/// Largest request body any endpoint reads.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest a request may take before the server gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl FromRef<AppState> for Verifier {
    fn from_ref(s: &AppState) -> Verifier {
        Verifier {
            store: s.store.clone(),
            clock: s.clock.clone(),
        }
    }
}

impl FromRef<AppState> for Arc<Installer> {
    fn from_ref(s: &AppState) -> Arc<Installer> {
        s.installer.clone()
    }
}

impl FromRef<AppState> for Arc<Pipeline> {
    fn from_ref(s: &AppState) -> Arc<Pipeline> {
        s.pipeline.clone()
    }
}

impl App {
    /// The HTTP interface.
    pub fn router(&self) -> Router {
        router(&self.state)
    }
}

/// Every route of the add-on's address, with its middleware.
pub fn router(state: &AppState) -> Router {
    Router::new()
        .route("/descriptor.json", get(health::descriptor))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/static/{name}", get(assets::asset))
        .route("/installed", post(install::installed))
        .route(
            "/installed/{oauth_id}",
            delete(install::uninstalled_by_delete),
        )
        .route("/updated", post(install::updated))
        .route("/uninstalled", get(install::uninstalled_by_redirect))
        .route(WEBHOOK_PATH, post(webhook::room_message))
        .with_state(state.clone())
        .merge(views::router(state.views.clone()))
        .merge(dynaboard::router(state.inbound.clone()))
        .route_layer(axum::middleware::from_fn(middleware::measure))
        .layer(axum::middleware::from_fn_with_state(
            state.draining.clone(),
            middleware::refuse_while_draining,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(middleware::identify))
}
