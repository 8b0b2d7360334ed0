//! The views' endpoints (sidebar, dialogs, configuration page, glance query, memes): each
//! verifies its caller, asks `views` for the page or does the work, and answers.

pub mod chat;
pub mod configure;
pub mod glance;
pub mod incident;
pub mod meme;
pub mod sidebar;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use crate::auth::Verifier;
use crate::views::{Page, Views};

impl FromRef<Views> for Verifier {
    fn from_ref(v: &Views) -> Verifier {
        Verifier {
            store: v.services.store.clone(),
            clock: v.services.clock.clone(),
        }
    }
}

/// The views' routes.
pub fn router(views: Views) -> Router {
    let glance = Router::new()
        .route("/views/glance/incidents", get(glance::incidents))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET])
                .allow_headers([header::AUTHORIZATION]),
        );
    Router::new()
        .route("/views/sidebar", get(sidebar::page_view))
        .route("/views/incident", get(incident::dialog))
        .route("/views/chat", get(chat::dialog))
        .route("/views/api/chats/{id}", get(chat::show))
        .route("/views/api/chats/{id}/take", post(chat::take))
        .route("/views/meme", get(meme::dialog))
        .route("/views/meme/preview.svg", get(meme::preview))
        .route(
            "/views/configure",
            get(configure::show).post(configure::save),
        )
        .route("/views/api/incidents", get(sidebar::list))
        .route("/views/api/incidents/{number}", get(incident::state))
        .route("/views/api/incidents/{number}/{action}", post(sidebar::act))
        .route("/views/api/issues/{key}", get(sidebar::issue))
        .route("/views/api/memes", post(meme::post))
        .route(
            "/views/api/check-connection",
            post(configure::check_connection),
        )
        .route("/memes/templates/{file}", get(meme::template_image))
        .route("/memes/{oauth_id}/{file}", get(meme::image))
        .merge(glance)
        .with_state(views)
}

/// A page with the view security headers: its policy, no sniffing, no referrer, no caching;
/// 422 when it shows a refused form.
pub fn page_response(page: Page) -> Response {
    let mut response = Html(page.html).into_response();
    if page.refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    let headers: &mut HeaderMap = response.headers_mut();
    if let Ok(v) = HeaderValue::try_from(page.policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
