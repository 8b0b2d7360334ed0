//! Cards as templates: one small builder per card kind, each with its plain-text fallback.

pub mod event;
pub mod glance;
pub mod incident;
pub mod issue;
pub mod meme;

use crate::hipchat::wire::Icon;

/// `{base}/static/{name}.png` and its `@2x`.
pub fn icon(base_url: &str, name: &str) -> Icon {
    let base = base_url.trim_end_matches('/');
    Icon {
        url: format!("{base}/static/{name}.png"),
        url_2x: Some(format!("{base}/static/{name}@2x.png")),
    }
}
