//! The operational endpoints: `/healthz`, `/readyz` and the capabilities descriptor.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::AppState;

/// `GET /descriptor.json`: the capabilities descriptor HipChat installs from.
pub async fn descriptor(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.descriptor.served(),
    )
}

/// `GET /readyz`: 200 while accepting work, 503 while draining.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.load(Ordering::SeqCst) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "draining"})),
        )
    } else if !state.store.is_healthy().await {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "store unavailable"})),
        )
    } else {
        (
            StatusCode::OK,
            Json(
                json!({"status": "ready", "pending_jobs": state.pipeline.pending_jobs(), "pending_calls": state.outbox.pending()}),
            ),
        )
    }
}

/// `GET /healthz`: 200 while the store works.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    if state.store.is_healthy().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
    }
}
