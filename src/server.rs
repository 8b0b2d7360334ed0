//! Serving the add-on: bind, resume stored work, serve until SIGTERM/SIGINT, then drain.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::app::App;

/// How long shutdown waits for accepted work to finish before leaving it for the next start.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);
/// How long `/readyz` reports draining (and new work gets 503) before the listener closes,
/// so a load balancer notices.
const DRAIN_NOTICE: Duration = Duration::from_secs(1);

/// Binds `addr`, or says which setting is at fault.
pub async fn bind(setting: &str, addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{setting}: cannot listen on {addr}: {e}"))
}

/// Runs the add-on server until a shutdown signal.
pub async fn serve(app: App) -> Result<(), String> {
    let config = app.state.config.clone();
    let listener = bind("HIPBOARD_ADDR", config.addr).await?;
    app.start_background().map_err(|e| e.to_string())?;
    tracing::info!(
        addr = %config.addr,
        descriptor = %config.url("/descriptor.json"),
        "hipboard add-on listening"
    );
    let app = std::sync::Arc::new(app);
    let draining = app.clone();
    axum::serve(listener, app.router())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            draining.begin_draining();
            tokio::time::sleep(DRAIN_NOTICE).await;
        })
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    drain(&app).await;
    tracing::info!("stopped");
    Ok(())
}

/// Waits (bounded) for accepted work, then makes the store durable.
pub async fn drain(app: &App) {
    if tokio::time::timeout(DRAIN_DEADLINE, app.wait_idle())
        .await
        .is_err()
    {
        tracing::warn!(
            "shutdown deadline reached; unfinished work stays stored for the next start"
        );
    }
    if let Err(e) = app.state.store.flush().await {
        tracing::error!(error = %e, "final flush failed");
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: no new requests; draining accepted work");
}
