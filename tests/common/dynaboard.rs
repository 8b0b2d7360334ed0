//! A controllable dynaBOARD for tests: serves JIRA-shaped issues, or fails on demand, and
//! counts the calls it gets.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

pub const TOKEN: &str = "test-dynaboard-token";

/// How the fake answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Serve issues.
    Normal,
    /// Answer every call with this status.
    Status(u16),
    /// Never answer (past the add-on's timeout).
    Stall,
    /// Answer 302 to this URL.
    Redirect(&'static str),
}

#[derive(Clone)]
pub struct FakeDynaboard {
    pub url: String,
    issues: Arc<Mutex<HashMap<String, Value>>>,
    mode: Arc<Mutex<Mode>>,
    hits: Arc<AtomicUsize>,
}

impl FakeDynaboard {
    pub async fn start() -> FakeDynaboard {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeDynaboard {
            url: format!("http://{}", listener.local_addr().unwrap()),
            issues: Arc::default(),
            mode: Arc::new(Mutex::new(Mode::Normal)),
            hits: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/rest/api/2/issue/{key}", get(issue))
            .route("/rest/api/2/myself", get(myself))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Calls received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Adds an issue; `category` is new, indeterminate or done.
    pub fn add(&self, key: &str, summary: &str, status: &str, category: &str) {
        self.add_json(json!({
            "id": "10001", "key": key,
            "fields": {
                "summary": summary,
                "description": format!("Details of {summary}.\n\nSecond paragraph."),
                "status": {"name": status, "statusCategory": {"key": category, "name": status}},
                "priority": {"name": "Major"},
                "issuetype": {"name": "Bug"},
                "assignee": {"displayName": "Zoë Ångström", "emailAddress": "zoe@example.com"},
                "reporter": {"displayName": "José Núñez"},
                "created": "2025-03-01T08:00:00.000+0000",
                "updated": "2025-03-14T09:26:53.000+0000",
            }
        }));
    }

    pub fn add_json(&self, issue: Value) {
        let key = issue["key"].as_str().unwrap().to_owned();
        self.issues.lock().unwrap().insert(key, issue);
    }
}

async fn gate(fake: &FakeDynaboard, headers: &HeaderMap) -> Option<Response> {
    fake.hits.fetch_add(1, Ordering::SeqCst);
    let mode = *fake.mode.lock().unwrap();
    match mode {
        Mode::Normal => {}
        Mode::Status(s) => {
            return Some(
                (
                    StatusCode::from_u16(s).unwrap(),
                    Json(json!({"errorMessages": ["injected"]})),
                )
                    .into_response(),
            );
        }
        Mode::Stall => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
        Mode::Redirect(to) => {
            return Some((StatusCode::FOUND, [("location", to)]).into_response());
        }
    }
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"));
    (!authorized).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"errorMessages": ["bad token"]})),
        )
            .into_response()
    })
}

async fn issue(
    State(fake): State<FakeDynaboard>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = gate(&fake, &headers).await {
        return r;
    }
    match fake.issues.lock().unwrap().get(&key) {
        Some(issue) if issue["restricted"] == true => (
            StatusCode::FORBIDDEN,
            Json(json!({"errorMessages": ["no permission"]})),
        )
            .into_response(),
        Some(issue) => Json(issue.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"errorMessages": ["Issue Does Not Exist"]})),
        )
            .into_response(),
    }
}

async fn myself(State(fake): State<FakeDynaboard>, headers: HeaderMap) -> Response {
    if let Some(r) = gate(&fake, &headers).await {
        return r;
    }
    Json(json!({"name": "bot", "displayName": "hipboard bot"})).into_response()
}
