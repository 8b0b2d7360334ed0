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

/// What one client may take of the server's connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at once; further ones wait in the listen backlog, costing no descriptor.
    pub max_connections: usize,
    /// Time a client has to send a request's headers (a slow-header client is cut off).
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
///
/// Unlike `axum::serve`, it bounds the connections and the time to send headers: without
/// these, slow-header connections stay open until the process runs out of descriptors.
pub async fn serve_guarded(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;

    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot before accepting: over the limit, connections wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_DEADLINE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish before the deadline");
    }
}

/// Binds `addr`, or says which setting is at fault.
pub async fn bind(setting: &str, addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{setting}: cannot listen on {addr}: {e}"))
}

/// The add-on's address, bound before the add-on is built: until [`Starting::ready`], every
/// request is answered 503 `{"status": "starting"}` (connection closed after it), so while an
/// instance waits for its database a load balancer sees one that is starting, not a refused
/// connection.
pub struct Starting {
    listener: TcpListener,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Starting {
    /// Binds `addr` (the setting `HIPBOARD_ADDR`) and starts answering 503.
    pub async fn bind(addr: SocketAddr) -> Result<Starting, String> {
        let listener = bind("HIPBOARD_ADDR", addr).await?;
        let failed = |e: std::io::Error| format!("HIPBOARD_ADDR: {addr}: {e}");
        // Two handles on one socket: the stand-in answers on one until the add-on takes the other.
        let own = listener.into_std().map_err(failed)?;
        let stand_in = TcpListener::from_std(own.try_clone().map_err(failed)?).map_err(failed)?;
        let listener = TcpListener::from_std(own).map_err(failed)?;
        let router = axum::Router::new().fallback(|| async {
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [(axum::http::header::CONNECTION, "close")],
                axum::Json(serde_json::json!({"status": "starting"})),
            )
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve_guarded(
            stand_in,
            router,
            ConnectionLimits::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Starting { listener, stop })
    }

    /// Stops answering 503 and hands over the listener, for [`serve_on`].
    pub fn ready(self) -> TcpListener {
        // The stand-in may be gone already; then there is nothing to stop.
        let _ = self.stop.send(());
        self.listener
    }
}

/// Runs the add-on server until a shutdown signal.
pub async fn serve(app: App) -> Result<(), String> {
    let listener = bind("HIPBOARD_ADDR", app.state.config.addr).await?;
    serve_on(app, listener).await
}

/// Runs the add-on server on `listener` (bound to its `HIPBOARD_ADDR`) until a shutdown signal.
pub async fn serve_on(app: App, listener: TcpListener) -> Result<(), String> {
    let config = app.state.config.clone();
    if let Some(addr) = config.metrics_addr {
        serve_metrics(&app, addr).await?;
    }
    app.start_background().await.map_err(|e| e.to_string())?;
    tracing::info!(
        addr = %config.addr,
        descriptor = %config.url("/descriptor.json"),
        "hipboard add-on listening"
    );
    let app = std::sync::Arc::new(app);
    let draining = app.clone();
    serve_guarded(
        listener,
        app.router(),
        ConnectionLimits::default(),
        async move {
            shutdown_signal().await;
            draining.begin_draining();
            tokio::time::sleep(DRAIN_NOTICE).await;
        },
    )
    .await;
    drain(&app).await;
    tracing::info!("stopped");
    Ok(())
}

/// Starts recording metrics and serves `/metrics` on `addr`, its own listener.
pub async fn serve_metrics(app: &App, addr: std::net::SocketAddr) -> Result<(), String> {
    let handle = crate::metrics::enable()?;
    let listener = bind("HIPBOARD_METRICS_ADDR", addr).await?;
    tokio::spawn(crate::metrics::keep_up(handle.clone()));
    let router = super::metrics::router(super::metrics::Scrape {
        handle,
        store: app.state.store.clone(),
        clock: app.state.clock.clone(),
    });
    tracing::info!(%addr, "metrics listening on /metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    });
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
    match app.state.pipeline.keep_recent_claims().await {
        Ok(n) => tracing::debug!(claims = n, "in-memory claims kept in the store"),
        Err(e) => tracing::error!(error = %e, "cannot keep the in-memory claims"),
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
