//! `GET /room/{room}/history/latest` and the history items HipChat answers with.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::model::{Author, Posted};

use super::answer::*;
use super::auth::*;
use super::rooms::*;

/// `GET /room/{room}/history/latest?max-results=N` (at most 1000, newest last).
pub(crate) async fn latest_history(
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
pub(crate) fn history_items(sandbox: &Sandbox, posted: &[Posted]) -> Vec<Value> {
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
