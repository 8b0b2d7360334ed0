//! The sandbox works whether the browser opens it as `127.0.0.1` or `localhost`: a page loaded
//! under a loopback alias is sent to the sandbox's own origin, the one installed add-ons allow to
//! frame their views and answer glance CORS for.

mod common;

use common::World;
use reqwest::header::{HOST, LOCATION};
use serde_json::Value;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_page_opened_as_localhost_lands_on_the_origin_add_ons_allow() {
    let world = World::start().await;
    let installed = world.install_in("Support").await;
    let base = world.sandbox.base_url().to_owned();
    let port = url::Url::parse(&base).unwrap().port().unwrap();
    let http = no_redirects();

    // Opened as 127.0.0.1 (the base URL): served as is.
    let direct = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(direct.status(), 200);

    // Opened as localhost or [::1]: sent to the base URL, path and query kept.
    for alias in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        let room = installed.room_id;
        let r = http
            .get(format!("{base}/chat/room/{room}?from=bookmark"))
            .header(HOST, alias.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 307, "{alias}");
        assert_eq!(
            r.headers()[LOCATION].to_str().unwrap(),
            format!("{base}/chat/room/{room}?from=bookmark"),
            "{alias}"
        );
    }

    // That origin is the one the add-on lets frame its views.
    let descriptor: Value = world
        .http
        .get(world.descriptor_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sidebar = descriptor["capabilities"]["webPanel"][0]["url"]
        .as_str()
        .expect("a sidebar view");
    let jwt = world
        .sandbox
        .sign_for(&installed.oauth_id, 2, Some(installed.room_id))
        .unwrap();
    let view = world
        .http
        .get(format!("{sidebar}?signed_request={jwt}"))
        .send()
        .await
        .unwrap();
    assert_eq!(view.status(), 200);
    let csp = view.headers()["content-security-policy"].to_str().unwrap();
    let ancestors = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("frame-ancestors"))
        .unwrap();
    assert!(
        ancestors.split_whitespace().any(|o| o == base),
        "{ancestors} lets {base} frame the view"
    );
}
