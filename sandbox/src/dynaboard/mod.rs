//! The dynaBOARD emulator, for `hipboard demo` and the tests: the JIRA REST v2 API the add-on
//! calls, and plain issue pages at both link forms, over a seeded (or empty) data set. Tests
//! put the issues they need, inject faults into the API and read the calls it received.

mod calls;
mod faults;
mod fire;
mod model;
mod pages;
mod rest;
mod seed;

use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use hipboard_protocol::clock::Clock;
use tokio::sync::watch;

pub use calls::Call;
pub use faults::Fault;
pub use fire::EventTarget;
use model::Project;
pub use model::{DemoIssue, Person};

/// The dynaBOARD emulator's state (the demo's and the tests').
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
    /// The fault the REST API plays, if any.
    faults: watch::Sender<Option<Fault>>,
    /// Requests received.
    calls: Mutex<calls::CallLog>,
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
        Arc::new(DemoDynaboard::with_issues(
            token.into(),
            seed::issues(),
            events,
            clock,
        ))
    }

    /// With no issue (the demo's projects only), for tests that put exactly the issues they
    /// need; `token` is the API token clients must send.
    pub fn empty(token: impl Into<String>) -> Arc<DemoDynaboard> {
        Arc::new(DemoDynaboard::with_issues(
            token.into(),
            Vec::new(),
            None,
            Clock::system(),
        ))
    }

    fn with_issues(
        token: String,
        issues: Vec<DemoIssue>,
        events: Option<EventTarget>,
        clock: Clock,
    ) -> DemoDynaboard {
        DemoDynaboard {
            token,
            projects: seed::projects(),
            issues: RwLock::new(issues),
            events,
            http: hipboard_protocol::http::client(std::time::Duration::from_secs(15)),
            clock,
            base_url: std::sync::OnceLock::new(),
            faults: watch::Sender::new(None),
            calls: Mutex::default(),
        }
    }

    /// The whole HTTP interface (REST + pages), served at `base_url` (the first one given).
    pub fn router(self: &Arc<Self>, base_url: &str) -> Router {
        let _ = self.base_url.set(base_url.trim_end_matches('/').to_owned());
        let api = Router::new()
            .route("/rest/api/2/issue/{key}", get(rest::issue))
            .route("/rest/api/2/myself", get(rest::myself))
            .route_layer(from_fn_with_state(self.clone(), faults::play));
        Router::new()
            .route("/", get(pages::index))
            .route("/browse/{key}", get(pages::issue))
            .route("/issues/{key}", get(pages::issue))
            .route("/events", get(pages::events))
            .route("/demo/fire", axum::routing::post(fire::fire))
            .merge(api)
            .layer(from_fn_with_state(self.clone(), calls::record))
            .with_state(self.clone())
    }

    /// Adds `issue`, or replaces the issue of its key; a new issue gets the next free id.
    pub fn put_issue(&self, mut issue: DemoIssue) {
        let mut issues = self.issues.write().unwrap_or_else(|p| p.into_inner());
        match issues.iter_mut().find(|i| i.key == issue.key) {
            Some(existing) => {
                issue.id = existing.id;
                *existing = issue;
            }
            None => {
                issue.id = issues.iter().map(|i| i.id).max().unwrap_or(10_000) + 1;
                issues.push(issue);
            }
        }
    }

    /// Makes the REST API play `fault` from now on; `None` makes it answer normally again.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.faults.send_replace(fault);
    }

    /// Requests received so far (API, pages and console), fault or not.
    pub fn call_count(&self) -> usize {
        self.call_log().total()
    }

    /// The most recent requests received (up to a thousand), oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.call_log().recent()
    }

    fn call_log(&self) -> std::sync::MutexGuard<'_, calls::CallLog> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
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
