//! HipChat Connect wire types (HIPCHAT-CONNECT.md §3–§9), shared by the add-on and the sandbox,
//! one module per sub-protocol.
//!
//! Field names follow HipChat's JSON exactly; optional fields are skipped when absent so what we
//! send is what HipChat documented, and what we read tolerates every shape HipChat was seen to send.
//! A missing `Option` field reads as `None` without `#[serde(default)]`, so only skipping on
//! serialization is spelled out per field.

mod error;
mod glance;
mod ids;
mod install;
mod notification;
mod oauth;
mod room;
mod webhook;

pub use error::*;
pub use glance::*;
pub use ids::id_from_number_or_string;
pub use install::*;
pub use notification::*;
pub use oauth::*;
pub use room::*;
pub use webhook::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// The `room_message` captured from real HipChat (§6.2) must decode.
    #[test]
    fn captured_room_message_decodes() {
        let raw = r#"{"event":"room_message","webhook_id":17775373,
          "oauth_client_id":"f3a628d0-be81-461a-b025-41604d982310",
          "item":{"message":{"id":"f74a26c3-f54e-499d-b3b6-28fc28c932bb",
             "date":"2017-05-20T13:56:46.750428+00:00","type":"message",
             "message":"/hey @MarkHopkins testing",
             "from":{"id":4979430,"mention_name":"MarkHopkins","name":"Mark Hopkins","version":"FPUR1NDI",
                     "links":{"self":"https://api.hipchat.com/v2/user/4979430"}},
             "mentions":[{"id":4979430,"mention_name":"MarkHopkins","name":"Mark Hopkins","version":"FPUR1NDI",
                     "links":{"self":"https://api.hipchat.com/v2/user/4979430"}}]},
           "room":{"id":3856578,"name":"MarkTesting","privacy":"private","is_archived":false,"version":"UDY9AI3A",
             "links":{"self":"https://api.hipchat.com/v2/room/3856578"}}}}"#;
        let env: WebhookEnvelope<RoomMessageItem> = serde_json::from_str(raw).unwrap();
        assert_eq!(env.item.room.id, 3_856_578);
        assert_eq!(env.item.message.message, "/hey @MarkHopkins testing");
        let Sender::User(user) = &env.item.message.from else {
            panic!("sender should be a user")
        };
        assert_eq!(user.id, 4_979_430);
        // Round trip keeps the fields HipChat sent.
        let again: WebhookEnvelope<RoomMessageItem> =
            serde_json::from_value(serde_json::to_value(&env).unwrap()).unwrap();
        assert_eq!(again.item.message.mentions.len(), 1);
    }

    #[test]
    fn sender_may_be_a_label_and_ids_may_be_strings() {
        let m: Message = serde_json::from_str(
            r#"{"id":"x","message":"hi","from":"JIRA","type":"notification"}"#,
        )
        .unwrap();
        assert_eq!(m.from, Sender::Label("JIRA".into()));
        let r: Room = serde_json::from_str(r#"{"id":"42","name":"Ops"}"#).unwrap();
        assert_eq!(r.id, 42);
        assert!(serde_json::from_str::<Room>(r#"{"id":"4x2"}"#).is_err());
    }

    #[test]
    fn glance_status_has_the_documented_shape() {
        let s = GlanceStatus::Lozenge {
            label: "2 open".into(),
            kind: "error".into(),
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"type":"lozenge","value":{"label":"2 open","type":"error"}})
        );
    }
}
