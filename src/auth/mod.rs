//! Authentication of inbound calls: HipChat JWTs (webhooks, views) and dynaBOARD signatures.
//!
//! Verification is an extractor, not a call inside each handler: a handler that takes a
//! [`Caller`] or a [`Verified`] body cannot run on an unverified request.

pub mod jwt;
pub mod signature;

use axum::extract::{FromRef, FromRequest, FromRequestParts, Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::hipchat::wire::WebhookEnvelope;
use crate::model::Installation;
use crate::store::Store;

pub use jwt::{AuthError, Claims, JwtContext};

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
    pub fn verify(&self, token: &str) -> Result<(Claims, Installation), ApiError> {
        let issuer = jwt::unverified_issuer(token)?;
        let installation = self
            .store
            .installation(&issuer)?
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

#[derive(Deserialize)]
struct SignedRequest {
    signed_request: Option<String>,
}

fn token_in_parts(parts: &Parts) -> Result<String, AuthError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .map(|h| {
            h.to_str()
                .map_err(|_| AuthError::Malformed("Authorization is not ASCII".into()))
        })
        .transpose()?;
    let query = Query::<SignedRequest>::try_from_uri(&parts.uri)
        .map(|q| q.0.signed_request)
        .unwrap_or(None);
    jwt::token_from(header, query.as_deref())
}

impl<S> FromRequestParts<S> for Caller
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = token_in_parts(parts)?;
        let (claims, installation) = Verifier::from_ref(state).verify(&token)?;
        Ok(Caller {
            installation,
            claims,
            token,
        })
    }
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

impl<S, T> FromRequest<S> for Verified<T>
where
    Verifier: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned + WebhookItem,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        // Authenticate before reading the body: an unauthenticated caller costs no parsing.
        let token = token_in_parts(&parts)?;
        let (claims, installation) = Verifier::from_ref(state).verify(&token)?;
        // Webhooks come from HipChat only: a page's own token (signed with the same secret)
        // would let a page's user act as whoever opened the page.
        if claims.is_page_token() {
            return Err(AuthError::PageToken.into());
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| match e.status() {
                axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::TooLarge(format!("body too large: {e}"))
                }
                _ => ApiError::BadRequest(format!("cannot read body: {e}")),
            })?;
        let envelope: WebhookEnvelope<T> = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("webhook body: {e}")))?;
        check_envelope(&installation, &claims, &envelope)?;
        Ok(Verified {
            installation,
            claims,
            envelope,
        })
    }
}

/// The body must belong to the token: same client, a room the installation covers, the room
/// the token names, and the sender the token names.
fn check_envelope<T: WebhookItem>(
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
