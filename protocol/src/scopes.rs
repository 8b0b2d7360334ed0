//! The OAuth scopes HipChat defines (HIPCHAT-CONNECT.md §2.3).

/// Scopes HipChat defines (§2.3).
pub const KNOWN_SCOPES: &[&str] = &[
    "send_notification",
    "send_message",
    "view_room",
    "view_group",
    "view_messages",
    "admin_room",
    "manage_rooms",
    "admin_group",
    "import_data",
];
