//! Outbound HTTP as both sides of the protocol do it: one way to build clients and to read bounded
//! response bodies.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

/// Installs rustls' crypto provider once per process (reqwest is built without a default one).
pub fn init_tls() {
    // A second install returns Err because one is already there, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client with a total timeout, no redirects (a redirect could leave the allowed host),
/// and no proxies from the environment (what we call must be exactly what we resolved).
pub fn client(timeout: Duration) -> reqwest::Client {
    build(builder(timeout))
}

/// The settings of [`client`], to add to before [`build`].
pub fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    init_tls();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("hipboard/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
}

/// Builds a client; the TLS setup cannot fail at run time once it worked at start-up.
pub fn build(builder: reqwest::ClientBuilder) -> reqwest::Client {
    builder
        .build()
        .unwrap_or_else(|e| panic!("HTTP client cannot be built (TLS setup): {e}"))
}

/// Why a response body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Larger than allowed.
    #[error("response body exceeds {0} bytes")]
    TooLarge(usize),
    /// The connection failed mid-body (or timed out).
    #[error("reading the response failed: {0}")]
    Transport(#[from] reqwest::Error),
}

/// Reads at most `max` bytes of a response body; a larger body is an error, not truncated.
pub async fn read_body(mut response: reqwest::Response, max: usize) -> Result<Bytes, BodyError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if buf.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
