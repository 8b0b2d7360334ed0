//! The issue card: `KEY: summary`, status lozenge, priority, type, people, last update.

use serde_json::{Map, json};

use super::icon;
use crate::hipchat::message::{Html, html_description, truncate};
use crate::hipchat::wire::{Attribute, Card, CardFormat, CardStyle, Color, Lozenge, Notification};
use crate::model::{Issue, StatusCategory};

const TITLE_CHARS: usize = 200;
const EXCERPT_CHARS: usize = 300;

/// The lozenge for a JIRA status category (DESIGN.md "Status lozenge").
pub fn lozenge(category: StatusCategory) -> Lozenge {
    match category {
        StatusCategory::New | StatusCategory::Undefined => Lozenge::Default,
        StatusCategory::Indeterminate => Lozenge::Current,
        StatusCategory::Done => Lozenge::Success,
    }
}

/// A notification carrying the issue's card, linking to `link`; icons from `base_url`.
pub fn issue_notification(issue: &Issue, link: &str, base_url: &str) -> Notification {
    let excerpt = issue
        .description
        .as_deref()
        .map(|d| {
            truncate(
                &d.split_whitespace().collect::<Vec<_>>().join(" "),
                EXCERPT_CHARS,
            )
        })
        .filter(|d| !d.is_empty());
    let mut attributes = vec![Attribute::text(
        "Status",
        issue.status.clone(),
        Some(lozenge(issue.status_category)),
    )];
    if let Some(p) = &issue.priority {
        attributes.push(Attribute::text("Priority", p.clone(), None));
    }
    if let Some(t) = &issue.issue_type {
        attributes.push(Attribute::text("Type", t.clone(), None));
    }
    attributes.push(Attribute::text(
        "Assignee",
        issue
            .assignee
            .clone()
            .unwrap_or_else(|| "Unassigned".into()),
        None,
    ));
    if let Some(r) = &issue.reporter {
        attributes.push(Attribute::text("Reporter", r.clone(), None));
    }
    let updated = issue.updated_at();
    if let Some(u) = updated {
        attributes.push(Attribute::text(
            "Updated",
            u.format("%-d %b %Y %H:%M UTC").to_string(),
            None,
        ));
    }
    let mut metadata = Map::new();
    metadata.insert("kind".into(), json!("issue"));
    metadata.insert("key".into(), json!(issue.key.as_str()));
    let card = Card {
        style: CardStyle::Application,
        format: Some(CardFormat::Medium),
        id: Some(issue.key.to_string()),
        url: Some(link.to_owned()),
        title: truncate(&format!("{}: {}", issue.key, issue.summary), TITLE_CHARS),
        description: Some(html_description(Html::text(
            excerpt.as_deref().unwrap_or("No description."),
        ))),
        icon: Some(icon(base_url, "dynaboard")),
        thumbnail: None,
        attributes,
        activity: None,
        date: updated.map(|u| u.timestamp_millis()),
        metadata: Some(metadata),
    };
    let mut fallback = crate::html!(
        "<b>{}</b>: <a href=\"{}\">{}</a> · {}",
        issue.key.as_str(),
        link,
        truncate(&issue.summary, TITLE_CHARS),
        &issue.status
    );
    if let Some(p) = &issue.priority {
        fallback.push_markup(" · ");
        fallback.push_text(p);
    }
    fallback.push_markup(" · ");
    fallback.push_text(issue.assignee.as_deref().unwrap_or("Unassigned"));
    crate::hipchat::message::card(fallback, Color::Purple, false, card)
}
