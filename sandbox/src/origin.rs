//! The sandbox's one browser origin. Installed add-ons learned it from the capabilities document
//! (`links.homepage`): they allow framing by it, answer glance CORS for it, and `all.js` talks
//! only to it. A page opened under another loopback name of the same listener
//! (`http://localhost:3005` for `http://127.0.0.1:3005`), or over loopback when a public URL is
//! configured, would be a different origin to the browser and break every view and glance; so
//! such page loads are redirected to the sandbox's own origin, path and query kept.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::Sandbox;

/// Redirects a page load arriving under a loopback alias to the sandbox's base URL.
pub(super) async fn canonical(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let is_page_load = matches!(*request.method(), Method::GET | Method::HEAD);
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    match host.filter(|_| is_page_load) {
        Some(host) => match elsewhere(sandbox.base_url(), &host) {
            Some(base) => {
                let path = request
                    .uri()
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                Redirect::temporary(&format!("{base}{path}")).into_response()
            }
            None => next.run(request).await,
        },
        None => next.run(request).await,
    }
}

/// The base URL to send the browser to, when `host` (a `Host` header) is a loopback name that
/// is not the base URL's own authority; `None` when the request is already on the right origin
/// or came by a name the sandbox cannot vouch for (a proxy's, say).
fn elsewhere(base_url: &str, host: &str) -> Option<String> {
    let base = url::Url::parse(base_url).ok()?;
    let own = match base.port() {
        Some(port) => format!("{}:{port}", base.host_str()?),
        None => base.host_str()?.to_owned(),
    };
    if host.eq_ignore_ascii_case(&own) || !is_loopback_name(host) {
        return None;
    }
    Some(base_url.trim_end_matches('/').to_owned())
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_name(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_aliases_go_to_the_base_url_and_nothing_else_moves() {
        let base = "http://127.0.0.1:3005";
        assert_eq!(elsewhere(base, "localhost:3005").as_deref(), Some(base));
        assert_eq!(elsewhere(base, "[::1]:3005").as_deref(), Some(base));
        assert_eq!(elsewhere(base, "127.0.0.1:3005"), None);
        assert_eq!(elsewhere(base, "sandbox.example.com"), None);
        let public = "https://sandbox.example.com";
        assert_eq!(elsewhere(public, "localhost:3005").as_deref(), Some(public));
        assert_eq!(elsewhere(public, "sandbox.example.com"), None);
    }
}
