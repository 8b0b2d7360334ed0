//! Incidents: `/incident <title>` opens one, `/ack INC-n` and `/resolve INC-n` (or the card's
//! actions, through the views) move it on. Every change is committed with its announcement and
//! the room's glance push, in one batch, before anyone is told.

use super::{Conversation, HandlerError, Inline, Outcome, RoomCall, Services};
use crate::cards::glance::incidents_update;
use crate::cards::incident::{by_at, incident_notification};
use crate::hipchat::message::{Html, html, truncate};
use crate::hipchat::wire::{Color, Notification};
use crate::model::{Incident, IncidentState, Stamp};
use crate::runtime::outbox::Outbound;
use crate::store::{Batch, StoreResult};

/// Longest incident title.
pub const MAX_TITLE: usize = 200;

/// What a person does to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Take it on.
    Acknowledge,
    /// Close it.
    Resolve,
}

/// Why an action changed nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// No such number.
    Unknown(u64),
    /// It belongs to another room of the installation.
    OtherRoom(u64),
    /// Acknowledging an acknowledged incident.
    AlreadyAcknowledged(Box<Incident>),
    /// Acting on a resolved incident.
    AlreadyResolved(Box<Incident>),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unknown(n) => write!(f, "There is no incident INC-{n}."),
            Refusal::OtherRoom(n) => write!(f, "INC-{n} belongs to another room; act on it there."),
            Refusal::AlreadyAcknowledged(i) => write!(
                f,
                "{} was already acknowledged by {}.",
                i.name(),
                i.acknowledged.as_ref().map(by_at).unwrap_or_default()
            ),
            Refusal::AlreadyResolved(i) => write!(
                f,
                "{} is already resolved (by {}).",
                i.name(),
                i.resolved.as_ref().map(by_at).unwrap_or_default()
            ),
        }
    }
}

/// An `/incident` call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Open {
    /// Title.
    pub title: String,
}

impl Inline for Open {
    const NUMBERS_THINGS: bool = true;

    fn parse(args: &str) -> Result<Open, String> {
        parse_title(args).map(|title| Open { title })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        open(&self.title, conversation, services).await
    }
}

/// An `/ack` call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ack {
    /// Incident number.
    pub number: u64,
}

impl Inline for Ack {
    fn parse(args: &str) -> Result<Ack, String> {
        parse_number(args).map(|number| Ack { number })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        act(self.number, Action::Acknowledge, conversation, services).await
    }
}

/// A `/resolve` call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resolve {
    /// Incident number.
    pub number: u64,
}

impl Inline for Resolve {
    fn parse(args: &str) -> Result<Resolve, String> {
        parse_number(args).map(|number| Resolve { number })
    }

    async fn run(
        &self,
        conversation: &Conversation,
        services: &Services,
    ) -> Result<Outcome, HandlerError> {
        act(self.number, Action::Resolve, conversation, services).await
    }
}

/// A card or sidebar action on incident `number` of `room` (confirmed in its dialog, or a
/// sidebar button) by `stamp`'s person: the outcome to commit and the incident's name after
/// it, or why it changed nothing (then nothing is committed).
pub async fn act_in_room(
    services: &Services,
    oauth_id: &str,
    room: i64,
    number: u64,
    action: Action,
    stamp: Stamp,
) -> Result<(Outcome, Result<String, Refusal>), HandlerError> {
    Ok(
        match decide(services, oauth_id, room, number, action, stamp).await? {
            Ok(change) => (apply(services, &change).await?, Ok(change.after.name())),
            Err(refusal) => (Outcome::default(), Err(refusal)),
        },
    )
}

/// `/incident` takes a title.
pub fn parse_title(args: &str) -> Result<String, String> {
    let title = args.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err("An incident needs a title.".into());
    }
    if title.chars().count() > MAX_TITLE {
        return Err(format!(
            "An incident title has at most {MAX_TITLE} characters."
        ));
    }
    Ok(title)
}

/// `/ack` and `/resolve` take `INC-n` (any case) or `n`.
pub fn parse_number(args: &str) -> Result<u64, String> {
    let mut words = args.split_whitespace();
    let word = words.next().ok_or("Which incident?")?;
    if words.next().is_some() {
        return Err("Name one incident.".into());
    }
    let digits = word
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("inc-"))
        .map_or(word, |_| &word[4..]);
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{} is not an incident (like INC-3).", truncate(word, 40)))
}

/// Opens an incident in the conversation's room.
pub async fn open(
    title: &str,
    conversation: &Conversation,
    services: &Services,
) -> Result<Outcome, HandlerError> {
    let stamp = sender_stamp(conversation, services);
    open_in(
        services,
        &conversation.oauth_id,
        conversation.room_id,
        title,
        stamp,
        None,
    )
    .await
}

/// Opens an incident in a room, announced by installation `announcer` (also used for dynaBOARD
/// events). It belongs to the room's home installation, which numbers it and posts its card, so
/// the room's glance, sidebar, `/ack` and card actions all find it.
pub async fn open_in(
    services: &Services,
    announcer: &str,
    room_id: i64,
    title: &str,
    stamp: Stamp,
    issue: Option<String>,
) -> Result<Outcome, HandlerError> {
    let home = services.store.room_home(announcer, room_id).await?;
    let mut writes = Batch::new();
    let draft = Incident {
        number: 0,
        room_id,
        title: title.to_owned(),
        state: IncidentState::Open,
        opened: stamp,
        acknowledged: None,
        resolved: None,
        issue,
    };
    // Read together: on a database each is a round trip, and all are in the numbering turn.
    let (incident, mut active, glancing) = tokio::try_join!(
        services.store.stage_new_incident(&mut writes, &home, draft),
        services.store.active_incidents(&home, room_id),
        services.store.room_installations(&home, room_id),
    )?;
    active.push(incident.clone());
    let card = incident_notification(&incident, &services.base_url);
    let mut outcome = Outcome {
        writes,
        ..Outcome::default()
    };
    if home == announcer {
        outcome.replies.push(card);
    } else {
        // Its actions must reach the installation holding the incident.
        outcome
            .room_calls
            .push(RoomCall::notification(room_id, card).by(&home));
    }
    outcome
        .room_calls
        .extend(glance_calls(&glancing, room_id, &active));
    Ok(outcome)
}

/// A decided change to one incident, and the installation it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The room's home installation, which holds the incident.
    pub home: String,
    /// The incident as it is.
    pub before: Incident,
    /// The incident as it will be.
    pub after: Incident,
}

/// Incident `number` of room `room_id`, asked through installation `oauth_id`, with the room's
/// home installation that holds it.
pub async fn find(
    services: &Services,
    oauth_id: &str,
    room_id: i64,
    number: u64,
) -> StoreResult<Result<(String, Incident), Refusal>> {
    let home = services.store.room_home(oauth_id, room_id).await?;
    let Some(incident) = services.store.incident(&home, number).await? else {
        return Ok(Err(Refusal::Unknown(number)));
    };
    if incident.room_id != room_id {
        return Ok(Err(Refusal::OtherRoom(number)));
    }
    Ok(Ok((home, incident)))
}

/// What `action` by `stamp` makes of `before`, or why it changes nothing.
pub fn transition(before: &Incident, action: Action, stamp: Stamp) -> Result<Incident, Refusal> {
    let mut after = before.clone();
    match (action, before.state) {
        (_, IncidentState::Resolved) => {
            return Err(Refusal::AlreadyResolved(Box::new(before.clone())));
        }
        (Action::Acknowledge, IncidentState::Acknowledged) => {
            return Err(Refusal::AlreadyAcknowledged(Box::new(before.clone())));
        }
        (Action::Acknowledge, IncidentState::Open) => {
            after.state = IncidentState::Acknowledged;
            after.acknowledged = Some(stamp);
        }
        (Action::Resolve, _) => {
            after.state = IncidentState::Resolved;
            after.resolved = Some(stamp);
        }
    }
    Ok(after)
}

/// Decides what `action` by `stamp` does to incident `number` of room `room_id`, asked through
/// installation `oauth_id`.
pub async fn decide(
    services: &Services,
    oauth_id: &str,
    room_id: i64,
    number: u64,
    action: Action,
    stamp: Stamp,
) -> StoreResult<Result<Change, Refusal>> {
    Ok(find(services, oauth_id, room_id, number)
        .await?
        .and_then(|(home, before)| {
            let after = transition(&before, action, stamp)?;
            Ok(Change {
                home,
                before,
                after,
            })
        }))
}

/// The writes, announcement and glance pushes of a decided change.
pub async fn apply(services: &Services, change: &Change) -> Result<Outcome, HandlerError> {
    let Change {
        home,
        before,
        after,
    } = change;
    let mut writes = Batch::new();
    services
        .store
        .stage_incident_change(&mut writes, home, before, after);
    let (active, glancing) = tokio::try_join!(
        services.store.active_incidents(home, after.room_id),
        services.store.room_installations(home, after.room_id),
    )?;
    let mut active: Vec<Incident> = active
        .into_iter()
        .filter(|i| i.number != after.number)
        .collect();
    if after.state != IncidentState::Resolved {
        active.push(after.clone());
    }
    Ok(Outcome {
        replies: vec![incident_notification(after, &services.base_url)],
        writes,
        room_calls: glance_calls(&glancing, after.room_id, &active),
    })
}

/// `/ack` and `/resolve`: the change, or a reply saying why nothing changed.
pub async fn act(
    number: u64,
    action: Action,
    conversation: &Conversation,
    services: &Services,
) -> Result<Outcome, HandlerError> {
    let stamp = sender_stamp(conversation, services);
    match decide(
        services,
        &conversation.oauth_id,
        conversation.room_id,
        number,
        action,
        stamp,
    )
    .await?
    {
        Ok(change) => apply(services, &change).await,
        Err(refusal) => Ok(Outcome::reply(super::addressed(
            &conversation.sender,
            refusal_reply(&refusal),
        ))),
    }
}

/// A refusal as a room reply.
pub fn refusal_reply(refusal: &Refusal) -> Notification {
    html(Html::text(&refusal.to_string()), Color::Yellow)
}

/// The room's glance, pushed through every installation showing it there.
fn glance_calls(glancing: &[String], room_id: i64, active: &[Incident]) -> Vec<RoomCall> {
    let update = incidents_update(active);
    glancing
        .iter()
        .map(|oauth_id| {
            let call = Outbound::Glance {
                update: update.clone(),
            };
            RoomCall::new(room_id, call).by(oauth_id)
        })
        .collect()
}

/// Who is acting, and now.
fn sender_stamp(conversation: &Conversation, services: &Services) -> Stamp {
    Stamp {
        by: conversation.sender.name.clone(),
        by_id: Some(conversation.sender.id),
        at: services.clock.unix(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_titles() {
        assert_eq!(parse_number("INC-3"), Ok(3));
        assert_eq!(parse_number("inc-12"), Ok(12));
        assert_eq!(parse_number("7"), Ok(7));
        assert!(parse_number("").is_err());
        assert!(parse_number("INC-0").is_err());
        assert!(parse_number("INC-x").is_err());
        assert!(parse_number("INC-1 INC-2").is_err());
        assert_eq!(parse_title("  db   down "), Ok("db down".into()));
        assert!(parse_title(" ").is_err());
        assert!(parse_title(&"x".repeat(201)).is_err());
    }
}
