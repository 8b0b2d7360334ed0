//! "Check connection": tests a dynaBOARD URL and API token and says precisely what is wrong —
//! the failure modes dynaBOARD's own troubleshooting list names (blank space around the token,
//! a URL with a path, the token refused, the server unreachable).

use serde::Serialize;
use url::Url;

use super::client::{Connection, DynaboardClient, LookupError};

/// One line of a connection check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckLine {
    /// Whether this part is fine.
    pub ok: bool,
    /// What was checked.
    pub subject: String,
    /// What was found, in words.
    pub message: String,
}

impl CheckLine {
    /// A passing line.
    pub fn ok(subject: &str, message: impl Into<String>) -> CheckLine {
        CheckLine {
            ok: true,
            subject: subject.into(),
            message: message.into(),
        }
    }

    /// A failing line.
    pub fn failed(subject: &str, message: impl Into<String>) -> CheckLine {
        CheckLine {
            ok: false,
            subject: subject.into(),
            message: message.into(),
        }
    }
}

/// Parses what a person typed as a dynaBOARD URL and token, without calling anything.
pub fn parse_connection(url: &str, token: &str) -> Result<Connection, CheckLine> {
    let url = parse_url(url)?;
    check_token(token)?;
    Ok(Connection {
        url,
        token: token.to_owned(),
    })
}

/// A dynaBOARD base URL: http(s), a host, no query or fragment; trailing slash dropped.
pub fn parse_url(url: &str) -> Result<Url, CheckLine> {
    let trimmed = url.trim();
    let parsed = Url::parse(trimmed)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            CheckLine::failed(
                "dynaBOARD URL",
                format!("{trimmed:?} is not an http:// or https:// URL with a host."),
            )
        })?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(CheckLine::failed(
            "dynaBOARD URL",
            "The URL must not have a query or fragment.",
        ));
    }
    Url::parse(parsed.as_str().trim_end_matches('/'))
        .map_err(|e| CheckLine::failed("dynaBOARD URL", e.to_string()))
}

/// An API token: not empty, no blank space around it (a copy-and-paste slip the seed warns of).
pub fn check_token(token: &str) -> Result<(), CheckLine> {
    if token.is_empty() {
        return Err(CheckLine::failed(
            "dynaBOARD token",
            "The API token is empty.",
        ));
    }
    if token.trim() != token {
        return Err(CheckLine::failed(
            "dynaBOARD token",
            "The API token has blank space at its start or end; paste it without.",
        ));
    }
    Ok(())
}

/// Calls dynaBOARD with the connection and reports the outcome.
pub async fn check(client: &DynaboardClient, connection: &Connection) -> CheckLine {
    let path = connection.url.path().trim_end_matches('/').to_owned();
    if let Err(refused) = client.allowed(connection).await {
        return CheckLine::failed("dynaBOARD URL", refused.to_string());
    }
    match client.myself(connection).await {
        Ok(name) => CheckLine::ok(
            "dynaBOARD",
            format!(
                "Connected to {} as {name}.",
                connection.url.as_str().trim_end_matches('/')
            ),
        ),
        Err(LookupError::Unexpected(404)) if !path.is_empty() => CheckLine::failed(
            "dynaBOARD URL",
            format!(
                "No dynaBOARD API under this URL: it has a path ({path}); enter the base URL only."
            ),
        ),
        Err(LookupError::Unexpected(404)) => CheckLine::failed(
            "dynaBOARD URL",
            "This server has no dynaBOARD API (404); check the URL.",
        ),
        Err(LookupError::TokenRefused) => {
            CheckLine::failed("dynaBOARD token", "dynaBOARD refused the API token (401).")
        }
        Err(e) => CheckLine::failed("dynaBOARD", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_judged_before_calling() {
        assert!(parse_connection("https://db.example/", "t").is_ok());
        assert_eq!(
            parse_connection("https://db.example/", "t")
                .unwrap()
                .url
                .as_str(),
            "https://db.example/"
        );
        let e = parse_connection("https://db.example", " t").unwrap_err();
        assert!(e.message.contains("blank space"));
        assert!(
            parse_connection("db.example", "t")
                .unwrap_err()
                .message
                .contains("not an http")
        );
        assert!(parse_connection("https://db.example?x=1", "t").is_err());
        assert!(parse_connection("https://db.example", "").is_err());
    }
}
