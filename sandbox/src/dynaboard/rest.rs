//! The demo's JIRA REST v2 endpoints, with JIRA's error shape `{"errorMessages": [...]}`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::DemoDynaboard;
use hipboard_protocol::issue_key::IssueKey;

/// An error in JIRA's shape.
pub(super) fn jira_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"errorMessages": [message], "errors": {}})),
    )
        .into_response()
}

/// `Authorization: Bearer <token>`, compared in constant time.
fn authorized(demo: &DemoDynaboard, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    bool::from(given.as_bytes().ct_eq(demo.token.as_bytes()))
}

fn unauthenticated() -> Response {
    jira_error(
        StatusCode::UNAUTHORIZED,
        "You are not authenticated. Authentication required to perform this operation.",
    )
}

/// `GET /rest/api/2/issue/{key}`.
pub async fn issue(
    State(demo): State<Arc<DemoDynaboard>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&demo, &headers) {
        return unauthenticated();
    }
    let Some(key) = IssueKey::parse(&key) else {
        return jira_error(StatusCode::BAD_REQUEST, "The issue key is not valid.");
    };
    let issues = demo.read();
    match issues.iter().find(|i| i.key == key.as_str()) {
        None => jira_error(StatusCode::NOT_FOUND, "Issue Does Not Exist"),
        Some(i) if i.restricted => jira_error(
            StatusCode::FORBIDDEN,
            "You do not have the permission to see the specified issue.",
        ),
        Some(i) => Json(i.to_jira(demo.base_url(), demo.project_name(&i.project))).into_response(),
    }
}

/// `GET /rest/api/2/myself`: the token's user.
pub async fn myself(State(demo): State<Arc<DemoDynaboard>>, headers: HeaderMap) -> Response {
    if !authorized(&demo, &headers) {
        return unauthenticated();
    }
    Json(
        json!({"name": "hipboard-bot", "displayName": "hipboard bot",
                "emailAddress": "bot@dynaboard.example", "active": true}),
    )
    .into_response()
}
