//! Rooms (§7.4): create, list with HipChat's paging, read, update, delete, set the topic.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::model::SandboxRoom;
use crate::{Sandbox, SandboxEvent};
use hipboard_protocol::wire::CreateRoom;

use super::answer::*;
use super::auth::*;

pub(crate) fn room_or_404(sandbox: &Sandbox, key: &str) -> Result<SandboxRoom, Refused> {
    sandbox
        .world()
        .find_room(key)
        .cloned()
        .ok_or_else(|| Refused::hipchat(StatusCode::NOT_FOUND, &format!("Room not found: {key}")))
}

pub(crate) async fn create_room(
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
                created: sandbox.now().timestamp(),
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

pub(crate) fn new_guest_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// `GET /room`: HipChat's paging (`start-index` from 0, `max-results` 0–1000, default 100) and
/// filters (`include-private` default true, `include-archived` default false), rooms by id, a
/// `next` link while more follow.
pub(crate) async fn list_rooms(
    State(sandbox): State<Sandbox>,
    Query(query): Q,
    headers: HeaderMap,
) -> Answer {
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

pub(crate) async fn get_room(
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
pub(crate) fn room_json(sandbox: &Sandbox, room: &SandboxRoom) -> Value {
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
pub(crate) fn room_links(base: &str, id: i64) -> Value {
    json!({"self": format!("{base}/v2/room/{id}"),
           "webhooks": format!("{base}/v2/room/{id}/webhook"),
           "members": format!("{base}/v2/room/{id}/member"),
           "participants": format!("{base}/v2/room/{id}/participant")})
}

/// `PUT /room/{room}`: every field is required, as in HipChat.
pub(crate) async fn update_room(
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

pub(crate) async fn delete_room(
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

pub(crate) async fn set_topic(
    State(sandbox): State<Sandbox>,
    Path(room): Path<String>,
    Query(query): Q,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let auth = authorize(&sandbox, &headers, &query, &["admin_room"])?;
    let room = room_or_404(&sandbox, &room).map_err(|r| r.with(&auth))?;
    let topic: hipboard_protocol::wire::SetTopic = parse_json(&body).map_err(|r| r.with(&auth))?;
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
    crate::room_events::topic_changed(&sandbox, room.id, auth.sender(), &topic.topic);
    Ok(with_headers(auth, StatusCode::NO_CONTENT))
}
