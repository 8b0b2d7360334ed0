//! `POST /room/{room}/notification` (§7.2): checked, flood-limited, posted to the room's history.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use bytes::Bytes;

use crate::Sandbox;
use crate::model::{Author, Posted};
use hipboard_protocol::wire::Notification;

use super::answer::*;
use super::auth::*;
use super::rooms::*;

pub(crate) async fn notification(
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
        sandbox.now().timestamp_millis(),
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
        let posted = posted_notification(
            &sandbox,
            room.id,
            &auth.client.oauth_id,
            label,
            &notification,
            false,
        );
        sandbox.record_post(posted.clone());
        crate::room_events::notification_posted(&sandbox, &posted);
        StatusCode::NO_CONTENT.into_response()
    };
    set_window_headers(response.headers_mut(), "x-floodcontrol", flood);
    Ok(with_headers(auth, response))
}

/// §7.2 limits.
pub(crate) fn check_notification(n: &Notification) -> Result<(), String> {
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
pub(crate) fn posted_notification(
    sandbox: &Sandbox,
    room_id: i64,
    oauth_id: &str,
    label: String,
    n: &Notification,
    inline: bool,
) -> Posted {
    Posted {
        id: uuid::Uuid::new_v4().to_string(),
        room_id,
        date: sandbox.now().to_rfc3339(),
        kind: "notification".into(),
        author: Author::Addon {
            oauth_id: oauth_id.to_owned(),
            label,
        },
        message: n.message.clone(),
        message_format: n
            .message_format
            .map_or("html", |f| match f {
                hipboard_protocol::wire::MessageFormat::Html => "html",
                hipboard_protocol::wire::MessageFormat::Text => "text",
            })
            .into(),
        color: Some(
            serde_json::to_value(n.color.unwrap_or(hipboard_protocol::wire::Color::Yellow))
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
