//! The configuration page's endpoints: the page, the form's save, and *Check connection*.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::Response;

use super::page_response;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::views::Views;
use crate::views::configure::{self, CheckRequest};
use crate::web::extract::{Body, Json};

/// `GET /views/configure?signed_request=…`.
pub async fn show(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    Ok(page_response(configure::show(&views, &caller).await?))
}

/// `POST /views/configure` (form): validates every field; saves, or shows what is wrong where.
pub async fn save(
    State(views): State<Views>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let authorization = headers.get(AUTHORIZATION).and_then(|h| h.to_str().ok());
    Ok(page_response(
        configure::save(&views, authorization, &body).await?,
    ))
}

/// `POST /views/api/check-connection`: checks HipChat's grant of every scope, the notification
/// room, and the dynaBOARD URL and token, one line each.
pub async fn check_connection(
    State(views): State<Views>,
    caller: Caller,
    Json(request): Json<CheckRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        configure::check_connection(&views, &caller, request).await?,
    ))
}
