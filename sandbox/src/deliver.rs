//! Posting a user message and delivering it, as HipChat did (§6, §15): every `room_message`
//! webhook whose pattern *searches* successfully gets the §6.2 envelope with a JWT signed by the
//! installation's secret; a 200 JSON answer is posted to the room as the add-on's reply (§6.4).

use futures::future::join_all;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

use super::api::{check_notification, posted_notification};
use super::model::{Author, Client, Posted, SandboxRoom, SandboxUser};
use super::{Sandbox, room_webhooks};
use hipboard_protocol::wire::Notification;

/// What happened to one posted message.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The message id.
    pub message_id: String,
    /// One entry per matching webhook.
    pub webhooks: Vec<WebhookAttempt>,
}

/// One webhook call.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookAttempt {
    /// Installation.
    pub oauth_id: String,
    /// Webhook name (or key).
    pub name: String,
    /// Status the add-on answered, if it answered.
    pub status: Option<u16>,
    /// Transport error, if it did not.
    pub error: Option<String>,
    /// Whether the answer was posted as an inline reply.
    pub replied: bool,
}

/// Who speaks: a group user, or a guest with a pseudo id.
#[derive(Debug, Clone)]
pub(super) struct Speaker {
    pub id: i64,
    pub name: String,
    pub mention_name: String,
    pub timezone: String,
}

impl From<&SandboxUser> for Speaker {
    fn from(u: &SandboxUser) -> Speaker {
        Speaker {
            id: u.id,
            name: u.name.clone(),
            mention_name: u.mention_name.clone(),
            timezone: u.timezone.clone(),
        }
    }
}

/// Guests get ids far from the group's users, stable per name.
fn guest_id(name: &str) -> i64 {
    let hash = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    1_000_000 + i64::from(hash % 1_000_000)
}

pub(super) async fn post_user_message(
    sandbox: &Sandbox,
    room_id: i64,
    user_id: i64,
    text: &str,
) -> Result<Delivery, String> {
    let user = {
        let world = sandbox.world();
        world
            .users
            .get(&user_id)
            .cloned()
            .ok_or(format!("no user {user_id}"))?
    };
    post_as(
        sandbox,
        room_id,
        Speaker::from(&user),
        Author::User { id: user.id },
        "message",
        text,
    )
    .await
}

pub(super) async fn post_guest_message(
    sandbox: &Sandbox,
    room_id: i64,
    name: &str,
    text: &str,
) -> Result<Delivery, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err("a guest name has 1–50 characters".into());
    }
    let speaker = Speaker {
        id: guest_id(name),
        name: format!("{name} (guest)"),
        mention_name: String::new(),
        timezone: "UTC".into(),
    };
    post_as(
        sandbox,
        room_id,
        speaker,
        Author::Guest {
            name: name.to_owned(),
        },
        "guest_access",
        text,
    )
    .await
}

async fn post_as(
    sandbox: &Sandbox,
    room_id: i64,
    speaker: Speaker,
    author: Author,
    kind: &str,
    text: &str,
) -> Result<Delivery, String> {
    let chars = text.chars().count();
    if !(1..=10_000).contains(&chars) {
        return Err(format!("a message must be 1–10000 characters, got {chars}"));
    }
    if !sandbox.world().rooms.contains_key(&room_id) {
        return Err(format!("no room {room_id}"));
    }
    let posted = Posted {
        id: uuid::Uuid::new_v4().to_string(),
        room_id,
        date: sandbox.now().to_rfc3339(),
        kind: kind.into(),
        author,
        message: text.to_owned(),
        message_format: "text".into(),
        color: None,
        notify: false,
        card: None,
        attach_to: None,
        inline_reply: false,
    };
    sandbox.record_post(posted.clone());
    Ok(deliver(sandbox, &posted, &speaker).await)
}

pub(super) async fn redeliver(
    sandbox: &Sandbox,
    room_id: i64,
    message_id: &str,
) -> Result<Delivery, String> {
    let (posted, user) = {
        let world = sandbox.world();
        let posted = world
            .history
            .get(&room_id)
            .and_then(|h| h.iter().find(|p| p.id == message_id))
            .cloned()
            .ok_or(format!("no message {message_id} in room {room_id}"))?;
        let Author::User { id } = posted.author else {
            return Err("only user messages are redelivered".into());
        };
        let user = world
            .users
            .get(&id)
            .cloned()
            .ok_or(format!("no user {id}"))?;
        (posted, user)
    };
    Ok(deliver(sandbox, &posted, &Speaker::from(&user)).await)
}

async fn deliver(sandbox: &Sandbox, posted: &Posted, user: &Speaker) -> Delivery {
    let (clients, room_hooks, room, mentions) = {
        let world = sandbox.world();
        let room_hooks =
            room_webhooks::matching(&world, posted.room_id, "room_message", &posted.message);
        let clients: Vec<Client> = world
            .clients
            .values()
            .filter(|c| c.covers(posted.room_id))
            .cloned()
            .collect();
        let room = world.rooms.get(&posted.room_id).cloned();
        let mentions: Vec<Value> = world
            .users
            .values()
            .filter(|u| posted.message.contains(&format!("@{}", u.mention_name)))
            .map(|u| user_json(sandbox, &Speaker::from(u)))
            .collect();
        (clients, room_hooks, room, mentions)
    };
    let Some(room) = room else {
        return Delivery {
            message_id: posted.id.clone(),
            webhooks: Vec::new(),
        };
    };
    let mut item = room_item(sandbox, &room);
    item["message"] = json!({
        "id": posted.id, "date": posted.date, "type": posted.kind, "message": posted.message,
        "from": user_json(sandbox, user), "mentions": mentions,
    });
    let mut calls = Vec::new();
    for client in &clients {
        for (i, hook) in client.modules("webhook").into_iter().enumerate() {
            if hook["event"] != "room_message" || !client.pattern_matches(i, &posted.message) {
                continue;
            }
            let webhook_id = client.webhook_ids.get(i).copied().unwrap_or_default();
            calls.push(call_webhook(
                sandbox, client, hook, webhook_id, &item, user, room.id,
            ));
        }
    }
    for (client, room_hook) in &room_hooks {
        let hook = room_hook.hook.clone();
        calls.push(call_webhook(
            sandbox,
            client,
            hook,
            room_hook.id,
            &item,
            user,
            room.id,
        ));
    }
    let results = join_all(calls).await;
    let mut webhooks = Vec::with_capacity(results.len());
    for (attempt, reply) in results {
        if let Some((client, notification)) = reply {
            let label = client.from_name();
            let mut p = posted_notification(
                sandbox,
                room.id,
                &client.oauth_id,
                label,
                &notification,
                true,
            );
            p.attach_to = Some(posted.id.clone());
            sandbox.record_post(p);
        }
        webhooks.push(attempt);
    }
    Delivery {
        message_id: posted.id.clone(),
        webhooks,
    }
}

/// `{"room": {…}}`, the room part of every room event's item (§6.2).
pub(super) fn room_item(sandbox: &Sandbox, room: &SandboxRoom) -> Value {
    let base = sandbox.base_url();
    json!({
        "room": {
            "id": room.id, "name": room.name, "privacy": room.privacy, "is_archived": room.archived,
            "version": "SANDBOX1",
            "links": {"self": format!("{base}/v2/room/{}", room.id),
                      "members": format!("{base}/v2/room/{}/member", room.id),
                      "participants": format!("{base}/v2/room/{}/participant", room.id),
                      "webhooks": format!("{base}/v2/room/{}/webhook", room.id)},
        },
    })
}

/// A user as webhook items show them (`from`, `sender`).
pub(super) fn user_json_of(sandbox: &Sandbox, u: &SandboxUser) -> Value {
    user_json(sandbox, &Speaker::from(u))
}

fn user_json(sandbox: &Sandbox, u: &Speaker) -> Value {
    json!({"id": u.id, "name": u.name, "mention_name": u.mention_name, "version": "SANDBOX1",
           "links": {"self": format!("{}/v2/user/{}", sandbox.base_url(), u.id)}})
}

/// The JWT HipChat put on webhooks and views: HS256 with the installation secret (§15); the user
/// is in `sub` and, for frameworks that read the older claim (ac-koa), also in `prn` (§5.2).
pub(super) fn sign_jwt(
    client: &Client,
    user_id: i64,
    room_id: Option<i64>,
    tz: &str,
    now: i64,
) -> String {
    let mut context = json!({"user_tz": tz});
    if let Some(room) = room_id {
        context["room_id"] = json!(room);
    }
    let claims = json!({
        "iss": client.oauth_id, "sub": user_id.to_string(), "prn": user_id.to_string(), "iat": now, "exp": now + 3600,
        "jti": uuid::Uuid::new_v4().simple().to_string(), "context": context,
    });
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(client.secret.as_bytes()),
    )
    .unwrap_or_default()
}

async fn call_webhook(
    sandbox: &Sandbox,
    client: &Client,
    hook: Value,
    webhook_id: i64,
    item: &Value,
    user: &Speaker,
    room_id: i64,
) -> (WebhookAttempt, Option<(Client, Notification)>) {
    let name = hook["name"]
        .as_str()
        .or(hook["key"].as_str())
        .map_or_else(|| format!("webhook {webhook_id}"), str::to_owned);
    let mut attempt = WebhookAttempt {
        oauth_id: client.oauth_id.clone(),
        name,
        status: None,
        error: None,
        replied: false,
    };
    let Some(url) = hook["url"].as_str() else {
        attempt.error = Some("webhook has no url".into());
        return (attempt, None);
    };
    let envelope = json!({
        "event": "room_message", "item": item,
        "oauth_client_id": client.oauth_id, "webhook_id": webhook_id,
    });
    let now = sandbox.now().timestamp();
    let mut request = sandbox.inner.http.post(url).json(&envelope);
    if hook["authentication"] == "jwt" {
        let token = sign_jwt(client, user.id, Some(room_id), &user.timezone, now);
        request = request.header("Authorization", format!("JWT {token}"));
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            attempt.error = Some(e.to_string());
            return (attempt, None);
        }
    };
    let status = response.status();
    attempt.status = Some(status.as_u16());
    if status != reqwest::StatusCode::OK {
        return (attempt, None);
    }
    let body = hipboard_protocol::http::read_body(response, 256 * 1024)
        .await
        .unwrap_or_default();
    if body.is_empty() {
        return (attempt, None);
    }
    match serde_json::from_slice::<Notification>(&body) {
        Ok(n) if check_notification(&n).is_ok() => {
            attempt.replied = true;
            (attempt, Some((client.clone(), n)))
        }
        Ok(n) => {
            attempt.error = check_notification(&n).err();
            (attempt, None)
        }
        Err(e) => {
            attempt.error = Some(format!("reply is not a notification: {e}"));
            (attempt, None)
        }
    }
}
