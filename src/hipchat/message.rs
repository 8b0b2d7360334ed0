//! Building notifications: HTML messages and card parts from [`Html`], and text limits.
//!
//! HTML reaches the wire only through these constructors, as [`Html`] (escaped exactly once);
//! card titles and attribute labels are plain text and are never escaped.

pub use super::html::Html;
use super::wire::{
    Activity, Card, CardDescription, Color, GlanceLabel, MessageFormat, Notification,
};

/// Longest notification `message` HipChat accepts.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// Cuts text to at most `max` characters, ending with `…` when cut (never inside a character).
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// An HTML notification. `html` must be bounded: callers truncate text before it becomes
/// HTML, since cutting HTML afterwards would break it.
pub fn html(html: Html, color: Color) -> Notification {
    Notification {
        message: html.into_string(),
        message_format: Some(MessageFormat::Html),
        color: Some(color),
        notify: Some(false),
        ..Notification::default()
    }
}

/// A card with its HTML fallback `message` (what clients without cards show).
pub fn card(message: Html, color: Color, notify: bool, card: Card) -> Notification {
    Notification {
        message: message.into_string(),
        message_format: Some(MessageFormat::Html),
        color: Some(color),
        notify: Some(notify),
        card: Some(card),
        ..Notification::default()
    }
}

/// A card description in HipChat's HTML subset.
pub fn html_description(html: Html) -> CardDescription {
    CardDescription::Formatted {
        value: html.into_string(),
        format: MessageFormat::Html,
    }
}

/// A glance's label, in the simple inline HTML glances show.
pub fn glance_label(html: Html) -> GlanceLabel {
    GlanceLabel {
        kind: "html".into(),
        value: html.into_string(),
    }
}

/// A card's activity line, without an icon.
pub fn activity(html: Html) -> Activity {
    Activity {
        html: html.into_string(),
        icon: None,
    }
}

/// Puts `label: ` in front of a notification's message, escaped as its format needs.
pub fn prefix_message(notification: &mut Notification, label: &str) {
    let html = notification.message_format != Some(MessageFormat::Text);
    let label = if html {
        Html::text(label).into_string()
    } else {
        label.to_owned()
    };
    notification.message = format!("{label}: {}", notification.message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_escaped_only_in_html() {
        let mut n = html(Html::markup("<b>x</b>"), Color::Gray);
        prefix_message(&mut n, "R&D");
        assert_eq!(n.message, "R&amp;D: <b>x</b>");
        let mut t = Notification {
            message: "x".into(),
            message_format: Some(MessageFormat::Text),
            ..Notification::default()
        };
        prefix_message(&mut t, "R&D");
        assert_eq!(t.message, "R&D: x");
    }

    #[test]
    fn truncates_on_characters() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
    }
}
