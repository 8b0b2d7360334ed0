//! The record of requests the demo dynaBOARD received, so a client's calls (or their absence)
//! can be seen: how many in all, and the most recent ones.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::DemoDynaboard;

/// Recent calls kept: enough to inspect a test's or a demo's calls, bounded for a long demo.
const KEPT: usize = 1000;

/// One request received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
}

/// Calls so far: a total, and the most recent [`KEPT`].
#[derive(Debug, Default)]
pub struct CallLog {
    total: usize,
    recent: VecDeque<Call>,
}

impl CallLog {
    /// Counts and keeps `call`, forgetting the oldest kept beyond [`KEPT`].
    fn push(&mut self, call: Call) {
        self.total += 1;
        if self.recent.len() == KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(call);
    }

    /// Calls received in all.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The most recent calls, oldest first.
    pub fn recent(&self) -> Vec<Call> {
        self.recent.iter().cloned().collect()
    }
}

/// Middleware of every route: records the call before it is answered (or stalled).
pub async fn record(
    State(demo): State<Arc<DemoDynaboard>>,
    request: Request,
    next: Next,
) -> Response {
    demo.call_log().push(Call {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
    });
    next.run(request).await
}
