//! Announcements of dynaBOARD events: a short HTML line whose colour means something (green for
//! created and approved, red for disapproved, gray for logins, purple for comments, yellow for
//! chat requests), and for issue events a card linking to the issue.

use serde_json::{Map, json};

use super::icon;
use crate::dynaboard::events::{Event, EventIssue, EventKind, EventUser, Role};
use crate::hipchat::message::{escape, html, truncate};
use crate::hipchat::wire::{
    Activity, Card, CardDescription, CardFormat, CardStyle, Color, MessageFormat, Notification,
};

const EXCERPT: usize = 300;

/// "Zoë Ångström (customer, Acme)" — escaped.
fn who(user: &EventUser) -> String {
    let role = match user.role {
        Role::Customer => "customer",
        Role::Partner => "partner",
        Role::Admin => "admin",
    };
    let customer = if user.customer.trim().is_empty() {
        String::new()
    } else {
        format!(", {}", escape(&user.customer))
    };
    format!("<b>{}</b> ({role}{customer})", escape(&user.full_name()))
}

fn issue_link(issue: &EventIssue) -> String {
    format!(
        "<a href=\"{}\">{}</a>",
        escape(&issue.url),
        escape(&issue.key)
    )
}

/// The announcement of an event, or `None` for events that are not announced this way.
pub fn event_notification(event: &Event, base_url: &str) -> Option<Notification> {
    let user = &event.user;
    match &event.kind {
        EventKind::UserLogin | EventKind::UserLogout => {
            let verb = if event.kind == EventKind::UserLogin {
                "logged in to"
            } else {
                "logged out of"
            };
            Some(html(
                format!("{} {verb} dynaBOARD.", who(user)),
                Color::Gray,
            ))
        }
        EventKind::IssueCreated { issue } => Some(issue_card(
            issue,
            format!("{} created {}", who(user), issue_link(issue)),
            format!("Project {}", escape(&issue.project)),
            Color::Green,
            base_url,
        )),
        EventKind::CommentCreated { issue, comment } => Some(issue_card(
            issue,
            format!("{} commented on {}", who(user), issue_link(issue)),
            escape(&truncate(
                &comment.split_whitespace().collect::<Vec<_>>().join(" "),
                EXCERPT,
            )),
            Color::Purple,
            base_url,
        )),
        EventKind::IssueApproval { issue, approved } => {
            let (verb, color) = if *approved {
                ("approved", Color::Green)
            } else {
                ("disapproved", Color::Red)
            };
            Some(issue_card(
                issue,
                format!("{} {verb} {}", who(user), issue_link(issue)),
                format!("{} by the customer", capitalise(verb)),
                color,
                base_url,
            ))
        }
        EventKind::ChatRequest => None,
    }
}

/// The notice in the notification room that a user asks for a chat.
pub fn chat_notice(user: &EventUser, room_name: &str, room_url: &str) -> Notification {
    let mut n = html(
        format!(
            "{} requests a chat in <b>{}</b>: <a href=\"{}\">go to room</a>",
            who(user),
            escape(room_name),
            escape(room_url)
        ),
        Color::Yellow,
    );
    n.notify = Some(true);
    n
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

fn issue_card(
    issue: &EventIssue,
    activity: String,
    description: String,
    color: Color,
    base_url: &str,
) -> Notification {
    let mut metadata = Map::new();
    metadata.insert("kind".into(), json!("issue"));
    metadata.insert("key".into(), json!(issue.key));
    let summary = truncate(&issue.summary, 200);
    let card = Card {
        style: CardStyle::Application,
        format: Some(CardFormat::Compact),
        id: Some(issue.key.clone()),
        url: Some(issue.url.clone()),
        title: format!("{}: {summary}", issue.key),
        description: Some(CardDescription::Formatted {
            value: description,
            format: MessageFormat::Html,
        }),
        icon: Some(icon(base_url, "dynaboard")),
        thumbnail: None,
        attributes: Vec::new(),
        activity: Some(Activity {
            html: activity.clone(),
            icon: Some(icon(base_url, "dynaboard")),
        }),
        date: None,
        metadata: Some(metadata),
    };
    Notification {
        message: format!("{activity}: {}", escape(&summary)),
        message_format: Some(MessageFormat::Html),
        color: Some(color),
        notify: Some(false),
        card: Some(card),
        ..Notification::default()
    }
}
