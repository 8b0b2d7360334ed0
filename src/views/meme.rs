//! The meme dialog's page: pick a template, write two lines, preview, post.

use serde::Serialize;

use super::{Page, PageBase, Views, page, room_of};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::memes::{MAX_TEXT, TEMPLATES};

#[derive(Serialize)]
struct TemplateView {
    name: &'static str,
    title: &'static str,
    thumbnail: String,
}

#[derive(Serialize)]
struct MemePage<'a> {
    base: &'a PageBase,
    templates: Vec<TemplateView>,
    max_text: usize,
}

/// The page of `GET /views/meme?signed_request=…`.
pub fn dialog(views: &Views, caller: &Caller) -> Result<Page, ApiError> {
    room_of(caller)?;
    let base = PageBase::new(caller, &views.services.clock)?;
    let templates = TEMPLATES
        .iter()
        .map(|t| TemplateView {
            name: t.name,
            title: t.title,
            thumbnail: format!("/memes/templates/{}.svg", t.name),
        })
        .collect();
    let html = views.templates.render(
        "meme.html",
        &MemePage {
            base: &base,
            templates,
            max_text: MAX_TEXT,
        },
    )?;
    Ok(page(html, &base, &caller.installation))
}
