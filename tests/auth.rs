//! Webhook authentication: every forgery gets 401 and changes nothing; every genuine form works.

mod common;

use base64::Engine;
use common::{Installed, World};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn sign(alg: Algorithm, claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims(inst: &Installed, room_id: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": inst.oauth_id, "sub": "2", "iat": now, "exp": now + 600, "jti": "j1",
           "context": {"room_id": room_id, "user_tz": "UTC"}})
}

fn message(inst: &Installed, room_id: i64, id: &str) -> Value {
    json!({
        "event": "room_message", "oauth_client_id": inst.oauth_id, "webhook_id": 7,
        "item": {
            "message": {"id": id, "type": "message", "message": "/help",
                        "from": {"id": 2, "name": "Ben Builder", "mention_name": "Ben"}},
            "room": {"id": room_id, "name": "room"}
        }
    })
}

type Headers = Vec<(&'static str, String)>;

struct Hook<'a> {
    world: &'a World,
}

impl Hook<'_> {
    async fn post(&self, headers: &[(&str, String)], query: &str, body: &Value) -> (u16, Value) {
        let mut request = self
            .world
            .http
            .post(format!(
                "{}/webhooks/room-message{query}",
                self.world.addon().url
            ))
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgeries_are_refused_and_change_nothing() {
    let world = World::start().await;
    let a = world.install_in("Support").await;
    let b = world.install_in("Engineering").await;
    let secret_a = world.sandbox.secret_of(&a.oauth_id).unwrap();
    let hook = Hook { world: &world };
    let id = uuid::Uuid::new_v4().to_string();
    let body = message(&a, a.room_id, &id);
    let good = claims(&a, a.room_id);
    let now = chrono::Utc::now().timestamp();
    let jwt = |t: String| -> Headers { vec![("Authorization", format!("JWT {t}"))] };

    let mut without_exp = good.clone();
    without_exp.as_object_mut().unwrap().remove("exp");
    let mut string_exp = good.clone();
    string_exp["exp"] = json!((now + 600).to_string());
    let mut expired = good.clone();
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let mut future = good.clone();
    future["iat"] = json!(now + 3600);
    future["exp"] = json!(now + 7200);
    let mut unknown = good.clone();
    unknown["iss"] = json!("no-such-client");
    let mut other_sender = good.clone();
    other_sender["sub"] = json!("3");
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good)
    );
    let rs256 = format!(
        "{}.{}.c2ln",
        b64(&json!({"alg": "RS256", "typ": "JWT"})),
        b64(&good)
    );
    let valid = sign(Algorithm::HS256, &good, &secret_a);

    let forgeries: Vec<(&str, Headers, Value)> = vec![
        ("no token", vec![], body.clone()),
        ("garbage", jwt("abc.def.ghi".into()), body.clone()),
        ("alg none", jwt(alg_none), body.clone()),
        (
            "HS512",
            jwt(sign(Algorithm::HS512, &good, &secret_a)),
            body.clone(),
        ),
        ("RS256 header", jwt(rs256), body.clone()),
        (
            "wrong secret",
            jwt(sign(Algorithm::HS256, &good, "not-the-secret")),
            body.clone(),
        ),
        (
            "unknown issuer",
            jwt(sign(Algorithm::HS256, &unknown, &secret_a)),
            body.clone(),
        ),
        (
            "expired",
            jwt(sign(Algorithm::HS256, &expired, &secret_a)),
            body.clone(),
        ),
        (
            "issued in the future",
            jwt(sign(Algorithm::HS256, &future, &secret_a)),
            body.clone(),
        ),
        (
            "missing exp",
            jwt(sign(Algorithm::HS256, &without_exp, &secret_a)),
            body.clone(),
        ),
        (
            "string exp",
            jwt(sign(Algorithm::HS256, &string_exp, &secret_a)),
            body.clone(),
        ),
        (
            "A's token for B's room (token context)",
            jwt(sign(Algorithm::HS256, &claims(&a, b.room_id), &secret_a)),
            message(&a, b.room_id, &id),
        ),
        (
            "A's token for B's room (body only)",
            jwt(valid.clone()),
            message(&a, b.room_id, &id),
        ),
        (
            "sender is not the token's user",
            jwt(sign(Algorithm::HS256, &other_sender, &secret_a)),
            body.clone(),
        ),
        (
            "Bearer scheme",
            vec![("Authorization", format!("Bearer {valid}"))],
            body.clone(),
        ),
        (
            "cookie",
            vec![("Cookie", format!("signed_request={valid}"))],
            body.clone(),
        ),
        (
            "oversized",
            jwt(format!("{valid}{}", "A".repeat(9 * 1024))),
            body.clone(),
        ),
    ];
    for (name, headers, body) in &forgeries {
        let (status, answer) = hook.post(headers, "", body).await;
        assert!(
            status == 401 || (*name == "oversized" && status == 431),
            "{name}: got {status} {answer}"
        );
        if status == 401 {
            assert!(
                answer["error"].is_string(),
                "{name}: JSON error body expected, got {answer}"
            );
        }
    }
    world.idle().await;
    let notifications = |room| {
        world
            .sandbox
            .history(room)
            .iter()
            .filter(|p| p.kind == "notification")
            .count()
    };
    assert_eq!(
        notifications(a.room_id) + notifications(b.room_id),
        0,
        "a forgery caused a message"
    );

    // Nothing was claimed: the genuine delivery of the same message id is still acted on.
    let (status, answer) = hook.post(&jwt(valid), "", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("/help"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_genuine_token_form_is_accepted() {
    let world = World::start().await;
    let a = world.install_in("Support").await;
    let secret = world.sandbox.secret_of(&a.oauth_id).unwrap();
    let hook = Hook { world: &world };
    let token = sign(Algorithm::HS256, &claims(&a, a.room_id), &secret);
    let mut prn_only = claims(&a, a.room_id);
    prn_only.as_object_mut().unwrap().remove("sub");
    prn_only["prn"] = json!(2);
    let prn_token = sign(Algorithm::HS256, &prn_only, &secret);
    let forms: Vec<(Vec<(&str, String)>, String)> = vec![
        (
            vec![("Authorization", format!("JWT {token}"))],
            String::new(),
        ),
        (
            vec![("Authorization", format!("JWT token={token}"))],
            String::new(),
        ),
        (vec![], format!("?signed_request={token}")),
        (
            vec![("Authorization", format!("JWT {prn_token}"))],
            String::new(),
        ),
    ];
    for (headers, query) in forms {
        let id = uuid::Uuid::new_v4().to_string();
        let (status, answer) = hook
            .post(&headers, &query, &message(&a, a.room_id, &id))
            .await;
        assert_eq!(status, 200, "{headers:?} {query}: {answer}");
    }
}
