//! The meme card: an image card of the rendered meme.

use super::icon;
use crate::hipchat::message::{activity, truncate};
use crate::hipchat::wire::{Card, CardStyle, Color, Notification, Thumbnail};
use crate::model::Meme;

/// The notification posting `meme`, whose picture is at `url`.
pub fn meme_notification(meme: &Meme, url: &str, base_url: &str) -> Notification {
    let caption = [meme.top.as_str(), meme.bottom.as_str()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    let title = if caption.is_empty() {
        format!("A meme from {}", meme.by)
    } else {
        truncate(&caption, 120)
    };
    let card = Card {
        style: CardStyle::Image,
        format: None,
        id: Some(meme.id.clone()),
        url: Some(url.to_owned()),
        title,
        description: None,
        icon: Some(icon(base_url, "meme")),
        thumbnail: Some(Thumbnail {
            url: url.to_owned(),
            url_2x: None,
            width: Some(600),
            height: Some(450),
        }),
        attributes: Vec::new(),
        // An image card shows no sender line of its own: the activity names who posted it.
        activity: Some(activity(crate::html!("<b>{}</b> posted a meme", &meme.by))),
        date: Some(meme.at * 1000),
        metadata: None,
    };
    let caption = if caption.is_empty() {
        "(no text)"
    } else {
        &caption
    };
    let message = crate::html!(
        "<b>{}</b> posted a meme: <a href=\"{}\">{}</a>",
        &meme.by,
        url,
        caption
    );
    crate::hipchat::message::card(message, Color::Purple, false, card)
}
