//! An embedded demo dynaBOARD for `hipboard demo` and the tests: the JIRA REST v2 API the
//! add-on calls, and plain issue pages at both link forms, over a seeded data set.

mod fire;
mod model;
mod pages;
mod rest;
mod seed;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::routing::get;
use hipboard_protocol::clock::Clock;

pub use fire::EventTarget;
pub use model::DemoIssue;
use model::Project;

/// The demo dynaBOARD's state.
pub struct DemoDynaboard {
    token: String,
    projects: Vec<Project>,
    issues: RwLock<Vec<DemoIssue>>,
    /// Where the event console sends events, when connected to an add-on.
    events: Option<EventTarget>,
    http: reqwest::Client,
    /// Time of events and of created issues.
    clock: Clock,
    /// Where it is served: issue URLs are built from this, never from a request's `Host`.
    base_url: std::sync::OnceLock<String>,
}

impl DemoDynaboard {
    /// Seeded with the demo data set; `token` is the API token clients must send.
    pub fn seeded(token: impl Into<String>) -> Arc<DemoDynaboard> {
        DemoDynaboard::connected(token, None, Clock::system())
    }

    /// Seeded, with an event console sending to `events`, telling time by `clock`.
    pub fn connected(
        token: impl Into<String>,
        events: Option<EventTarget>,
        clock: Clock,
    ) -> Arc<DemoDynaboard> {
        Arc::new(DemoDynaboard {
            token: token.into(),
            projects: seed::projects(),
            issues: RwLock::new(seed::issues()),
            events,
            http: hipboard_protocol::http::client(std::time::Duration::from_secs(15)),
            clock,
            base_url: std::sync::OnceLock::new(),
        })
    }

    /// The whole HTTP interface (REST + pages), served at `base_url` (the first one given).
    pub fn router(self: &Arc<Self>, base_url: &str) -> Router {
        let _ = self.base_url.set(base_url.trim_end_matches('/').to_owned());
        Router::new()
            .route("/", get(pages::index))
            .route("/browse/{key}", get(pages::issue))
            .route("/issues/{key}", get(pages::issue))
            .route("/rest/api/2/issue/{key}", get(rest::issue))
            .route("/rest/api/2/myself", get(rest::myself))
            .route("/events", get(pages::events))
            .route("/demo/fire", axum::routing::post(fire::fire))
            .with_state(self.clone())
    }

    /// The base URL it is served at.
    pub fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map_or("http://localhost", String::as_str)
    }

    /// Keys of every issue, in project then number order.
    pub fn issue_keys(&self) -> Vec<String> {
        self.read().iter().map(|i| i.key.clone()).collect()
    }

    /// One issue rendered exactly as the REST API returns it, for `base`.
    pub fn issue_json(&self, key: &str, base: &str) -> Option<serde_json::Value> {
        let issues = self.read();
        let issue = issues.iter().find(|i| i.key == key)?;
        Some(issue.to_jira(base, self.project_name(&issue.project)))
    }

    fn project_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.projects
            .iter()
            .find(|p| p.key == key)
            .map_or(key, |p| p.name.as_str())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<DemoIssue>> {
        self.issues.read().unwrap_or_else(|p| p.into_inner())
    }
}
