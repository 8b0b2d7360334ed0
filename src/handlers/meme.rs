//! Memes: `/meme` answers with a link that opens the meme dialog (HipChat opens `data-target`
//! modules); the dialog's Post stores the meme and sends its image card to the room.

use serde::{Deserialize, Serialize};

use super::{Conversation, HandlerError, Inline, Outcome, Services};
use crate::cards::meme::meme_notification;
use crate::hipchat::message::html;
use crate::hipchat::module_keys::MEME_DIALOG;
use crate::hipchat::wire::{Color, Notification};
use crate::memes::MemeTemplate;

/// `/meme` takes nothing.
pub fn parse(args: &str) -> Result<(), String> {
    if args.trim().is_empty() {
        Ok(())
    } else {
        Err("No arguments: pick the picture and text in the dialog.".into())
    }
}

/// A `/meme` call (it takes nothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meme {}

impl Inline for Meme {
    fn parse(args: &str) -> Result<Meme, String> {
        parse(args).map(|()| Meme {})
    }

    async fn run(&self, _: &Conversation, _: &Services) -> Result<Outcome, HandlerError> {
        Ok(Outcome::reply(meme()))
    }
}

/// Posts a meme made in the dialog by `by`: stored under installation `oauth_id` and sent to
/// the room as an image card. Returns the outcome to commit and the meme's public URL.
pub fn post(
    services: &Services,
    oauth_id: &str,
    template: &MemeTemplate,
    top: String,
    bottom: String,
    by: String,
) -> (Outcome, String) {
    let meme = crate::model::Meme {
        id: uuid::Uuid::new_v4().simple().to_string(),
        template: template.name.to_owned(),
        top,
        bottom,
        by,
        at: services.clock.unix(),
    };
    let base_url = &services.base_url;
    let url = format!("{base_url}/memes/{oauth_id}/{}.svg", meme.id);
    let mut outcome = Outcome::reply(meme_notification(&meme, &url, base_url));
    services
        .store
        .put_meme(&mut outcome.writes, oauth_id, &meme);
    (outcome, url)
}

/// The reply with the dialog link.
pub fn meme() -> Notification {
    html(
        crate::html!(
            "<a href=\"#\" data-target=\"{}\">Open the meme dialog</a> to pick a picture and write the text.",
            MEME_DIALOG
        ),
        Color::Purple,
    )
}
