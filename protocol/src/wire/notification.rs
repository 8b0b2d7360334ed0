//! Notifications (§7.2) and cards (§8): the body of `POST /room/{room}/notification`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Body of `POST /room/{room}/notification`, also the inline webhook reply (§6.4).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Notification {
    /// 1–10000 characters; the fallback for clients without card support.
    pub message: String,
    /// `html` (HipChat's default) or `text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_format: Option<MessageFormat>,
    /// Background colour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// Whether clients alert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// Label next to the add-on name, ≤ 64 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Id of the message this notification answers, ≤ 36 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_to: Option<String>,
    /// A card shown instead of `message` where supported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
}

/// `message_format` of a notification.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MessageFormat {
    /// HipChat's HTML subset (§7.3).
    Html,
    /// Plain text with @mentions, emoticons and auto-links.
    Text,
}

/// Notification colours HipChat accepts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    /// HipChat's default.
    Yellow,
    /// Success, created, approved.
    Green,
    /// Failure, incident, disapproved.
    Red,
    /// Informational.
    Purple,
    /// Low importance (logins).
    Gray,
    /// Picked by HipChat.
    Random,
}

/// A HipChat Card (§8).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Card {
    /// Card kind.
    pub style: CardStyle,
    /// Size hint for `application` cards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<CardFormat>,
    /// Stable id (e.g. the issue key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where clicking the card goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// Body text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<CardDescription>,
    /// Small icon next to the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    /// Image (image cards, thumbnails).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Thumbnail>,
    /// Label/value pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// One-line HTML summary of what happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
    /// Milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    /// Free key/values matched by `card_matches` conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// `style` of a card.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CardStyle {
    /// A file.
    File,
    /// An image.
    Image,
    /// An application object (issue, incident).
    Application,
    /// A link preview.
    Link,
    /// Embedded media.
    Media,
}

/// `format` of a card.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CardFormat {
    /// One or two lines.
    Compact,
    /// Up to about five lines.
    Medium,
}

/// `description` of a card: a bare string or `{value, format}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum CardDescription {
    /// Plain text.
    Plain(String),
    /// Text or HTML with an explicit format.
    Formatted {
        /// The content.
        value: String,
        /// How to read it.
        format: MessageFormat,
    },
}

/// `{url, url@2x}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Icon {
    /// Normal resolution.
    pub url: String,
    /// Double resolution.
    #[serde(rename = "url@2x", skip_serializing_if = "Option::is_none")]
    pub url_2x: Option<String>,
}

/// A card thumbnail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Thumbnail {
    /// Normal resolution.
    pub url: String,
    /// Double resolution.
    #[serde(rename = "url@2x", skip_serializing_if = "Option::is_none")]
    pub url_2x: Option<String>,
    /// Pixel width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// A card attribute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attribute {
    /// Label shown before the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The value.
    pub value: AttributeValue,
}

impl Attribute {
    /// A labelled plain value, optionally shown as a lozenge.
    pub fn text(label: &str, value: String, style: Option<Lozenge>) -> Attribute {
        Attribute {
            label: Some(label.to_owned()),
            value: AttributeValue {
                label: value,
                url: None,
                style,
                icon: None,
            },
        }
    }
}

/// The value of a card attribute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttributeValue {
    /// Plain text.
    pub label: String,
    /// Makes the value a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Lozenge style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<Lozenge>,
    /// Small icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
}

/// Lozenge styles for card attributes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Lozenge {
    /// Neutral (status category `new`).
    #[serde(rename = "lozenge")]
    Default,
    /// Green (`done`).
    #[serde(rename = "lozenge-success")]
    Success,
    /// Red.
    #[serde(rename = "lozenge-error")]
    Error,
    /// Blue (`indeterminate`).
    #[serde(rename = "lozenge-current")]
    Current,
    /// Complete.
    #[serde(rename = "lozenge-complete")]
    Complete,
    /// Moved.
    #[serde(rename = "lozenge-moved")]
    Moved,
}

/// `activity` of a card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Activity {
    /// One line of HipChat's HTML subset.
    pub html: String,
    /// Optional icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
}
