//! Fuzzing on stable Rust (proptest): the code that reads outside input must never panic, and
//! must keep its promises on any input. CI runs more cases (`PROPTEST_CASES`).

use std::path::PathBuf;
use std::sync::OnceLock;

use hipboard::auth::jwt::{self, Claims, JwtContext};
use hipboard::auth::signature;
use hipboard::dynaboard::events::Event;
use hipboard::handlers::Call;
use hipboard::handlers::Registry;
use hipboard::handlers::links;
use hipboard::hipchat::html::Html;
use hipboard::hipchat::wire::{RoomMessageItem, WebhookEnvelope};
use hipboard::model::Installation;
use proptest::prelude::*;
use serde_json::{Value, json};

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("commands")).unwrap()
    })
}

fn installation() -> Installation {
    Installation {
        oauth_id: "fuzz".into(),
        oauth_secret: "fuzz-secret".into(),
        group_id: 1,
        group_name: None,
        room_id: Some(1),
        capabilities_url: "http://h/v2/capabilities".into(),
        token_url: "http://h/v2/oauth/token".into(),
        api_url: "http://h/v2/".into(),
        homepage: "http://h".into(),
        installed_at_ms: 0,
        revoked_at: None,
    }
}

/// Messages shaped like what people type: commands, keys, links, HTML, noise.
fn message() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/issue ".to_owned()),
        Just("/help ".to_owned()),
        Just("/incident ".to_owned()),
        Just("/ack INC-".to_owned()),
        Just("/resolve ".to_owned()),
        Just("/meme".to_owned()),
        Just("https://dynaboard.example/browse/".to_owned()),
        Just("http://db/issues/".to_owned()),
        Just("<a href=\"".to_owned()),
        "[A-Z]{1,4}-[0-9]{1,6}",
        "\\PC{0,12}",
        "[ \t\n(){}\\[\\]<>\"'.,;:!?*]{0,4}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
}

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn dispatch_and_argument_parsing_never_panic(text in message()) {
        if let Some(hit) = registry().dispatch(&text) {
            // The winner's own pattern really matches (a search, as HipChat's).
            prop_assert!(regex::Regex::new(&hit.command.pattern).unwrap().is_match(&text));
            let _ = Call::parse(hit.command.handler, hit.args);
        }
    }

    #[test]
    fn link_finding_is_bounded_and_exact(text in message()) {
        let found = links::find(&text);
        prop_assert!(found.len() <= links::MAX_LINKS);
        for link in &found {
            prop_assert!(text.contains(&link.url));
            // The key is the last segment of the link's path (a query or fragment may follow).
            let url = url::Url::parse(&link.url).unwrap();
            let path = url.path().trim_end_matches('/');
            prop_assert!(path.ends_with(&format!("/{}", link.key)), "{} in {}", link.key, link.url);
        }
    }

    #[test]
    fn webhook_bodies_decode_or_fail_cleanly(body in json_value(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_value::<WebhookEnvelope<RoomMessageItem>>(body);
        let _ = serde_json::from_slice::<WebhookEnvelope<RoomMessageItem>>(&bytes);
    }

    #[test]
    fn arbitrary_tokens_are_refused(token in "\\PC{0,300}", header in "\\PC{0,40}") {
        let inst = installation();
        let _ = jwt::token_from(Some(&header), Some(&token));
        let _ = jwt::unverified_issuer(&token);
        prop_assert!(jwt::verify(&token, &inst, 1_000).is_err());
    }

    #[test]
    fn altered_tokens_never_verify(position in 0usize..10_000, shift in 1usize..63) {
        let inst = installation();
        let claims = Claims {
            iss: "fuzz".into(), sub: Some("2".into()), prn: None, iat: 1_000, exp: 5_000, jti: None,
            context: JwtContext { room_id: Some(1), user_tz: None },
            aud: None, session_exp: None,
        };
        let token = jwt::sign(&claims, &inst.oauth_secret).unwrap();
        // Change one character of the header or the claims (the signature's last character
        // carries padding bits that decoders may ignore, so it is left alone).
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let signed_part = token.rfind('.').unwrap();
        let mut i = position % signed_part;
        if token.as_bytes()[i] == b'.' {
            i += 1;
        }
        let original = ALPHABET.iter().position(|c| *c == token.as_bytes()[i]).unwrap();
        let mut altered = token.clone().into_bytes();
        altered[i] = ALPHABET[(original + shift) % ALPHABET.len()];
        let altered = String::from_utf8(altered).unwrap();
        prop_assert!(jwt::verify(&altered, &inst, 2_000).is_err());
    }

    #[test]
    fn events_decode_or_name_a_field(body in json_value(), bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(e) = Event::decode(&serde_json::to_vec(&body).unwrap()) {
            prop_assert!(!e.path.is_empty());
        }
        let _ = Event::decode(&bytes);
    }

    #[test]
    fn mutated_valid_events_never_panic(field in prop::sample::select(vec!["id", "event", "at", "user", "issue", "comment", "approved"]), value in json_value()) {
        let mut event = json!({"id": "e", "event": "issue_approval", "at": "2026-11-23T10:00:00Z",
            "user": {"first_name": "A", "last_name": "B", "email": "a@b", "customer": "C", "role": "customer"},
            "issue": {"key": "DB-1", "summary": "S", "project": "DB", "url": "https://db/browse/DB-1"},
            "comment": {"body": "x"}, "approved": true});
        event[field] = value;
        let _ = Event::decode(&serde_json::to_vec(&event).unwrap());
    }

    #[test]
    fn signatures_verify_only_the_signed_body(body in prop::collection::vec(any::<u8>(), 0..128), other in prop::collection::vec(any::<u8>(), 0..128), header in "\\PC{0,80}") {
        let sig = signature::sign(b"k", &body);
        prop_assert!(signature::verify(b"k", &body, Some(&sig)).is_ok());
        if other != body {
            prop_assert!(signature::verify(b"k", &other, Some(&sig)).is_err());
        }
        let _ = signature::verify(b"k", &body, Some(&header));
    }

    #[test]
    fn escaped_text_has_no_markup(text in "\\PC{0,100}") {
        let escaped = Html::text(&text).into_string();
        prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
        let back = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
        prop_assert_eq!(back, text);
    }
}
