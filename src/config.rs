//! Settings from environment variables and flags (DESIGN.md "Contracts"), validated up front.
//!
//! Each problem is reported as one line naming the setting and the fix, so a bad start-up is
//! obvious from the terminal alone.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

use crate::hipchat::pacer::RateLimits;
use crate::model::RoomRef;

/// A setting that cannot be used, with the name of the variable or flag at fault.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    /// Environment variable (or flag) name.
    pub setting: &'static str,
    /// What is wrong and how to fix it.
    pub problem: String,
}

fn bad(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        problem: problem.into(),
    }
}

/// The deployment's default dynaBOARD connection (`DYNABOARD_URL` / `_TOKEN` / `_WEBHOOK_SECRET`).
#[derive(Debug, Clone, PartialEq)]
pub struct DynaboardConnection {
    /// Base URL without a trailing slash.
    pub url: Url,
    /// API token sent as `Authorization: Bearer`.
    pub token: String,
    /// Secret for `X-Dynaboard-Signature`; events are refused without one.
    pub webhook_secret: Option<String>,
}

/// Validated settings of the add-on server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub addr: SocketAddr,
    /// Public base URL, without a trailing slash.
    pub base_url: Url,
    /// sled directory.
    pub data_dir: PathBuf,
    /// Directory holding `descriptor.json`, `commands/` and `templates/`.
    pub resources: PathBuf,
    /// Default dynaBOARD connection.
    pub dynaboard: Option<DynaboardConnection>,
    /// Default notification room.
    pub notification_room: Option<RoomRef>,
    /// HipChat's limits the outbox keeps.
    pub rate_limits: RateLimits,
    /// `HIPBOARD_HIPCHAT_ORIGINS`: the HipChats allowed to install (any public one when empty);
    /// the first owns the default dynaBOARD connection.
    pub hipchat_origins: Vec<url::Origin>,
    /// `HIPBOARD_TRUSTED_ORIGINS`: extra loopback or private origins the add-on may call.
    pub trusted_origins: Vec<url::Origin>,
    /// `HIPBOARD_METRICS_ADDR`: where `/metrics` listens; off when unset.
    pub metrics_addr: Option<SocketAddr>,
    /// `HIPBOARD_DATABASE_URL`: PostgreSQL instead of sled in `data_dir` when set.
    pub database_url: Option<DatabaseUrl>,
    /// `HIPBOARD_DATABASE_POOL`: connections each instance keeps to the database.
    pub database_pool: usize,
}

/// Connections to PostgreSQL per instance unless `HIPBOARD_DATABASE_POOL` says otherwise: enough
/// for a busy instance's concurrent commits, few enough that several instances stay well under
/// PostgreSQL's default `max_connections` (100).
pub const DEFAULT_DATABASE_POOL: usize = 16;

/// A `postgres://` URL. It may carry a password, so its `Debug` form hides it.
#[derive(Clone, PartialEq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL as given, password included: for the driver only, never for messages.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match Url::parse(&self.0) {
            Ok(mut url) => {
                if url.password().is_some() {
                    // Cannot fail on a URL that has a password, hence a host.
                    let _ = url.set_password(Some("***"));
                }
                write!(f, "DatabaseUrl({url})")
            }
            Err(_) => f.write_str("DatabaseUrl(<unparsable>)"),
        }
    }
}

/// `HIPBOARD_DATABASE_URL`: a `postgres://` or `postgresql://` URL with a host.
pub fn parse_database_url(setting: &'static str, text: &str) -> Result<DatabaseUrl, ConfigError> {
    let text = text.trim();
    let url = Url::parse(text).map_err(|e| {
        bad(
            setting,
            format!("not a URL ({e}); expected postgres://user:password@host:port/database"),
        )
    })?;
    if !matches!(url.scheme(), "postgres" | "postgresql") || url.host_str().is_none() {
        return Err(bad(
            setting,
            format!(
                "must be postgres://user:password@host:port/database, not a {}:// URL",
                url.scheme()
            ),
        ));
    }
    Ok(DatabaseUrl(text.to_owned()))
}

/// Raw settings as given by flags or the environment, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    /// `HIPBOARD_ADDR`.
    pub addr: Option<String>,
    /// `HIPBOARD_BASE_URL`.
    pub base_url: Option<String>,
    /// `HIPBOARD_DATA_DIR`.
    pub data_dir: Option<String>,
    /// `HIPBOARD_RESOURCES`.
    pub resources: Option<String>,
    /// `DYNABOARD_URL`.
    pub dynaboard_url: Option<String>,
    /// `DYNABOARD_TOKEN`.
    pub dynaboard_token: Option<String>,
    /// `DYNABOARD_WEBHOOK_SECRET`.
    pub dynaboard_webhook_secret: Option<String>,
    /// `HIPBOARD_NOTIFICATION_ROOM`.
    pub notification_room: Option<String>,
    /// `HIPBOARD_HIPCHAT_LIMITS`: `<messages>/<seconds>,<calls>/<seconds>`.
    pub hipchat_limits: Option<String>,
    /// `HIPBOARD_HIPCHAT_ORIGINS`: comma-separated `scheme://host[:port]`.
    pub hipchat_origins: Option<String>,
    /// `HIPBOARD_TRUSTED_ORIGINS`: comma-separated `scheme://host[:port]`.
    pub trusted_origins: Option<String>,
    /// `HIPBOARD_METRICS_ADDR`: `IP:port` of the metrics listener.
    pub metrics_addr: Option<String>,
    /// `HIPBOARD_DATABASE_URL`: `postgres://…`.
    pub database_url: Option<String>,
    /// `HIPBOARD_DATABASE_POOL`: a positive number of connections.
    pub database_pool: Option<String>,
}

/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

impl RawConfig {
    /// Validates every setting; the first problem found is returned.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let addr_text = non_empty(self.addr).unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr: SocketAddr = addr_text.parse().map_err(|_| {
            bad(
                "HIPBOARD_ADDR",
                format!(
                    "{addr_text:?} is not a socket address (expected IP:port, e.g. 127.0.0.1:3000)"
                ),
            )
        })?;
        let base_url = match non_empty(self.base_url) {
            Some(text) => parse_base_url("HIPBOARD_BASE_URL", &text)?,
            None => parse_base_url("HIPBOARD_ADDR", &format!("http://{addr}"))?,
        };
        let data_dir =
            PathBuf::from(non_empty(self.data_dir).unwrap_or_else(|| "./data".to_owned()));
        let resources = find_resources(non_empty(self.resources))?;
        let dynaboard = dynaboard_connection(
            non_empty(self.dynaboard_url),
            self.dynaboard_token,
            non_empty(self.dynaboard_webhook_secret),
        )?;
        let notification_room = non_empty(self.notification_room).and_then(|r| RoomRef::parse(&r));
        let rate_limits = match non_empty(self.hipchat_limits) {
            None => RateLimits::HIPCHAT,
            Some(text) => parse_limits(&text)?,
        };
        let hipchat_origins =
            parse_origins("HIPBOARD_HIPCHAT_ORIGINS", self.hipchat_origins.as_deref())?;
        let trusted_origins =
            parse_origins("HIPBOARD_TRUSTED_ORIGINS", self.trusted_origins.as_deref())?;
        let metrics_addr = match non_empty(self.metrics_addr) {
            None => None,
            Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
                bad(
                    "HIPBOARD_METRICS_ADDR",
                    format!(
                        "{text:?} is not a socket address (expected IP:port, e.g. 127.0.0.1:9100)"
                    ),
                )
            })?),
        };
        let database_url = non_empty(self.database_url)
            .map(|text| parse_database_url("HIPBOARD_DATABASE_URL", &text))
            .transpose()?;
        let database_pool = match non_empty(self.database_pool) {
            None => DEFAULT_DATABASE_POOL,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    bad(
                        "HIPBOARD_DATABASE_POOL",
                        format!("{text:?} is not a positive number of connections (default {DEFAULT_DATABASE_POOL})"),
                    )
                })?,
        };
        if metrics_addr == Some(addr) {
            return Err(bad(
                "HIPBOARD_METRICS_ADDR",
                "must differ from HIPBOARD_ADDR: metrics are never served on the add-on's address",
            ));
        }
        Ok(Config {
            database_url,
            database_pool,
            metrics_addr,
            addr,
            base_url,
            data_dir,
            resources,
            dynaboard,
            notification_room,
            rate_limits,
            hipchat_origins,
            trusted_origins,
        })
    }
}

impl Config {
    /// An absolute URL on this add-on for `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    /// Every origin the operator named, which the add-on may call even on a loopback or private
    /// address: the HipChats, the default dynaBOARD and the extra trusted origins.
    pub fn operator_origins(&self) -> Vec<url::Origin> {
        let mut origins = self.hipchat_origins.clone();
        origins.extend(self.dynaboard.iter().map(|d| d.url.origin()));
        origins.extend(self.trusted_origins.iter().cloned());
        origins
    }
}

/// Comma-separated origins, `scheme://host[:port]` (a trailing slash is tolerated, a path is not).
fn parse_origins(
    setting: &'static str,
    text: Option<&str>,
) -> Result<Vec<url::Origin>, ConfigError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let mut origins = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let url = Url::parse(part)
            .map_err(|e| bad(setting, format!("{part:?} is not an origin ({e})")))?;
        let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !bare {
            return Err(bad(
                setting,
                format!("{part:?} must be scheme://host[:port], e.g. https://hipchat.example.com"),
            ));
        }
        origins.push(url.origin());
    }
    Ok(origins)
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// An http(s) URL with a host and no query or fragment; a trailing slash is dropped.
pub fn parse_base_url(setting: &'static str, text: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim())
        .map_err(|e| bad(setting, format!("{text:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(
            setting,
            format!("{text:?} must be an http:// or https:// URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            setting,
            format!("{text:?} must not have a query or fragment"),
        ));
    }
    let trimmed = url.as_str().trim_end_matches('/').to_owned();
    Url::parse(&trimmed).map_err(|e| bad(setting, e.to_string()))
}

/// `30/60,500/300`: messages per room per seconds, then calls per token per seconds.
fn parse_limits(text: &str) -> Result<RateLimits, ConfigError> {
    let problem = || {
        bad(
            "HIPBOARD_HIPCHAT_LIMITS",
            format!(
                "{text:?} is not <messages>/<seconds>,<calls>/<seconds> (HipChat Cloud: 30/60,500/300)"
            ),
        )
    };
    let pair = |part: &str| -> Option<(usize, u64)> {
        let (n, secs) = part.trim().split_once('/')?;
        let (n, secs) = (n.trim().parse().ok()?, secs.trim().parse().ok()?);
        (n > 0 && secs > 0).then_some((n, secs))
    };
    let (room, token) = text.split_once(',').ok_or_else(problem)?;
    let ((per_room, room_secs), (per_token, token_secs)) =
        pair(room).zip(pair(token)).ok_or_else(problem)?;
    Ok(RateLimits {
        per_room,
        room_window: std::time::Duration::from_secs(room_secs),
        per_installation: per_token,
        installation_window: std::time::Duration::from_secs(token_secs),
    })
}

fn dynaboard_connection(
    url: Option<String>,
    token: Option<String>,
    secret: Option<String>,
) -> Result<Option<DynaboardConnection>, ConfigError> {
    let token = token.filter(|t| !t.is_empty());
    let (url, token) = match (url, token) {
        (None, None) => {
            if secret.is_some() {
                return Err(bad(
                    "DYNABOARD_WEBHOOK_SECRET",
                    "is set but DYNABOARD_URL is not",
                ));
            }
            return Ok(None);
        }
        (Some(_), None) => {
            return Err(bad(
                "DYNABOARD_TOKEN",
                "DYNABOARD_URL is set but its token is not",
            ));
        }
        (None, Some(_)) => {
            return Err(bad(
                "DYNABOARD_URL",
                "DYNABOARD_TOKEN is set but the URL is not",
            ));
        }
        (Some(u), Some(t)) => (u, t),
    };
    if token.trim() != token {
        return Err(bad(
            "DYNABOARD_TOKEN",
            "has blank space at its start or end; copy the token without it",
        ));
    }
    let url = parse_base_url("DYNABOARD_URL", &url)?;
    Ok(Some(DynaboardConnection {
        url,
        token,
        webhook_secret: secret,
    }))
}

/// Where `descriptor.json`, `commands/` and `templates/` are read from: the given directory,
/// else the working directory when it holds them, else the source tree the binary was built from.
fn find_resources(given: Option<String>) -> Result<PathBuf, ConfigError> {
    let holds = |dir: &Path| dir.join("descriptor.json").is_file() && dir.join("commands").is_dir();
    if let Some(dir) = given {
        let dir = PathBuf::from(dir);
        return if holds(&dir) {
            Ok(dir)
        } else {
            Err(bad(
                "HIPBOARD_RESOURCES",
                format!("{} holds no descriptor.json and commands/", dir.display()),
            ))
        };
    }
    let candidates = [
        std::env::current_dir().unwrap_or_default(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    ];
    candidates.into_iter().find(|d| holds(d)).ok_or_else(|| {
        bad(
            "HIPBOARD_RESOURCES",
            "no descriptor.json and commands/ in the working directory; run from the repository or set HIPBOARD_RESOURCES",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig::default()
    }

    #[test]
    fn defaults() {
        let c = raw().validate().unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(
            c.url("/descriptor.json"),
            "http://127.0.0.1:3000/descriptor.json"
        );
        assert!(c.dynaboard.is_none());
    }

    #[test]
    fn bad_settings_name_themselves() {
        let e = RawConfig {
            addr: Some("nonsense".into()),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.setting, "HIPBOARD_ADDR");
        let e = RawConfig {
            dynaboard_url: Some("http://db".into()),
            dynaboard_token: Some(" tok".into()),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.setting, "DYNABOARD_TOKEN");
        let e = RawConfig {
            base_url: Some("ftp://x".into()),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.setting, "HIPBOARD_BASE_URL");
    }

    #[test]
    fn limits_parse_or_name_the_setting() {
        let c = RawConfig {
            hipchat_limits: Some("100/300, 1000/300".into()),
            ..raw()
        }
        .validate()
        .unwrap();
        assert_eq!(c.rate_limits.per_room, 100);
        assert_eq!(c.rate_limits.installation_window.as_secs(), 300);
        for bad in ["30", "30/60", "0/60,500/300", "x/60,500/300"] {
            let e = RawConfig {
                hipchat_limits: Some(bad.into()),
                ..raw()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.setting, "HIPBOARD_HIPCHAT_LIMITS", "{bad}");
        }
    }

    #[test]
    fn origins_parse_or_name_the_setting() {
        let c = RawConfig {
            hipchat_origins: Some("http://127.0.0.1:8080, https://chat.example.com/".into()),
            trusted_origins: Some("http://10.0.0.5:9000".into()),
            ..raw()
        }
        .validate()
        .unwrap();
        assert_eq!(c.hipchat_origins.len(), 2);
        assert_eq!(
            c.hipchat_origins[1].ascii_serialization(),
            "https://chat.example.com"
        );
        assert_eq!(c.operator_origins().len(), 3);
        for bad in [
            "chat.example.com",
            "https://chat.example.com/v2/capabilities",
            "ftp://x",
        ] {
            let e = RawConfig {
                hipchat_origins: Some(bad.into()),
                ..raw()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.setting, "HIPBOARD_HIPCHAT_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn the_metrics_address_is_a_socket_address_of_its_own() {
        let with = |metrics: &str| {
            RawConfig {
                metrics_addr: Some(metrics.into()),
                ..raw()
            }
            .validate()
        };
        assert!(
            with("nonsense")
                .unwrap_err()
                .to_string()
                .contains("HIPBOARD_METRICS_ADDR")
        );
        let same = with(&raw().validate().unwrap().addr.to_string()).unwrap_err();
        assert!(same.to_string().contains("must differ"), "{same}");
        assert_eq!(
            with("127.0.0.1:9100").unwrap().metrics_addr,
            Some("127.0.0.1:9100".parse().unwrap())
        );
        assert_eq!(raw().validate().unwrap().metrics_addr, None);
    }

    #[test]
    fn the_database_url_selects_postgres_and_hides_its_password() {
        let c = raw().validate().unwrap();
        assert!(c.database_url.is_none(), "sled unless a database is named");
        assert_eq!(c.database_pool, DEFAULT_DATABASE_POOL);
        let c = RawConfig {
            database_url: Some("postgres://hb:s3cret@db.internal:5432/hipboard".into()),
            database_pool: Some("4".into()),
            ..raw()
        }
        .validate()
        .unwrap();
        let url = c.database_url.as_ref().unwrap();
        assert_eq!(
            url.secret(),
            "postgres://hb:s3cret@db.internal:5432/hipboard"
        );
        assert_eq!(c.database_pool, 4);
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
        for (url, pool, setting) in [
            ("mysql://db/x", "4", "HIPBOARD_DATABASE_URL"),
            ("db.internal", "4", "HIPBOARD_DATABASE_URL"),
            ("postgres://db/x", "0", "HIPBOARD_DATABASE_POOL"),
            ("postgres://db/x", "many", "HIPBOARD_DATABASE_POOL"),
        ] {
            let e = RawConfig {
                database_url: Some(url.into()),
                database_pool: Some(pool.into()),
                ..raw()
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.setting, setting, "{url} {pool}");
        }
    }
}
