//! A round-robin reverse proxy on loopback: several `hipboard serve` behind one address, as
//! nginx or HAProxy would put them. Each request goes to the next instance; one that does not
//! accept the connection (killed) is skipped, as `proxy_next_upstream error` does.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The proxy: its address and the instances behind it.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://{addr}`.
    pub url: String,
}

struct Upstreams {
    urls: Vec<String>,
    next: AtomicUsize,
    http: reqwest::Client,
}

impl Proxy {
    /// Listens on `addr` (reserved by the caller, since the instances must know the public URL
    /// before the proxy starts) and forwards to `upstreams` (`http://host:port`) in turn.
    pub async fn start(addr: SocketAddr, upstreams: Vec<String>) -> Proxy {
        let state = Arc::new(Upstreams {
            urls: upstreams,
            next: AtomicUsize::new(0),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Proxy {
            addr,
            url: format!("http://{addr}"),
        }
    }
}

async fn forward(State(up): State<Arc<Upstreams>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let first = up.next.fetch_add(1, Ordering::Relaxed);
    for n in 0..up.urls.len() {
        let upstream = &up.urls[(first + n) % up.urls.len()];
        match send(
            &up.http,
            upstream,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
        )
        .await
        {
            Ok(response) => return response,
            // Not reached at all: the next instance gets it. Anything later is the answer.
            Err(e) if e.is_connect() => continue,
            Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    }
    (StatusCode::BAD_GATEWAY, "no instance answers").into_response()
}

async fn send(
    http: &reqwest::Client,
    upstream: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, reqwest::Error> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = http.request(method.clone(), format!("{upstream}{path}"));
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = request.body(body.clone()).send().await?;
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            response = response.header(name, value);
        }
    }
    let bytes = answer.bytes().await?;
    Ok(response
        .body(Body::from(bytes))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response()))
}
