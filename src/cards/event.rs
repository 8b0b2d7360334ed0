//! Announcements of dynaBOARD events: a short HTML line whose colour means something (green for
//! created and approved, red for disapproved, gray for logins, purple for comments, yellow for
//! chat requests), for issue events a card linking to the issue, and for chat requests a card
//! staff can take the chat from.

use serde_json::{Map, json};

use super::icon;
use super::incident::when;
use crate::dynaboard::events::{Event, EventIssue, EventKind, EventUser};
use crate::hipchat::message::{Html, activity, html, html_description, truncate};
use crate::hipchat::wire::{Activity, Attribute, Card, CardFormat, CardStyle, Color, Notification};
use crate::model::ChatRequest;

const EXCERPT: usize = 300;

/// "<b>Zoë Ångström</b> (customer, Acme)".
fn who(user: &EventUser) -> Html {
    let role = user.role.as_str();
    if user.customer.trim().is_empty() {
        crate::html!("<b>{}</b> ({})", user.full_name(), role)
    } else {
        crate::html!("<b>{}</b> ({}, {})", user.full_name(), role, &user.customer)
    }
}

fn issue_link(issue: &EventIssue) -> Html {
    crate::html!("<a href=\"{}\">{}</a>", &issue.url, &issue.key)
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
                crate::html!("{} {} dynaBOARD.", who(user), verb),
                Color::Gray,
            ))
        }
        EventKind::IssueCreated { issue } => Some(issue_card(
            issue,
            crate::html!("{} created {}", who(user), issue_link(issue)),
            crate::html!("Project {}", &issue.project),
            Color::Green,
            base_url,
        )),
        EventKind::CommentCreated { issue, comment } => Some(issue_card(
            issue,
            crate::html!("{} commented on {}", who(user), issue_link(issue)),
            Html::text(&truncate(
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
                crate::html!("{} {} {}", who(user), verb, issue_link(issue)),
                crate::html!("{} by the customer", capitalise(verb)),
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
    let line = crate::html!(
        "{} requests a chat in <b>{}</b>: <a href=\"{}\">go to room</a>",
        who(user),
        chat.room_name,
        chat.room_url
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
        description: Some(html_description(line.clone())),
        icon: Some(icon(base_url, "chat")),
        thumbnail: None,
        attributes,
        activity: None,
        date: Some(chat.at.saturating_mul(1000)),
        metadata,
    };
    crate::hipchat::message::card(line, Color::Yellow, true, card)
}

/// "Ann Lee takes the chat with Bob Smith (Acme)", with the room's link.
pub fn chat_taken_notice(request: &ChatRequest, by: &str) -> Notification {
    html(
        crate::html!(
            "<b>{}</b> takes the chat with <b>{}</b>: <a href=\"{}\">go to room</a>",
            by,
            request.who(),
            &request.room_url
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
    line: Html,
    description: Html,
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
        description: Some(html_description(description)),
        icon: Some(icon(base_url, "dynaboard")),
        thumbnail: None,
        attributes: Vec::new(),
        activity: Some(Activity {
            icon: Some(icon(base_url, "dynaboard")),
            ..activity(line.clone())
        }),
        date: None,
        metadata: Some(metadata),
    };
    crate::hipchat::message::card(crate::html!("{}: {}", line, summary), color, false, card)
}
