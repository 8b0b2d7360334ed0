//! Building notifications: escaping for HipChat's HTML subset and small constructors.
//!
//! Text from users or dynaBOARD is escaped exactly once, here, when it enters HTML; card titles
//! and attribute labels are plain text and are never escaped (double escaping shows `&amp;`).

use super::wire::{Color, MessageFormat, Notification};

/// Longest notification `message` HipChat accepts.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// Escapes text for HipChat HTML (and for attributes in double or single quotes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Cuts text to at most `max` characters, ending with `…` when cut (never inside a character).
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// An HTML notification. `html` must already be safe (built with [`escape`]) and bounded:
/// callers truncate text before escaping it, since cutting HTML afterwards would break it.
pub fn html(html: String, color: Color) -> Notification {
    Notification {
        message: html,
        message_format: Some(MessageFormat::Html),
        color: Some(color),
        notify: Some(false),
        ..Notification::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script>'"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
        assert_eq!(escape("Zoë 🚀 שלום"), "Zoë 🚀 שלום");
    }

    #[test]
    fn truncates_on_characters() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo wörld", 5), "héll…");
    }
}
