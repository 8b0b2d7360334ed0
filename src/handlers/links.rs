//! Finding dynaBOARD issue links in text: both link forms, any surrounding punctuation or HTML.

use once_cell::sync::Lazy;
use regex::Regex;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::dynaboard::client::Connection;
use crate::model::IssueKey;

/// Links looked at in one message, at most; the rest of a pathological message is ignored.
pub const MAX_LINKS: usize = 50;

/// A link whose path ends in `/browse/KEY` or `/issues/KEY`, on any host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueLink {
    /// The link, without trailing punctuation.
    pub url: String,
    /// The issue it names.
    pub key: IssueKey,
}

/// URL-looking runs: stop at white space, quotes, angle brackets and other characters that
/// cannot appear unescaped in a URL, so `<a href="…">`, `(…)` and `"…"` all work.
static URL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"https?://[^\s<>"'`(){}\[\]|\\^]+"#)
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Every issue link in `text`, in order, distinct by URL, at most [`MAX_LINKS`].
pub fn find(text: &str) -> Vec<IssueLink> {
    let mut out: Vec<IssueLink> = Vec::new();
    for m in URL.find_iter(text) {
        let raw = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_', '~']);
        let Some(key) = key_of(raw) else { continue };
        if out.iter().all(|l| l.url != raw) {
            out.push(IssueLink {
                url: raw.to_owned(),
                key,
            });
        }
        if out.len() == MAX_LINKS {
            break;
        }
    }
    out
}

fn key_of(link: &str) -> Option<IssueKey> {
    let url = Url::parse(link).ok()?;
    let mut segments: Vec<&str> = url.path_segments()?.collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    let [.., kind, key] = segments.as_slice() else {
        return None;
    };
    if !matches!(*kind, "browse" | "issues") {
        return None;
    }
    // Keys in links are upper case; a lower-case segment is some other page.
    IssueKey::parse(key).filter(|k| k.as_str() == *key)
}

/// Whether the link points into this dynaBOARD: same origin and the connection's path prefix,
/// then exactly `browse/KEY` or `issues/KEY` (DESIGN.md "Unfurling").
pub fn is_on(link: &IssueLink, connection: &Connection) -> bool {
    let Ok(url) = Url::parse(&link.url) else {
        return false;
    };
    if url.origin() != connection.url.origin() {
        return false;
    }
    let prefix = connection.url.path().trim_end_matches('/');
    let path = url.path().trim_end_matches('/');
    [
        format!("{prefix}/browse/{}", link.key),
        format!("{prefix}/issues/{}", link.key),
    ]
    .contains(&path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(url: &str) -> Connection {
        Connection {
            url: Url::parse(url).unwrap(),
            token: "t".into(),
        }
    }

    #[test]
    fn finds_links_in_any_wrapping() {
        let text = r#"see (https://db.example/browse/DB-1), <a href="https://db.example/issues/DB-2">x</a>; and
            https://db.example/browse/DB-3. also "https://db.example/browse/DB-4"! https://db.example/browse/DB-1"#;
        let keys: Vec<String> = find(text).into_iter().map(|l| l.key.to_string()).collect();
        assert_eq!(keys, ["DB-1", "DB-2", "DB-3", "DB-4"]);
    }

    #[test]
    fn only_the_configured_dynaboard_counts() {
        let c = conn("https://db.example");
        let links = find(
            "https://db.example/browse/DB-1 https://evil.example/browse/DB-2 http://db.example/browse/DB-3 https://db.example:8443/browse/DB-4 https://db.example/x/browse/DB-5",
        );
        let on: Vec<String> = links
            .iter()
            .filter(|l| is_on(l, &c))
            .map(|l| l.key.to_string())
            .collect();
        assert_eq!(on, ["DB-1"]);
        let prefixed = conn("https://corp.example/portal");
        let links =
            find("https://corp.example/portal/issues/DB-7 https://corp.example/browse/DB-8");
        let on: Vec<String> = links
            .iter()
            .filter(|l| is_on(l, &prefixed))
            .map(|l| l.key.to_string())
            .collect();
        assert_eq!(on, ["DB-7"]);
    }

    #[test]
    fn ignores_lookalikes() {
        assert!(find("https://db.example/browse/db-1 https://db.example/browse/DB-1x https://db.example/browse/").is_empty());
        assert_eq!(
            find(&"https://db.example/browse/DB-1 ".repeat(200)).len(),
            1
        );
    }
}
