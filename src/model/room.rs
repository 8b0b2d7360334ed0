//! Room identity: a HipChat room named by id or by name, owned (settings, configuration) or
//! borrowed (a REST path).

/// A room named by id or by name. `N` is the name's type: [`RoomRef`] owns it, [`RoomKey`]
/// borrows it for a call. Serialised untagged: an id is a JSON number, a name a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Room<N = String> {
    /// Numeric room id.
    Id(i64),
    /// Room name.
    Name(N),
}

/// A room as configured and stored: id, or an owned name.
pub type RoomRef = Room<String>;

/// A room in a call to HipChat: id, or a borrowed name.
pub type RoomKey<'a> = Room<&'a str>;

impl RoomRef {
    /// Reads an id when the text is all digits, a name otherwise.
    pub fn parse(text: &str) -> Option<RoomRef> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        Some(match text.parse() {
            Ok(id) => Room::Id(id),
            Err(_) => Room::Name(text.to_owned()),
        })
    }

    /// The same room, borrowed for a call.
    pub fn as_key(&self) -> RoomKey<'_> {
        match self {
            Room::Id(id) => Room::Id(*id),
            Room::Name(name) => Room::Name(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_refs() {
        assert_eq!(RoomRef::parse("42"), Some(RoomRef::Id(42)));
        assert_eq!(RoomRef::parse(" Ops "), Some(RoomRef::Name("Ops".into())));
        assert_eq!(RoomRef::parse(""), None);
    }

    #[test]
    fn rooms_keep_their_stored_form() {
        assert_eq!(serde_json::to_string(&RoomRef::Id(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&RoomRef::Name("Ops".into())).unwrap(),
            "\"Ops\""
        );
        assert_eq!(
            serde_json::from_str::<RoomRef>("\"Ops\"").unwrap(),
            RoomRef::Name("Ops".into())
        );
        assert_eq!(
            serde_json::from_str::<RoomRef>("7").unwrap(),
            RoomRef::Id(7)
        );
        assert_eq!(RoomRef::Name("Ops".into()).as_key(), RoomKey::Name("Ops"));
        assert_eq!(RoomRef::Id(7).as_key(), RoomKey::Id(7));
    }
}
