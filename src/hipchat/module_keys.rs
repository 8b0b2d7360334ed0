//! Every descriptor key the code refers to, in one place: cards, handlers and view templates use
//! these constants, and start-up checks each is declared in the descriptor with the right type.

use std::collections::BTreeMap;

/// The incidents glance, pushed by the add-on (`POST /addon/ui/room/{id}`).
pub const INCIDENTS_GLANCE: &str = "hipboard.incidents";
/// The sidebar web panel, which "Open in sidebar" opens.
pub const SIDEBAR_PANEL: &str = "hipboard.sidebar";
/// The meme dialog, the target of `/meme`'s link.
pub const MEME_DIALOG: &str = "hipboard.meme";
/// The meme dialog's primary button, handled by the meme view.
pub const MEME_POST_BUTTON: &str = "hipboard.meme.post";
/// The incident dialog, opened by the incident card's actions.
pub const INCIDENT_DIALOG: &str = "hipboard.incident";
/// The incident dialog's primary button, handled by the incident view.
pub const INCIDENT_CONFIRM_BUTTON: &str = "hipboard.incident.confirm";
/// The incident card's "Acknowledge" action, handled by the incident view.
pub const INCIDENT_ACK_ACTION: &str = "hipboard.incident.ack";
/// The incident card's "Resolve" action, handled by the incident view.
pub const INCIDENT_RESOLVE_ACTION: &str = "hipboard.incident.resolve";
/// The issue card's "Open in sidebar" action, handled by the sidebar view.
pub const ISSUE_SIDEBAR_ACTION: &str = "hipboard.issue.sidebar";

/// The chat dialog, opened by the chat request card's action.
pub const CHAT_DIALOG: &str = "hipboard.chat";
/// The chat dialog's primary button, handled by the chat view.
pub const CHAT_CONFIRM_BUTTON: &str = "hipboard.chat.confirm";
/// The chat request card's "Take this chat" action, handled by the chat view.
pub const CHAT_TAKE_ACTION: &str = "hipboard.chat.take";

/// What a referenced key must be in the descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A `glance` module.
    Glance,
    /// A `webPanel` module.
    WebPanel,
    /// A `dialog` module.
    Dialog,
    /// An `action` module whose target is this dialog or web panel.
    Action {
        /// The key its `target` must name.
        target: &'static str,
    },
    /// A button (`options.primaryAction` or `options.secondaryActions`) of this dialog.
    DialogButton {
        /// The dialog's key.
        dialog: &'static str,
    },
}

/// One key the code relies on: its name in templates (`module_keys.<name>`), key and type.
#[derive(Debug, Clone, Copy)]
pub struct Referenced {
    /// Name under which view templates see it.
    pub name: &'static str,
    /// The descriptor key.
    pub key: &'static str,
    /// What it must be.
    pub expected: Expected,
}

/// Every key the code relies on.
pub const REFERENCED: &[Referenced] = &[
    Referenced {
        name: "incidents_glance",
        key: INCIDENTS_GLANCE,
        expected: Expected::Glance,
    },
    Referenced {
        name: "sidebar_panel",
        key: SIDEBAR_PANEL,
        expected: Expected::WebPanel,
    },
    Referenced {
        name: "meme_dialog",
        key: MEME_DIALOG,
        expected: Expected::Dialog,
    },
    Referenced {
        name: "meme_post_button",
        key: MEME_POST_BUTTON,
        expected: Expected::DialogButton {
            dialog: MEME_DIALOG,
        },
    },
    Referenced {
        name: "incident_dialog",
        key: INCIDENT_DIALOG,
        expected: Expected::Dialog,
    },
    Referenced {
        name: "incident_confirm_button",
        key: INCIDENT_CONFIRM_BUTTON,
        expected: Expected::DialogButton {
            dialog: INCIDENT_DIALOG,
        },
    },
    Referenced {
        name: "incident_ack_action",
        key: INCIDENT_ACK_ACTION,
        expected: Expected::Action {
            target: INCIDENT_DIALOG,
        },
    },
    Referenced {
        name: "incident_resolve_action",
        key: INCIDENT_RESOLVE_ACTION,
        expected: Expected::Action {
            target: INCIDENT_DIALOG,
        },
    },
    Referenced {
        name: "issue_sidebar_action",
        key: ISSUE_SIDEBAR_ACTION,
        expected: Expected::Action {
            target: SIDEBAR_PANEL,
        },
    },
    Referenced {
        name: "chat_dialog",
        key: CHAT_DIALOG,
        expected: Expected::Dialog,
    },
    Referenced {
        name: "chat_confirm_button",
        key: CHAT_CONFIRM_BUTTON,
        expected: Expected::DialogButton {
            dialog: CHAT_DIALOG,
        },
    },
    Referenced {
        name: "chat_take_action",
        key: CHAT_TAKE_ACTION,
        expected: Expected::Action {
            target: CHAT_DIALOG,
        },
    },
];

/// The keys by template name, put in every view template's context as `module_keys`.
pub fn for_templates() -> BTreeMap<&'static str, &'static str> {
    REFERENCED.iter().map(|r| (r.name, r.key)).collect()
}
