//! Failures the REST API can be told to play instead of answering — an erroring, hung or
//! redirecting dynaBOARD — so a client's handling of each can be shown and tested.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::DemoDynaboard;
use super::rest::jira_error;

/// How the REST API misbehaves until the fault is cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Every call is answered with this HTTP status (500 if it is not one) and JIRA's error
    /// shape.
    Status(u16),
    /// Every call is held open unanswered (a hung server) until the fault is cleared or
    /// changed; then it gets the answer of the API as it is then.
    Stall,
    /// Every call is answered `302 Found` to this URL.
    Redirect(String),
}

/// Middleware of the REST routes: plays the current fault, if any, else lets the call through.
pub async fn play(
    State(demo): State<Arc<DemoDynaboard>>,
    request: Request,
    next: Next,
) -> Response {
    let mut faults = demo.faults.subscribe();
    // Waits out a stall; the sender lives in `demo`, which this call holds, so it cannot close.
    let fault = match faults.wait_for(|f| !matches!(f, Some(Fault::Stall))).await {
        Ok(fault) => fault.clone(),
        Err(_) => None,
    };
    match fault {
        None | Some(Fault::Stall) => next.run(request).await,
        Some(Fault::Status(status)) => jira_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "Injected failure.",
        ),
        Some(Fault::Redirect(to)) => {
            (StatusCode::FOUND, [(axum::http::header::LOCATION, to)]).into_response()
        }
    }
}
