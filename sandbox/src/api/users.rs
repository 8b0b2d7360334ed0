//! `GET /user/{user}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::Sandbox;

use super::answer::*;
use super::auth::*;

pub(crate) async fn get_user(
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
