//! Authentication of inbound calls as plain functions: HipChat JWTs (webhooks, views) and
//! dynaBOARD signatures.
//!
//! The web edge's extractors call these, so a handler that takes a [`Caller`] or a [`Verified`]
//! body cannot run on an unverified request.

pub mod jwt;
pub use hipboard_protocol::signature;

use crate::clock::Clock;
use crate::hipchat::wire::WebhookEnvelope;
use crate::model::Installation;
use crate::store::{Store, StoreError};

pub use jwt::{AuthError, Claims, JwtContext};

/// Why a HipChat token was not accepted: the token, or the store its issuer is looked up in.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The token is not acceptable.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The issuer could not be looked up.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What verification needs: installations (for secrets) and the time.
#[derive(Clone)]
pub struct Verifier {
    /// Where installations live.
    pub store: Store,
    /// Time used for `exp`/`iat` checks.
    pub clock: Clock,
}

impl Verifier {
    /// Verifies a raw token: issuer known and active, HS256 signature, times, room of a room install.
    pub async fn verify(&self, token: &str) -> Result<(Claims, Installation), VerifyError> {
        let issuer = jwt::unverified_issuer(token)?;
        let installation = self
            .store
            .installation(&issuer)
            .await?
            .ok_or(AuthError::UnknownIssuer)?;
        let claims = jwt::verify(token, &installation, self.clock.unix())?;
        if let (Some(own), Some(ctx)) = (installation.room_id, claims.context.room_id) {
            if own != ctx {
                return Err(AuthError::WrongContext("token is for another room").into());
            }
        }
        Ok((claims, installation))
    }
}

/// A verified HipChat caller of a view or a view's follow-up call.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The installation that signed the token.
    pub installation: Installation,
    /// The token's claims.
    pub claims: Claims,
    /// The raw token, to re-sign fresh ones for the page.
    pub token: String,
}

/// The parts of a webhook item the envelope checks need.
pub trait WebhookItem {
    /// Room the event happened in.
    fn room_id(&self) -> i64;
    /// User who caused it, when a user did.
    fn sender_id(&self) -> Option<i64>;
}

/// A webhook whose JWT verified and whose body is consistent with the token.
#[derive(Debug)]
pub struct Verified<T> {
    /// The installation the webhook belongs to.
    pub installation: Installation,
    /// The token's claims.
    pub claims: Claims,
    /// The decoded body.
    pub envelope: WebhookEnvelope<T>,
}

/// The body must belong to the token: same client, a room the installation covers, the room
/// the token names, and the sender the token names.
pub fn check_envelope<T: WebhookItem>(
    installation: &Installation,
    claims: &Claims,
    envelope: &WebhookEnvelope<T>,
) -> Result<(), AuthError> {
    if envelope
        .oauth_client_id
        .as_deref()
        .is_some_and(|id| id != installation.oauth_id)
    {
        return Err(AuthError::WrongContext(
            "oauth_client_id differs from the token issuer",
        ));
    }
    let room = envelope.item.room_id();
    if !installation.covers_room(room) {
        return Err(AuthError::WrongContext(
            "room is not covered by this installation",
        ));
    }
    if claims.context.room_id.is_some_and(|r| r != room) {
        return Err(AuthError::WrongContext(
            "room differs from the token's room",
        ));
    }
    if let (Some(user), Some(sender)) = (claims.user_id(), envelope.item.sender_id()) {
        if user != sender.to_string() {
            return Err(AuthError::WrongContext(
                "sender differs from the token's user",
            ));
        }
    }
    Ok(())
}
