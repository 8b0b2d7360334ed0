//! Requests the edge's extractors refuse (malformed JSON, wrong content type, bad query or path,
//! oversized body) get the one JSON error shape, `{"error": "..."}`, with the extractor's
//! status, on every endpoint: never a plain-text answer.

mod common;

use common::{Installed, World};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// Sends `request`; asserts `status` and the JSON error shape; returns the message.
async fn refused(request: RequestBuilder, status: StatusCode) -> String {
    let response = request.send().await.unwrap();
    let url = response.url().clone();
    assert_eq!(response.status(), status, "{url}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json", "{url}");
    let body: Value = response.json().await.unwrap();
    let object = body.as_object().unwrap();
    assert_eq!(object.len(), 1, "{url}: {body}");
    let message = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{url}: {body}"));
    assert!(!message.is_empty(), "{url}");
    message.to_owned()
}

/// A HipChat token for user 2 in the installation's room.
fn token(world: &World, installed: &Installed) -> String {
    world
        .sandbox
        .sign_for(&installed.oauth_id, 2, Some(installed.room_id))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_wrong_content_types_get_the_json_error() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let token = token(&world, &installed);
    let base = &world.addon().url;
    for path in ["/views/api/memes", "/views/api/check-connection"] {
        let post = || {
            world
                .http
                .post(format!("{base}{path}"))
                .header("Authorization", format!("JWT {token}"))
        };
        let malformed = post()
            .header("content-type", "application/json")
            .body("{\"template\": ");
        let message = refused(malformed, StatusCode::BAD_REQUEST).await;
        assert!(message.contains("JSON"), "{path}: {message}");
        let wrong_type = post().header("content-type", "text/plain").body("{}");
        let message = refused(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert!(message.contains("Content-Type"), "{path}: {message}");
        let wrong_shape = post()
            .header("content-type", "application/json")
            .body("[1, 2]");
        refused(wrong_shape, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_and_paths_get_the_json_error() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let token = token(&world, &installed);
    let base = &world.addon().url;
    // The uninstall redirect flow without its parameters.
    let message = refused(
        world
            .http
            .get(format!("{base}/uninstalled?installable_url=x")),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("redirect_url"), "{message}");
    // The meme preview without its template.
    let message = refused(
        world
            .http
            .get(format!("{base}/views/meme/preview.svg?top=a"))
            .header("Authorization", format!("JWT {token}")),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("template"), "{message}");
    // An incident number that is not a number.
    refused(
        world
            .http
            .get(format!("{base}/views/api/incidents/seven"))
            .header("Authorization", format!("JWT {token}")),
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_the_json_error() {
    let world = World::start().await;
    let base = &world.addon().url;
    let body = vec![b'x'; hipboard::web::MAX_BODY_BYTES + 1];
    for path in ["/installed", "/dynaboard/events"] {
        refused(
            world.http.post(format!("{base}{path}")).body(body.clone()),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    }
}
