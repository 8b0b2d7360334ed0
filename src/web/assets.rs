//! `GET /static/{name}`: the images the add-on serves itself (icons for cards, glances and the
//! descriptor), compiled into the binary so a deployment cannot lose them.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::Path;

/// Every asset: (file name, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "dynaboard.png",
        "image/png",
        include_bytes!("../../templates/static/dynaboard.png"),
    ),
    (
        "dynaboard@2x.png",
        "image/png",
        include_bytes!("../../templates/static/dynaboard@2x.png"),
    ),
    (
        "incident.png",
        "image/png",
        include_bytes!("../../templates/static/incident.png"),
    ),
    (
        "incident@2x.png",
        "image/png",
        include_bytes!("../../templates/static/incident@2x.png"),
    ),
    (
        "incidents.png",
        "image/png",
        include_bytes!("../../templates/static/incidents.png"),
    ),
    (
        "incidents@2x.png",
        "image/png",
        include_bytes!("../../templates/static/incidents@2x.png"),
    ),
    (
        "meme.png",
        "image/png",
        include_bytes!("../../templates/static/meme.png"),
    ),
    (
        "meme@2x.png",
        "image/png",
        include_bytes!("../../templates/static/meme@2x.png"),
    ),
    (
        "chat.png",
        "image/png",
        include_bytes!("../../templates/static/chat.png"),
    ),
    (
        "chat@2x.png",
        "image/png",
        include_bytes!("../../templates/static/chat@2x.png"),
    ),
];

/// `GET /static/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
