//! HipChat's capabilities document (§2.5) and OAuth2 token endpoint (§4).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use bytes::Bytes;
use serde_json::json;

use super::Sandbox;
use super::api::hipchat_error;
use super::model::IssuedToken;
use hipboard_protocol::wire::TokenResponse;

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v2/capabilities", get(capabilities))
        .route("/v2/oauth/token", post(token))
        .with_state(sandbox)
}

async fn capabilities(State(sandbox): State<Sandbox>) -> Json<serde_json::Value> {
    let base = sandbox.base_url();
    let scope = |id: &str, name: &str, description: &str| {
        (
            id.to_owned(),
            json!({"id": id, "name": name, "description": description}),
        )
    };
    let scopes: serde_json::Map<String, serde_json::Value> = [
        scope(
            "send_notification",
            "Send Notification",
            "Send room notifications",
        ),
        scope(
            "send_message",
            "Send Message",
            "Send private one-on-one messages",
        ),
        scope(
            "view_room",
            "View Room",
            "View room information and participants",
        ),
        scope(
            "view_group",
            "View Group",
            "View users, rooms, and other group information",
        ),
        scope(
            "view_messages",
            "View Messages",
            "View messages from chat rooms and private chats",
        ),
        scope(
            "admin_room",
            "Administer Room",
            "Perform room administrative tasks",
        ),
        scope(
            "manage_rooms",
            "Manage Rooms",
            "Create, update, and remove rooms",
        ),
        scope(
            "admin_group",
            "Administer Group",
            "Perform group administrative tasks",
        ),
    ]
    .into_iter()
    .collect();
    Json(json!({
        "key": "hipchat",
        "name": "HipChat (sandbox)",
        "description": "Group chat and IM built for teams",
        "connect_server_api_version": 1,
        "vendor": {"name": "Atlassian", "url": "http://atlassian.com"},
        "links": {
            "self": sandbox.capabilities_url(),
            "api": format!("{base}/v2"),
            "homepage": base,
            "subdomain": base,
        },
        "capabilities": {
            "oauth2Provider": {
                "authorizationUrl": format!("{base}/users/authorize"),
                "tokenUrl": format!("{base}/v2/oauth/token"),
            },
            "hipchatApiProvider": {"url": format!("{base}/v2/"), "availableScopes": scopes},
        }
    }))
}

/// Client-credentials grant. Credentials by HTTP Basic; body form-encoded (or JSON, as [koa] sent).
async fn token(State(sandbox): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((oauth_id, secret)) = basic_credentials(&headers) else {
        return hipchat_error(StatusCode::UNAUTHORIZED, "Invalid OAuth session");
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let fields: std::collections::HashMap<String, String> = if is_json {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body)
            .map(|m| {
                m.into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    if fields.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return hipchat_error(
            StatusCode::BAD_REQUEST,
            "Unsupported grant_type; add-ons use client_credentials",
        );
    }
    let mut world = sandbox.world();
    let client = match world.clients.get(&oauth_id) {
        Some(c) if !c.revoked && c.secret == secret => c.clone(),
        _ => return hipchat_error(StatusCode::UNAUTHORIZED, "Invalid OAuth session"),
    };
    let allowed = client.scopes();
    let requested: Vec<String> = match fields.get("scope") {
        Some(s) if !s.trim().is_empty() => s.split_whitespace().map(str::to_owned).collect(),
        _ => allowed.clone(),
    };
    if let Some(extra) = requested.iter().find(|s| !allowed.contains(s)) {
        return hipchat_error(
            StatusCode::FORBIDDEN,
            &format!("The add-on did not declare the scope {extra}; declared: {allowed:?}"),
        );
    }
    let lifetime = sandbox.inner.settings.token_lifetime.as_secs();
    let access_token = uuid::Uuid::new_v4().simple().to_string();
    world.tokens.insert(
        access_token.clone(),
        IssuedToken {
            oauth_id,
            scopes: requested.clone(),
            expires_at: sandbox.now().timestamp() + lifetime as i64,
        },
    );
    let response = TokenResponse {
        access_token,
        expires_in: lifetime,
        group_id: Some(world.group_id),
        group_name: Some(world.group_name.clone()),
        scope: Some(requested.join(" ")),
        token_type: "bearer".into(),
    };
    (StatusCode::OK, Json(response)).into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}
