//! "Take this chat" on a chat request's notice: the first staff member to take it is recorded and
//! announced in the room, so two people do not both join; anyone after is told who has it.

use super::{Outcome, Services};
use crate::cards::event::chat_taken_notice;
use crate::model::{ChatRequest, Installation, Stamp};
use crate::store::StoreError;

/// Why a take was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such request for this HipChat.
    #[error("There is no such chat request.")]
    Unknown,
    /// Somebody else took it first.
    #[error("Already taken by {0}.")]
    TakenBy(String),
}

/// A request found for a caller: the installation that recorded it, and the request.
#[derive(Debug, Clone)]
pub struct Found {
    /// The installation whose notice announced it.
    pub oauth_id: String,
    /// The request as read.
    pub request: ChatRequest,
}

/// What a take decided.
#[derive(Debug, Clone)]
pub enum Take {
    /// Taken now: the request before and after.
    Taken {
        /// As read.
        before: ChatRequest,
        /// With the taker.
        after: ChatRequest,
    },
    /// The same person took it before (a repeated click or delivery): nothing to do again.
    AlreadyYours(ChatRequest),
}

/// The request `id` as the caller's installation sees it: its own, or one announced by another
/// installation of the same HipChat group (a global installation's notice in a room that also
/// has a room installation, whichever of the two HipChat signs the dialog with).
pub async fn find(
    services: &Services,
    caller: &Installation,
    id: &str,
) -> Result<Option<Found>, StoreError> {
    let store = &services.store;
    if let Some(request) = store.chat_request(&caller.oauth_id, id).await? {
        return Ok(Some(Found {
            oauth_id: caller.oauth_id.clone(),
            request,
        }));
    }
    for other in store.installations().await? {
        let same_group = other.group_id == caller.group_id
            && other.capabilities_url == caller.capabilities_url
            && other.oauth_id != caller.oauth_id;
        if !same_group {
            continue;
        }
        if let Some(request) = store.chat_request(&other.oauth_id, id).await? {
            return Ok(Some(Found {
                oauth_id: other.oauth_id,
                request,
            }));
        }
    }
    Ok(None)
}

/// Decides whether `stamp`'s person may take the request.
pub fn decide(found: &Found, stamp: Stamp) -> Result<Take, Refusal> {
    let request = &found.request;
    match &request.taken {
        Some(taken) if taken.by_id.is_some() && taken.by_id == stamp.by_id => {
            Ok(Take::AlreadyYours(request.clone()))
        }
        Some(taken) => Err(Refusal::TakenBy(taken.by.clone())),
        None => Ok(Take::Taken {
            before: request.clone(),
            after: ChatRequest {
                taken: Some(stamp),
                ..request.clone()
            },
        }),
    }
}

/// Takes request `id` for `stamp`'s person (a chat dialog's Confirm): the outcome to commit
/// (nothing when refused, or when they had taken it already) and what the take came to.
pub async fn take(
    services: &Services,
    caller: &Installation,
    id: &str,
    stamp: Stamp,
) -> Result<(Outcome, Result<Take, Refusal>), StoreError> {
    let Some(found) = find(services, caller, id).await? else {
        return Ok((Outcome::default(), Err(Refusal::Unknown)));
    };
    Ok(match decide(&found, stamp) {
        Ok(Take::Taken { before, after }) => {
            let outcome = apply(services, &found, id, &before, &after);
            (outcome, Ok(Take::Taken { before, after }))
        }
        other => (Outcome::default(), other),
    })
}

/// The take's writes (conditional on the request being unchanged) and its notice.
pub fn apply(
    services: &Services,
    found: &Found,
    id: &str,
    before: &ChatRequest,
    after: &ChatRequest,
) -> Outcome {
    let by = after.taken.as_ref().map_or("Somebody", |s| s.by.as_str());
    let mut outcome = Outcome::reply(chat_taken_notice(after, by));
    services.store.stage_chat_request_change(
        &mut outcome.writes,
        &found.oauth_id,
        id,
        before,
        after,
    );
    outcome
}
