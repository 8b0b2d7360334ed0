//! A sandbox served beyond loopback keeps its controls for whoever holds the token printed at
//! start (issue 12 item 13); HipChat's own API and guest links work as before.

mod common;

use hipboard_sandbox::SandboxSettings;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controls_need_the_token_once_public() {
    let (sandbox, _task) = common::sandbox_only(SandboxSettings {
        access_token: Some("s3cret-token".into()),
        ..SandboxSettings::default()
    })
    .await;
    let http = hipboard::net::client(std::time::Duration::from_secs(5));
    let base = sandbox.base_url().to_owned();
    let status = |r: reqwest::Response| r.status().as_u16();

    // Without the token: the client page, state, installs, token minting are refused.
    for path in ["/", "/sandbox/api/state", "/sandbox/api/recorded"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(status(r), 401, "{path}");
    }
    let r = http
        .post(format!("{base}/sandbox/api/sign"))
        .json(&serde_json::json!({"oauth_id": "x", "user_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(status(r), 401);
    let r = http
        .post(format!("{base}/sandbox/api/installations"))
        .json(&serde_json::json!({"descriptor_url": "http://127.0.0.1:9/d.json"}))
        .send()
        .await
        .unwrap();
    assert_eq!(status(r), 401);
    let wrong = http
        .get(format!("{base}/sandbox/api/state"))
        .header("Authorization", "Bearer guess")
        .send()
        .await
        .unwrap();
    assert_eq!(status(wrong), 401);

    // The printed URL's token leaves a cookie the browser then sends.
    let first = http
        .get(format!("{base}/?token=s3cret-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let r = http
        .get(format!("{base}/sandbox/api/state"))
        .header("Cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(status(r), 200);
    let r = http
        .get(format!("{base}/sandbox/api/state"))
        .header("Authorization", "Bearer s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(status(r), 200);

    // HipChat's own API is HipChat's: its capabilities document stays public.
    let r = http
        .get(format!("{base}/v2/capabilities"))
        .send()
        .await
        .unwrap();
    assert_eq!(status(r), 200);
}
