//! The installation lifecycle's endpoints: HipChat's install, update and uninstall callbacks.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Body, Json, Path, Query};
use crate::error::ApiError;
use crate::hipchat::install::{InstallError, Installer};
use crate::hipchat::wire::{InstallPayload, UpdatePayload};

/// `POST /installed`: HipChat's installation callback. Any content type; the body must be JSON.
pub async fn installed(
    State(installer): State<Arc<Installer>>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let payload: InstallPayload =
        serde_json::from_slice(&body).map_err(|e| InstallError::BadPayload(e.to_string()))?;
    let installation = installer.install(payload).await?;
    Ok(Json(json!({
        "oauthId": installation.oauth_id,
        "groupId": installation.group_id,
        "roomId": installation.room_id,
        "installed": true,
    }))
    .into_response())
}

/// `POST /updated`: HipChat's update callback.
pub async fn updated(
    State(installer): State<Arc<Installer>>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let payload: UpdatePayload =
        serde_json::from_slice(&body).map_err(|e| InstallError::BadPayload(e.to_string()))?;
    let installation = installer.update(payload).await?;
    Ok(Json(json!({"oauthId": installation.oauth_id, "updated": true})).into_response())
}

/// `DELETE /installed/{oauthId}`: confirmed uninstall.
pub async fn uninstalled_by_delete(
    State(installer): State<Arc<Installer>>,
    Path(oauth_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    installer.uninstall(&oauth_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of the redirect flows.
#[derive(Deserialize)]
pub struct RedirectFlow {
    installable_url: String,
    redirect_url: String,
}

/// `GET /uninstalled?installable_url=…&redirect_url=…`: 302 back to HipChat when done.
pub async fn uninstalled_by_redirect(
    State(installer): State<Arc<Installer>>,
    Query(flow): Query<RedirectFlow>,
) -> Result<Response, ApiError> {
    let to = installer
        .uninstall_by_redirect(&flow.installable_url, &flow.redirect_url)
        .await?;
    Ok((StatusCode::FOUND, [(LOCATION, to)]).into_response())
}
