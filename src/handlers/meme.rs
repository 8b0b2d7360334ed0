//! `/meme`: a reply whose link opens the meme dialog (HipChat opens `data-target` modules).

use crate::hipchat::message::html;
use crate::hipchat::module_keys::MEME_DIALOG;
use crate::hipchat::wire::{Color, Notification};

/// `/meme` takes nothing.
pub fn parse(args: &str) -> Result<(), String> {
    if args.trim().is_empty() {
        Ok(())
    } else {
        Err("/meme takes no arguments; pick the picture and text in the dialog.".into())
    }
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
