//! Glance pushes (§9.3): `POST /addon/ui/room/{room}` and `POST /addon/ui`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;

use crate::{Sandbox, SandboxEvent};
use hipboard_protocol::wire::GlanceUpdate;

use super::answer::*;
use super::auth::*;

pub(crate) async fn glance_room(
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

pub(crate) async fn glance_group(
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

pub(crate) fn push_glances(
    sandbox: &Sandbox,
    auth: Authorized,
    rooms: &[i64],
    body: &Bytes,
) -> Answer {
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
