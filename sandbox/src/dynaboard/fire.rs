//! The demo's event console: fires dynaBOARD events at the add-on exactly as dynaBOARD would —
//! JSON signed with HMAC-SHA256 in `X-Dynaboard-Signature` — so people can watch it react.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::DemoDynaboard;
use super::model::DemoIssue;
use hipboard_protocol::signature;

/// Where events go: the add-on's event URL and the shared secret.
#[derive(Debug, Clone)]
pub struct EventTarget {
    /// `…/dynaboard/events`.
    pub url: String,
    /// `DYNABOARD_WEBHOOK_SECRET`.
    pub secret: String,
    /// `…/dynaboard/chat/status`, for the chat button.
    pub status_url: String,
}

/// A person of the demo who can cause events.
pub struct DemoUser {
    /// First name.
    pub first: &'static str,
    /// Last name.
    pub last: &'static str,
    /// E-mail.
    pub email: &'static str,
    /// Their customer.
    pub customer: &'static str,
    /// customer, partner or admin.
    pub role: &'static str,
}

/// The people who act in the console.
pub const USERS: &[DemoUser] = &[
    DemoUser {
        first: "Zoë",
        last: "Ångström",
        email: "zoe@acme.example",
        customer: "Acme Corp",
        role: "customer",
    },
    DemoUser {
        first: "José",
        last: "Núñez",
        email: "jose@globex.example",
        customer: "Globex",
        role: "customer",
    },
    DemoUser {
        first: "雷",
        last: "李",
        email: "li.lei@partner.example",
        customer: "dynaBOARD Partner",
        role: "partner",
    },
    DemoUser {
        first: "Ольга",
        last: "Петрова",
        email: "olga@dynaboard.example",
        customer: "",
        role: "admin",
    },
];

/// What the console asks for.
#[derive(Debug, Deserialize)]
pub struct FireRequest {
    /// Index into [`USERS`].
    user: usize,
    /// The event type.
    event: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    approved: bool,
}

/// `POST /demo/fire`: builds, signs and sends one event; answers with the add-on's answer.
pub async fn fire(State(demo): State<Arc<DemoDynaboard>>, Json(r): Json<FireRequest>) -> Response {
    let Some(target) = demo.events.clone() else {
        return (
            StatusCode::CONFLICT,
            Json(json!({"error": "this demo dynaBOARD is not connected to an add-on"})),
        )
            .into_response();
    };
    let Some(user) = USERS.get(r.user) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "no such user"})),
        )
            .into_response();
    };
    let base = demo.base_url().to_owned();
    let mut event = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "event": r.event,
        "at": demo.clock.now().to_rfc3339(),
        "user": {"first_name": user.first, "last_name": user.last, "email": user.email,
                 "customer": user.customer, "role": user.role},
    });
    let issue = match r.event.as_str() {
        "issue_created" => Some(demo.create_issue(&r.summary, &r.r#type, &r.priority, user)),
        "comment_created" | "issue_approval" => demo.find(&r.key),
        _ => None,
    };
    if let Some(issue) = &issue {
        event["issue"] = json!({"key": issue.key, "summary": issue.summary, "project": issue.project,
                                "url": format!("{base}/browse/{}", issue.key)});
        if r.event == "issue_created" {
            event["issue"]["type"] = json!(issue.issue_type);
            event["issue"]["priority"] = json!(issue.priority);
        }
    } else if matches!(r.event.as_str(), "comment_created" | "issue_approval") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("no issue {:?}", r.key)})),
        )
            .into_response();
    }
    if r.event == "comment_created" {
        event["comment"] = json!({"body": r.comment});
    }
    if r.event == "issue_approval" {
        event["approved"] = json!(r.approved);
    }
    let body = serde_json::to_vec(&event).unwrap_or_default();
    let answer = demo
        .http
        .post(&target.url)
        .header("Content-Type", "application/json")
        .header(
            "X-Dynaboard-Signature",
            signature::sign(target.secret.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await;
    match answer {
        Ok(response) => {
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            Json(json!({"status": status, "answer": body, "event": event})).into_response()
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"error": format!("the add-on did not answer: {e}")})),
        )
            .into_response(),
    }
}

impl DemoDynaboard {
    /// Adds an issue to project DB, as a customer would create it.
    fn create_issue(
        &self,
        summary: &str,
        issue_type: &str,
        priority: &str,
        user: &DemoUser,
    ) -> DemoIssue {
        let mut issues = self.issues.write().unwrap_or_else(|p| p.into_inner());
        let next = issues.iter().filter(|i| i.project == "DB").count() + 1;
        let now = self
            .clock
            .now()
            .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
            .to_string();
        let issue = DemoIssue {
            id: 20_000 + issues.len() as u64,
            key: format!("DB-{next}"),
            project: "DB".into(),
            summary: if summary.trim().is_empty() {
                "New issue from the demo".into()
            } else {
                summary.trim().chars().take(200).collect()
            },
            description: Some(format!(
                "Created in the demo by {} {}.",
                user.first, user.last
            )),
            status: "Open".into(),
            category: "new".into(),
            priority: if priority.is_empty() {
                "Major".into()
            } else {
                priority.into()
            },
            issue_type: if issue_type.is_empty() {
                "Bug".into()
            } else {
                issue_type.into()
            },
            assignee: None,
            reporter: super::model::Person {
                name: format!("{} {}", user.first, user.last),
                email: user.email.into(),
            },
            created: now.clone(),
            updated: now,
            restricted: false,
        };
        issues.push(issue.clone());
        issue
    }

    fn find(&self, key: &str) -> Option<DemoIssue> {
        self.read()
            .iter()
            .find(|i| i.key == key.trim().to_uppercase())
            .cloned()
    }
}
