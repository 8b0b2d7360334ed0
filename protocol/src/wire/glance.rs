//! Glances (§9): what a glance shows and the body that pushes it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a glance shows: the `queryUrl` answer and the `content` of a push.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceContent {
    /// `{type: "html", value}`.
    pub label: GlanceLabel,
    /// Optional lozenge or icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<GlanceStatus>,
    /// Drives `glance_matches` conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// `label` of a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceLabel {
    /// Always `html`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Simple inline HTML.
    pub value: String,
}

/// `status` of a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum GlanceStatus {
    /// A coloured lozenge.
    Lozenge {
        /// Text in the lozenge.
        label: String,
        /// `default`, `success`, `error`, `current`, `complete`, `moved` or `new`.
        #[serde(rename = "type")]
        kind: String,
    },
    /// An icon.
    Icon {
        /// Normal resolution.
        url: String,
        /// Double resolution.
        #[serde(rename = "url@2x", skip_serializing_if = "Option::is_none")]
        url_2x: Option<String>,
    },
}

/// Body of `POST /addon/ui/room/{room_id}` (§9.3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceUpdate {
    /// One entry per glance key.
    pub glance: Vec<GlanceUpdateEntry>,
}

/// One glance in a [`GlanceUpdate`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GlanceUpdateEntry {
    /// A glance key from the descriptor.
    pub key: String,
    /// What to show.
    pub content: GlanceContent,
}
