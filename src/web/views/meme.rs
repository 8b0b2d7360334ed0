//! The meme dialog's endpoints: its page, preview, post; and posted memes and template pictures,
//! rendered on request at a stable, unguessable URL.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::page_response;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::handlers::meme;
use crate::memes;
use crate::pipeline::Work;
use crate::views::{Views, room_of, user_of};
use crate::web::extract::{Json, Path, Query};

/// What the dialog posts (and previews).
#[derive(Debug, Deserialize)]
pub struct MemeRequest {
    template: String,
    #[serde(default)]
    top: String,
    #[serde(default)]
    bottom: String,
}

impl MemeRequest {
    fn check(&self) -> Result<(&'static memes::MemeTemplate, String, String), ApiError> {
        let template = memes::template(&self.template)
            .ok_or_else(|| ApiError::BadRequest(format!("no meme template {:?}", self.template)))?;
        let top = memes::check_text("Top", &self.top).map_err(ApiError::BadRequest)?;
        let bottom = memes::check_text("Bottom", &self.bottom).map_err(ApiError::BadRequest)?;
        Ok((template, top, bottom))
    }
}

/// `GET /views/meme?signed_request=…`.
pub async fn dialog(State(views): State<Views>, caller: Caller) -> Result<Response, ApiError> {
    Ok(page_response(crate::views::meme::dialog(&views, &caller)?))
}

/// `GET /views/meme/preview.svg?template=…&top=…&bottom=…&signed_request=…`.
pub async fn preview(
    _caller: Caller,
    Query(request): Query<MemeRequest>,
) -> Result<Response, ApiError> {
    let (template, top, bottom) = request.check()?;
    Ok(svg(memes::render(template, &top, &bottom), "no-store"))
}

/// `POST /views/api/memes`: the meme handler, run in the pipeline, stores the meme and posts it
/// to the room as an image card.
pub async fn post(
    State(views): State<Views>,
    caller: Caller,
    Json(request): Json<MemeRequest>,
) -> Result<Response, ApiError> {
    let (template, top, bottom) = request.check()?;
    if top.is_empty() && bottom.is_empty() {
        return Err(ApiError::BadRequest("write a top or a bottom line".into()));
    }
    let room = room_of(&caller)?;
    let user = user_of(&caller.claims)?;
    let by = views
        .people
        .name_of(&caller.installation, user)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(user, error = %e, "cannot look up the user's name");
            format!("HipChat user {user}")
        });
    let oauth_id = &caller.installation.oauth_id;
    let work = Work::in_room(oauth_id, room);
    let decide = || {
        let posted = meme::post(
            &views.services,
            oauth_id,
            template,
            top.clone(),
            bottom.clone(),
            by.clone(),
        );
        async move { Ok::<_, ApiError>(posted) }
    };
    let (_, url) = views.pipeline.act(&work, decide).await?;
    Ok(Json(json!({"url": url})).into_response())
}

/// `GET /memes/{oauth_id}/{id}.svg`: a posted meme (public: chat clients load it as an image).
pub async fn image(
    State(views): State<Views>,
    Path((oauth_id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = file
        .strip_suffix(".svg")
        .ok_or_else(|| ApiError::NotFound("no such meme".into()))?;
    let meme = views
        .services
        .store
        .meme(&oauth_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such meme".into()))?;
    let template = memes::template(&meme.template)
        .ok_or_else(|| ApiError::Internal(format!("meme {id} names a template that is gone")))?;
    Ok(svg(
        memes::render(template, &meme.top, &meme.bottom),
        "public, max-age=31536000, immutable",
    ))
}

/// `GET /memes/templates/{name}.svg`: a template picture.
pub async fn template_image(Path(file): Path<String>) -> Result<Response, ApiError> {
    let template = file
        .strip_suffix(".svg")
        .and_then(memes::template)
        .ok_or_else(|| ApiError::NotFound("no such template".into()))?;
    Ok(svg(template.svg.to_owned(), "public, max-age=86400"))
}

/// SVG with headers that keep it a picture: no scripts, no sniffing.
fn svg(body: String, cache: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
