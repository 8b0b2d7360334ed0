//! Announcements of dynaBOARD events: a short HTML line whose colour means something (green for
//! created and approved, red for disapproved, gray for logins, purple for comments, yellow for
//! chat requests), for issue events a card linking to the issue, and for chat requests a card
//! staff can take the chat from.

use serde_json::{Map, json};

use super::icon;
use super::incident::when;
use crate::dynaboard::events::{Event, EventIssue, EventKind, EventUser};
use crate::hipchat::message::{escape, html, truncate};
use crate::hipchat::wire::{
    Activity, Attribute, Card, CardDescription, CardFormat, CardStyle, Color, MessageFormat,
    Notification,
};
use crate::store::ChatRequest;

const EXCERPT: usize = 300;

/// "Zoë Ångström (customer, Acme)" — escaped.
fn who(user: &EventUser) -> String {
    let role = user.role.as_str();
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

/// What the chat-request notice shows.
pub struct ChatCard<'a> {
    /// Who asks.
    pub user: &'a EventUser,
    /// Their personal room's name.
    pub room_name: &'a str,
    /// Where staff open it.
    pub room_url: &'a str,
    /// The request's id, which "Take this chat" acts on; `None` for a request queued before
    /// requests were recorded, whose card then offers no action.
    pub request: Option<&'a str>,
    /// When they asked, Unix seconds.
    pub at: i64,
}

/// The notice in the notification room that a user asks for a chat: a card with who, which
/// customer, when and the room's link, whose metadata lets "Take this chat" find the request.
pub fn chat_notice(chat: &ChatCard<'_>, base_url: &str) -> Notification {
    let user = chat.user;
    let go = format!("<a href=\"{}\">go to room</a>", escape(chat.room_url));
    let line = format!(
        "{} requests a chat in <b>{}</b>: {go}",
        who(user),
        escape(chat.room_name)
    );
    let mut attributes = vec![Attribute::text("Who", user.full_name(), None)];
    if !user.customer.trim().is_empty() {
        attributes.push(Attribute::text("Customer", user.customer.clone(), None));
    }
    attributes.push(Attribute::text("Role", user.role.as_str().to_owned(), None));
    attributes.push(Attribute::text("Asked", when(chat.at), None));
    let mut room = Attribute::text("Room", chat.room_name.to_owned(), None);
    room.value.url = Some(chat.room_url.to_owned());
    attributes.push(room);
    let metadata = chat.request.map(|id| {
        let mut m = Map::new();
        m.insert("kind".into(), json!("chat"));
        m.insert("request".into(), json!(id));
        m
    });
    let card = Card {
        style: CardStyle::Application,
        format: Some(CardFormat::Medium),
        id: chat.request.map(|id| format!("chat-{id}")),
        url: Some(chat.room_url.to_owned()),
        title: truncate(&format!("Chat request from {}", user.full_name()), 200),
        description: Some(CardDescription::Formatted {
            value: line.clone(),
            format: MessageFormat::Html,
        }),
        icon: Some(icon(base_url, "chat")),
        thumbnail: None,
        attributes,
        activity: None,
        date: Some(chat.at.saturating_mul(1000)),
        metadata,
    };
    Notification {
        message: line,
        message_format: Some(MessageFormat::Html),
        color: Some(Color::Yellow),
        notify: Some(true),
        card: Some(card),
        ..Notification::default()
    }
}

/// "Ann Lee takes the chat with Bob Smith (Acme)", with the room's link.
pub fn chat_taken_notice(request: &ChatRequest, by: &str) -> Notification {
    html(
        format!(
            "<b>{}</b> takes the chat with <b>{}</b>: <a href=\"{}\">go to room</a>",
            escape(by),
            escape(&request.who()),
            escape(&request.room_url)
        ),
        Color::Green,
    )
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
