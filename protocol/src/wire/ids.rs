//! HipChat ids (group, room, user): integers that some senders quote.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// HipChat ids (group, room, user) are integers, but some senders quote them; accept both.
pub fn id_from_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom("id is not an integer")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("id {s:?} is not an integer"))),
        other => Err(serde::de::Error::custom(format!(
            "id must be a number, got {other}"
        ))),
    }
}

pub(crate) fn opt_id_from_number_or_string<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => id_from_number_or_string(v)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}
