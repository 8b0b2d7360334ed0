//! Response shapes shared by endpoints of different groups, and the request URI fit for logs.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// JSON any web page may read (glance queries, dynaBOARD's chat button) and nobody may cache:
/// it changes with every incident or opening hour.
pub fn public_json<T: serde::Serialize>(value: T) -> Response {
    let mut response = Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Query parameters whose values are credentials (HipChat's `signed_request` JWT and the like).
const SECRET_PARAMS: [&str; 5] = ["signed_request", "jwt", "token", "access_token", "secret"];

/// A request URI fit for logs: the values of credential parameters replaced, so a debug log
/// never holds a token that is still valid.
pub fn redacted_uri(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.to_string();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            // Judged on the decoded name: `signed%5Frequest=` is read as `signed_request` too.
            let decoded = url::form_urlencoded::parse(pair.as_bytes()).next();
            match (pair.split_once('='), decoded) {
                (Some((name, _)), Some((key, _)))
                    if SECRET_PARAMS.iter().any(|s| key.eq_ignore_ascii_case(s)) =>
                {
                    format!("{name}=REDACTED")
                }
                _ => pair.to_owned(),
            }
        })
        .collect();
    format!("{}?{}", uri.path(), redacted.join("&"))
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn tokens_never_reach_a_logged_uri() {
        let uri: axum::http::Uri =
            "/views/sidebar?theme=light&signed_request=eyJ.abc.def&SIGNED_REQUEST=x"
                .parse()
                .unwrap();
        let logged = redacted_uri(&uri);
        assert_eq!(
            logged,
            "/views/sidebar?theme=light&signed_request=REDACTED&SIGNED_REQUEST=REDACTED"
        );
        assert_eq!(redacted_uri(&"/healthz".parse().unwrap()), "/healthz");
        // Encoded names are what the query parser reads them as.
        let encoded: axum::http::Uri = "/views/glance?signed%5Frequest=eyJ.abc.def&a=1"
            .parse()
            .unwrap();
        assert_eq!(
            redacted_uri(&encoded),
            "/views/glance?signed%5Frequest=REDACTED&a=1"
        );
    }
}
