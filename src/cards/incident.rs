//! The incident card: red when opened, yellow when acknowledged, green when resolved, with
//! who did what and when. Its metadata lets the Acknowledge/Resolve actions find it.

use serde_json::{Map, json};

use super::icon;
use crate::hipchat::message::{html_description, truncate};
use crate::hipchat::wire::{Attribute, Card, CardFormat, CardStyle, Color, Lozenge, Notification};
use crate::model::{Incident, IncidentState, Stamp};

/// How a time is shown in cards and replies.
pub fn when(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%-d %b %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// `Ben Builder at 3 Mar 14:03 UTC`.
pub fn by_at(stamp: &Stamp) -> String {
    format!("{} at {}", stamp.by, when(stamp.at))
}

/// The state as a lozenge label and style.
pub fn state_lozenge(state: IncidentState) -> (&'static str, Lozenge) {
    match state {
        IncidentState::Open => ("open", Lozenge::Error),
        IncidentState::Acknowledged => ("acknowledged", Lozenge::Current),
        IncidentState::Resolved => ("resolved", Lozenge::Success),
    }
}

/// The announcement of an incident's current state.
pub fn incident_notification(incident: &Incident, base_url: &str) -> Notification {
    let name = incident.name();
    let (state_label, style) = state_lozenge(incident.state);
    let mut attributes = vec![
        Attribute::text("State", state_label.to_owned(), Some(style)),
        Attribute::text("Opened", by_at(&incident.opened), None),
    ];
    if let Some(s) = &incident.acknowledged {
        attributes.push(Attribute::text("Acknowledged", by_at(s), None));
    }
    if let Some(s) = &incident.resolved {
        attributes.push(Attribute::text("Resolved", by_at(s), None));
    }
    if let Some(issue) = &incident.issue {
        attributes.push(Attribute::text("dynaBOARD issue", issue.clone(), None));
    }
    let (verb, stamp, color, notify) = match incident.state {
        IncidentState::Open => ("opened", &incident.opened, Color::Red, true),
        IncidentState::Acknowledged => (
            "acknowledged",
            incident.acknowledged.as_ref().unwrap_or(&incident.opened),
            Color::Yellow,
            false,
        ),
        IncidentState::Resolved => (
            "resolved",
            incident.resolved.as_ref().unwrap_or(&incident.opened),
            Color::Green,
            false,
        ),
    };
    let activity = crate::html!("<b>{}</b> {} <b>{}</b>", &stamp.by, verb, &name);
    let mut metadata = Map::new();
    metadata.insert("kind".into(), json!("incident"));
    metadata.insert("number".into(), json!(incident.number));
    metadata.insert("state".into(), json!(state_label));
    let title = truncate(&incident.title, 200);
    let card = Card {
        style: CardStyle::Application,
        format: Some(CardFormat::Medium),
        id: Some(name.clone()),
        url: None,
        title: format!("{name}: {title}"),
        description: Some(html_description(crate::html!(
            "{} at {}",
            activity,
            when(stamp.at)
        ))),
        icon: Some(icon(base_url, "incident")),
        thumbnail: None,
        attributes,
        activity: None,
        date: Some(stamp.at * 1000),
        metadata: Some(metadata),
    };
    crate::hipchat::message::card(crate::html!("{}: {}", activity, title), color, notify, card)
}
