//! The request id (issue 16) as the task's context: set by the web edge for the request being
//! served, read by the work it queues and by the calls that work makes.

use std::sync::Arc;

use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// The id of the request being served on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

/// Runs `work` with `id` as the current request id (queued work run later, under its cause).
pub async fn within<F: Future>(id: Option<&str>, work: F) -> F::Output {
    match id {
        Some(id) => {
            let span = tracing::info_span!("work", request_id = id);
            REQUEST_ID.scope(Arc::from(id), work.instrument(span)).await
        }
        None => work.await,
    }
}

/// Runs `work` with `id` as the current request id, inside `span` (a request being served).
pub async fn serve<F: Future>(id: Arc<str>, span: tracing::Span, work: F) -> F::Output {
    REQUEST_ID.scope(id, work.instrument(span)).await
}
