//! HipChat's REST API v2, the subset add-ons use (§7, §9.3), with scopes, limits and §7.2 rules.

use std::collections::HashMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use super::limits::Window;
use super::model::{Author, Client, IssuedToken, Posted, Recorded, SandboxRoom};
use super::{Sandbox, SandboxEvent};
use crate::hipchat::wire::{CreateRoom, ErrorBody, ErrorDetail, GlanceUpdate, Notification};

pub(super) fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v2/room", post(create_room).get(list_rooms))
        .route(
            "/v2/room/{room}",
            get(get_room).put(update_room).delete(delete_room),
        )
        .route("/v2/room/{room}/notification", post(notification))
        .route("/v2/room/{room}/topic", put(set_topic))
        .route("/v2/room/{room}/history/latest", get(latest_history))
        .route("/v2/addon/ui/room/{room_id}", post(glance_room))
        .route("/v2/addon/ui", post(glance_group))
        .route("/v2/user/{user}", get(get_user))
        .with_state(sandbox)
}

/// Records every `/v2` call and answers injected faults before the real handler runs.
pub(super) async fn faults_and_record(
    State(sandbox): State<Sandbox>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let oauth_id = caller_of(&sandbox, request.headers(), request.uri().query());
    let fault = sandbox.world().take_fault(request.uri().path());
    let response = match fault {
        None => next.run(request).await,
        Some(0) => {
            // Stall longer than any sane client timeout.
            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
            hipchat_error(StatusCode::GATEWAY_TIMEOUT, "stalled")
        }
        Some(1) => {
            // Do the work, then never answer: the caller cannot know it succeeded.
            let response = next.run(request).await;
            tokio::time::sleep(std::time::Duration::from_secs(120)).await;
            response
        }
        Some(429) => {
            let reset = chrono::Utc::now().timestamp() + 2;
            let mut r = hipchat_error(
                StatusCode::TOO_MANY_REQUESTS,
                "You have exceeded the rate limit",
            );
            set_window_headers(
                r.headers_mut(),
                "x-ratelimit",
                Window {
                    limit: 500,
                    remaining: 0,
                    reset,
                    exceeded: true,
                },
            );
            r
        }
        Some(status) => hipchat_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "injected fault",
        ),
    };
    sandbox.world().recorded.push(Recorded {
        method,
        path,
        status: response.status().as_u16(),
        oauth_id,
    });
    response
}

/// The installation making a call: by its access token (header or `auth_token`), or by the
/// client credentials of a token request.
fn caller_of(sandbox: &Sandbox, headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (scheme, value) = authorization.split_once(' ').unwrap_or_default();
    if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        return text.split_once(':').map(|(id, _)| id.to_owned());
    }
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        Some(value.trim().to_owned())
    } else {
        query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "auth_token")
                .map(|(_, v)| v.into_owned())
        })
    }?;
    sandbox
        .world()
        .tokens
        .get(&token)
        .map(|t| t.oauth_id.clone())
}

/// Every error under `/v2` in HipChat's JSON shape, whatever produced it: unknown routes (404),
/// wrong methods (405) and body rejections (axum answers those in plain text).
pub(super) async fn hipchat_errors(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/v2/") {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let message = match status {
        StatusCode::NOT_FOUND if text.is_empty() => "Resource not found".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED if text.is_empty() => {
            "Method not allowed for this resource".to_owned()
        }
        _ if text.is_empty() => status.canonical_reason().unwrap_or("Error").to_owned(),
        _ => text,
    };
    hipchat_error(status, &message)
}

/// An early answer of a sandbox endpoint (an error, or `auth_test`'s 202), boxed to stay small.
pub(super) struct Refused(Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Refused {
    fn from(r: Response) -> Refused {
        Refused(Box::new(r))
    }
}

impl Refused {
    pub(super) fn hipchat(status: StatusCode, message: &str) -> Refused {
        hipchat_error(status, message).into()
    }

    /// Adds the rate-limit headers of an authorized call.
    pub(super) fn with(mut self, auth: &Authorized) -> Refused {
        self.0.headers_mut().extend(auth.headers.clone());
        self
    }
}

pub(super) type Answer = Result<Response, Refused>;

/// HipChat's error body.
pub(super) fn hipchat_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: status.as_u16(),
            message: message.to_owned(),
            kind: status.canonical_reason().unwrap_or_default().to_owned(),
        },
    };
    (status, Json(body)).into_response()
}

/// A call authenticated with an access token, counted against its limits.
pub(super) struct Authorized {
    pub(super) client: Client,
    headers: HeaderMap,
}

impl Authorized {
    /// The add-on as the sender of the events its calls cause.
    fn sender(&self) -> super::room_events::Sender {
        super::room_events::Sender::Addon(self.client.oauth_id.clone())
    }
}

/// Bearer token (or `auth_token`), expiry, scope (any of `scopes`), then the per-token limit.
pub(super) fn authorize(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    scopes: &[&str],
) -> Result<Authorized, Refused> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .or(query.get("auth_token").map(String::as_str))
        .ok_or_else(|| {
            Refused::hipchat(StatusCode::UNAUTHORIZED, "Authenticated requests only.")
        })?;
    let (issued, client): (IssuedToken, Client) = {
        let world = sandbox.world();
        let issued = world
            .tokens
            .get(token)
            .filter(|t| t.expires_at > chrono::Utc::now().timestamp())
            .cloned()
            .ok_or_else(|| Refused::hipchat(StatusCode::UNAUTHORIZED, "Invalid OAuth session"))?;
        let client = world
            .clients
            .get(&issued.oauth_id)
            .filter(|c| !c.revoked)
            .cloned()
            .ok_or_else(|| Refused::hipchat(StatusCode::UNAUTHORIZED, "Invalid OAuth session"))?;
        (issued, client)
    };
    if !scopes.iter().any(|s| issued.scopes.iter().any(|g| g == s)) {
        return Err(Refused::hipchat(
            StatusCode::FORBIDDEN,
            &format!("This action requires one of the following scopes: {scopes:?}"),
        ));
    }
    let limits = sandbox.inner.settings.limits;
    let window = sandbox.inner.limits.hit(
        &format!("token:{token}"),
        limits.per_token,
        limits.token_window,
        now_ms(),
    );
    let mut out = HeaderMap::new();
    set_window_headers(&mut out, "x-ratelimit", window);
    if window.exceeded {
        let mut r = hipchat_error(
            StatusCode::TOO_MANY_REQUESTS,
            "You have exceeded the rate limit",
        );
        r.headers_mut().extend(out);
        return Err(r.into());
    }
    if query.get("auth_test").is_some_and(|v| v == "true") {
        let mut r = (
            StatusCode::ACCEPTED,
            Json(json!({"success": {"code": 202, "type": "Accepted",
                "message": "This auth_token has access to use this method."}})),
        )
            .into_response();
        r.headers_mut().extend(out);
        return Err(r.into());
    }
    Ok(Authorized {
        client,
        headers: out,
    })
}

pub(super) fn set_window_headers(headers: &mut HeaderMap, prefix: &str, w: Window) {
    for (suffix, value) in [
        ("limit", w.limit as i64),
        ("remaining", w.remaining as i64),
        ("reset", w.reset),
    ] {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(format!("{prefix}-{suffix}")),
            HeaderValue::try_from(value.to_string()),
        ) {
            headers.insert(name, value);
        }
    }
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn with_headers(auth: Authorized, response: impl IntoResponse) -> Response {
    let mut r = response.into_response();
    r.headers_mut().extend(auth.headers);
    r
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Refused> {
    serde_json::from_slice(body)
        .map_err(|e| Refused::hipchat(StatusCode::BAD_REQUEST, &format!("Invalid JSON: {e}")))
}

pub(super) fn room_or_404(sandbox: &Sandbox, key: &str) -> Result<SandboxRoom, Refused> {
    sandbox
        .world()
        .find_room(key)
        .cloned()
        .ok_or_else(|| Refused::hipchat(StatusCode::NOT_FOUND, &format!("Room not found: {key}")))
}

pub(super) type Q = Query<HashMap<String, String>>;

async fn notification(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["send_notification"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let notification: Notification = parse_json(&body).map_err(|r| r.with(&auth))?;
    if let Err(problem) = check_notification(&notification) {
        return Ok(with_headers(
            auth,
            hipchat_error(StatusCode::BAD_REQUEST, &problem),
        ));
    }
    let limits = sandbox.inner.settings.limits;
    let flood = sandbox.inner.limits.hit(
        &format!("room:{}", room.id),
        limits.per_room,
        limits.room_window,
        now_ms(),
    );
    let mut response = if flood.exceeded {
        hipchat_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Flood control: too many messages to this room",
        )
    } else {
        let label = notification
            .from
            .as_deref()
            .map(|f| format!("{} · {f}", auth.client.from_name()))
            .unwrap_or_else(|| auth.client.from_name());
        let posted =
            posted_notification(room.id, &auth.client.oauth_id, label, &notification, false);
        sandbox.record_post(posted.clone());
        super::room_events::notification_posted(&sandbox, &posted);
        StatusCode::NO_CONTENT.into_response()
    };
    set_window_headers(response.headers_mut(), "x-floodcontrol", flood);
    Ok(with_headers(auth, response))
}

/// §7.2 limits.
pub(super) fn check_notification(n: &Notification) -> Result<(), String> {
    let len = n.message.chars().count();
    if !(1..=10_000).contains(&len) {
        return Err(format!("message must be 1–10000 characters, got {len}"));
    }
    if n.from.as_ref().is_some_and(|f| f.chars().count() > 64) {
        return Err("from must be at most 64 characters".into());
    }
    if n.attach_to.as_ref().is_some_and(|a| a.chars().count() > 36) {
        return Err("attach_to must be at most 36 characters".into());
    }
    if let Some(card) = &n.card {
        if card.title.trim().is_empty() {
            return Err("card.title is required".into());
        }
    }
    Ok(())
}

/// A history item for an add-on notification.
pub(super) fn posted_notification(
    room_id: i64,
    oauth_id: &str,
    label: String,
    n: &Notification,
    inline: bool,
) -> Posted {
    Posted {
        id: uuid::Uuid::new_v4().to_string(),
        room_id,
        date: chrono::Utc::now().to_rfc3339(),
        kind: "notification".into(),
        author: Author::Addon {
            oauth_id: oauth_id.to_owned(),
            label,
        },
        message: n.message.clone(),
        message_format: n
            .message_format
            .map_or("html", |f| match f {
                crate::hipchat::wire::MessageFormat::Html => "html",
                crate::hipchat::wire::MessageFormat::Text => "text",
            })
            .into(),
        color: Some(
            serde_json::to_value(n.color.unwrap_or(crate::hipchat::wire::Color::Yellow))
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "yellow".into()),
        ),
        notify: n.notify.unwrap_or(false),
        card: n.card.as_ref().and_then(|c| serde_json::to_value(c).ok()),
        attach_to: n.attach_to.clone(),
        inline_reply: inline,
    }
}

async fn glance_room(
    State(sandbox): State<Sandbox>,
    Path(room_id): Path<i64>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_room", "view_group"])?;
    if !sandbox.world().rooms.contains_key(&room_id) {
        return Ok(with_headers(
            auth,
            hipchat_error(StatusCode::NOT_FOUND, "Room not found"),
        ));
    }
    push_glances(&sandbox, auth, &[room_id], &body)
}

async fn glance_group(
    State(sandbox): State<Sandbox>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_group"])?;
    let rooms: Vec<i64> = sandbox
        .world()
        .rooms
        .keys()
        .copied()
        .filter(|r| auth.client.covers(*r))
        .collect();
    push_glances(&sandbox, auth, &rooms, &body)
}

fn push_glances(sandbox: &Sandbox, auth: Authorized, rooms: &[i64], body: &Bytes) -> Answer {
    let update: GlanceUpdate = parse_json(body).map_err(|r| r.with(&auth))?;
    let declared: Vec<String> = auth
        .client
        .modules("glance")
        .iter()
        .filter_map(|g| g["key"].as_str().map(str::to_owned))
        .collect();
    if let Some(bad) = update.glance.iter().find(|g| !declared.contains(&g.key)) {
        let message = format!("Unknown glance key {}", bad.key);
        return Err(Refused::hipchat(StatusCode::BAD_REQUEST, &message).with(&auth));
    }
    for room_id in rooms {
        for entry in &update.glance {
            sandbox.world().glances.insert(
                (*room_id, auth.client.oauth_id.clone(), entry.key.clone()),
                entry.content.clone(),
            );
            sandbox.emit(SandboxEvent::Glance {
                room_id: *room_id,
                oauth_id: auth.client.oauth_id.clone(),
                key: entry.key.clone(),
                content: entry.content.clone(),
            });
        }
    }
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}

async fn create_room(
    State(sandbox): State<Sandbox>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["manage_rooms"])?;
    let request: CreateRoom = parse_json(&body).map_err(|r| r.with(&auth))?;
    let name = request.name.trim().to_owned();
    let chars = name.chars().count();
    if !(1..=50).contains(&chars) {
        return Ok(with_headers(
            auth,
            hipchat_error(
                StatusCode::BAD_REQUEST,
                &format!("Room name must be 1–50 characters, got {chars}"),
            ),
        ));
    }
    let topic = request.topic.unwrap_or_default();
    if topic.chars().count() > 250 {
        return Ok(with_headers(
            auth,
            hipchat_error(
                StatusCode::BAD_REQUEST,
                "Topic must be at most 250 characters",
            ),
        ));
    }
    let privacy = request.privacy.unwrap_or_else(|| "public".into());
    if !matches!(privacy.as_str(), "public" | "private") {
        return Ok(with_headers(
            auth,
            hipchat_error(StatusCode::BAD_REQUEST, "privacy must be public or private"),
        ));
    }
    let id = {
        let mut world = sandbox.world();
        if world
            .rooms
            .values()
            .any(|r| r.name.eq_ignore_ascii_case(&name))
        {
            drop(world);
            return Ok(with_headers(
                auth,
                hipchat_error(
                    StatusCode::BAD_REQUEST,
                    "Another room exists with that name",
                ),
            ));
        }
        let id = world.next_room_id;
        world.next_room_id += 1;
        world.rooms.insert(
            id,
            SandboxRoom {
                id,
                name,
                topic,
                privacy,
                owner_id: 1,
                guest_access: request.guest_access,
                guest_token: request.guest_access.then(new_guest_token),
                archived: false,
                created: chrono::Utc::now().timestamp(),
            },
        );
        id
    };
    sandbox.emit(SandboxEvent::Rooms);
    let link = format!("{}/v2/room/{id}", sandbox.base_url());
    let mut r = (
        StatusCode::CREATED,
        Json(json!({"id": id, "links": {"self": link}})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::try_from(link) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(with_headers(auth, r))
}

fn new_guest_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// `GET /room`: HipChat's paging (`start-index` from 0, `max-results` 0–1000, default 100) and
/// filters (`include-private` default true, `include-archived` default false), rooms by id, a
/// `next` link while more follow.
async fn list_rooms(State(sandbox): State<Sandbox>, Query(query): Q, headers: HeaderMap) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_group"])?;
    let paging = RoomPaging::of(&query)
        .map_err(|m| Refused::hipchat(StatusCode::BAD_REQUEST, &m).with(&auth))?;
    let rooms: Vec<SandboxRoom> = sandbox
        .rooms()
        .into_iter()
        .filter(|r| paging.include_private || r.privacy != "private")
        .filter(|r| paging.include_archived || !r.archived)
        .collect();
    let base = sandbox.base_url();
    let items: Vec<Value> = rooms
        .iter()
        .skip(paging.start)
        .take(paging.max)
        .map(|r| {
            json!({"id": r.id, "name": r.name, "privacy": r.privacy, "is_archived": r.archived,
                   "links": room_links(base, r.id)})
        })
        .collect();
    let page_url = |start: usize| {
        format!(
            "{base}/v2/room?start-index={start}&max-results={}&include-private={}&include-archived={}",
            paging.max, paging.include_private, paging.include_archived
        )
    };
    let mut links = json!({"self": page_url(paging.start)});
    if paging.start > 0 {
        links["prev"] = json!(page_url(paging.start.saturating_sub(paging.max)));
    }
    if paging.max > 0 && paging.start + paging.max < rooms.len() {
        links["next"] = json!(page_url(paging.start + paging.max));
    }
    Ok(with_headers(
        auth,
        Json(
            json!({"items": items, "startIndex": paging.start, "maxResults": paging.max, "links": links}),
        ),
    ))
}

/// The query of `GET /room`.
struct RoomPaging {
    start: usize,
    max: usize,
    include_private: bool,
    include_archived: bool,
}

impl RoomPaging {
    /// Reads the query with HipChat's defaults; a malformed value is HipChat's 400 message.
    fn of(query: &HashMap<String, String>) -> Result<RoomPaging, String> {
        let number = |name: &str, default: usize, max: usize| match query.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    format!("Invalid {name}: {v:?}; expected an integer from 0 to {max}")
                }),
        };
        let flag = |name: &str, default: bool| match query.get(name).map(String::as_str) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(format!("Invalid {name}: {v:?}; expected true or false")),
        };
        Ok(RoomPaging {
            start: number("start-index", 0, usize::MAX)?,
            max: number("max-results", 100, 1000)?,
            include_private: flag("include-private", true)?,
            include_archived: flag("include-archived", false)?,
        })
    }
}

async fn get_room(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_room", "view_group"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    Ok(with_headers(auth, Json(room_json(&sandbox, &room))))
}

/// `GET /room/{room}` body.
pub(super) fn room_json(sandbox: &Sandbox, room: &SandboxRoom) -> Value {
    let base = sandbox.base_url();
    let owner = sandbox.world().users.get(&room.owner_id).cloned();
    json!({
        "id": room.id,
        "name": room.name,
        "topic": room.topic,
        "privacy": room.privacy,
        "is_archived": room.archived,
        "is_guest_accessible": room.guest_access,
        "guest_access_url": room.guest_token.as_ref().filter(|_| room.guest_access).map(|t| format!("{base}/guest/{t}")),
        "xmpp_jid": format!("{}_{}@conf.sandbox.local", 1, room.id),
        "created": chrono::DateTime::from_timestamp(room.created, 0).map(|d| d.to_rfc3339()),
        "owner": owner.map(|u| json!({"id": u.id, "name": u.name, "mention_name": u.mention_name})),
        "links": room_links(base, room.id),
    })
}

/// A room's `links`, as in both `GET /room` and `GET /room/{room}`.
fn room_links(base: &str, id: i64) -> Value {
    json!({"self": format!("{base}/v2/room/{id}"),
           "webhooks": format!("{base}/v2/room/{id}/webhook"),
           "members": format!("{base}/v2/room/{id}/member"),
           "participants": format!("{base}/v2/room/{id}/participant")})
}

/// `PUT /room/{room}`: every field is required, as in HipChat.
async fn update_room(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["admin_room"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let body: Value = parse_json(&body).map_err(|r| r.with(&auth))?;
    let field = |name: &str| body.get(name).filter(|v| !v.is_null());
    for required in [
        "name",
        "privacy",
        "is_archived",
        "is_guest_accessible",
        "topic",
        "owner",
    ] {
        if field(required).is_none() {
            return Ok(with_headers(
                auth,
                hipchat_error(StatusCode::BAD_REQUEST, &format!("{required} is required")),
            ));
        }
    }
    let name = field("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !(1..=50).contains(&name.chars().count()) {
        return Ok(with_headers(
            auth,
            hipchat_error(StatusCode::BAD_REQUEST, "Room name must be 1–50 characters"),
        ));
    }
    {
        let mut world = sandbox.world();
        if world
            .rooms
            .values()
            .any(|r| r.id != room.id && r.name.eq_ignore_ascii_case(&name))
        {
            drop(world);
            return Ok(with_headers(
                auth,
                hipchat_error(
                    StatusCode::BAD_REQUEST,
                    "Another room exists with that name",
                ),
            ));
        }
        if let Some(r) = world.rooms.get_mut(&room.id) {
            r.name = name;
            r.privacy = field("privacy")
                .and_then(Value::as_str)
                .unwrap_or("public")
                .to_owned();
            r.archived = field("is_archived")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            r.topic = field("topic")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let guest = field("is_guest_accessible")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if guest && r.guest_token.is_none() {
                r.guest_token = Some(new_guest_token());
            }
            r.guest_access = guest;
        }
    }
    sandbox.emit(SandboxEvent::Rooms);
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}

async fn delete_room(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["manage_rooms"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    sandbox.delete_room(room.id);
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}

async fn set_topic(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["admin_room"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let topic: crate::hipchat::wire::SetTopic = parse_json(&body).map_err(|r| r.with(&auth))?;
    if topic.topic.chars().count() > 250 {
        return Ok(with_headers(
            auth,
            hipchat_error(
                StatusCode::BAD_REQUEST,
                "Topic must be at most 250 characters",
            ),
        ));
    }
    if let Some(r) = sandbox.world().rooms.get_mut(&room.id) {
        r.topic.clone_from(&topic.topic);
    }
    sandbox.emit(SandboxEvent::Rooms);
    super::room_events::topic_changed(&sandbox, room.id, auth.sender(), &topic.topic);
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}

/// `GET /room/{room}/history/latest?max-results=N` (at most 1000, newest last).
async fn latest_history(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_messages"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let max = query
        .get("max-results")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(75)
        .clamp(1, 1000);
    let history = sandbox.history(room.id);
    let items = history_items(&sandbox, &history[history.len().saturating_sub(max)..]);
    let n = items.len();
    Ok(with_headers(
        auth,
        Json(json!({"items": items, "startIndex": 0, "maxResults": n, "links": {}})),
    ))
}

/// History items in HipChat's shape.
pub(super) fn history_items(sandbox: &Sandbox, posted: &[Posted]) -> Vec<Value> {
    let names: HashMap<i64, (String, String)> = sandbox
        .users()
        .into_iter()
        .map(|u| (u.id, (u.name, u.mention_name)))
        .collect();
    posted
        .iter()
        .map(|p| {
            let from = match &p.author {
                Author::User { id } => {
                    let (name, mention) = names.get(id).cloned().unwrap_or_default();
                    json!({"id": id, "name": name, "mention_name": mention})
                }
                Author::Guest { name } => json!({"id": 0, "name": name, "mention_name": ""}),
                Author::Addon { label, .. } => json!(label),
            };
            json!({"id": p.id, "date": p.date, "message": p.message, "type": p.kind, "from": from,
                   "message_format": p.message_format, "color": p.color, "card": p.card, "attach_to": p.attach_to})
        })
        .collect()
}

async fn get_user(
    State(sandbox): State<Sandbox>,
    Path(user): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["view_group"])?;
    let found = {
        let world = sandbox.world();
        world
            .users
            .values()
            .find(|u| {
                u.id.to_string() == user
                    || u.email == user
                    || user.strip_prefix('@') == Some(u.mention_name.as_str())
            })
            .cloned()
    };
    let u = found
        .ok_or_else(|| Refused::hipchat(StatusCode::NOT_FOUND, "User not found").with(&auth))?;
    Ok(with_headers(
        auth,
        Json(
            json!({"id": u.id, "name": u.name, "mention_name": u.mention_name, "email": u.email,
                    "is_group_admin": u.is_group_admin, "timezone": u.timezone}),
        ),
    ))
}

/// Applies the fault/record layer to the HipChat-facing routes.
pub(super) fn layered(sandbox: Sandbox, routes: Router) -> Router {
    routes.layer(middleware::from_fn_with_state(sandbox, faults_and_record))
}
