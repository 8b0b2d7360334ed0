//! The edge's extractors: verified HipChat callers and webhooks (the JWT checks of `auth`), the
//! dynaBOARD signature header, and JSON, form, query, path and body readers whose every rejection
//! is answered in the one JSON error shape.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::Refused;
use crate::auth::{AuthError, Caller, Verified, Verifier, WebhookItem, check_envelope, jwt};
use crate::error::ApiError;
use crate::hipchat::wire::WebhookEnvelope;

#[derive(Deserialize)]
struct SignedRequest {
    signed_request: Option<String>,
}

/// The HipChat token of a request: `Authorization: JWT …`, else `?signed_request=…`.
pub fn token_of(headers: &HeaderMap, uri: &axum::http::Uri) -> Result<String, AuthError> {
    let header = headers
        .get(AUTHORIZATION)
        .map(|h| {
            h.to_str()
                .map_err(|_| AuthError::Malformed("Authorization is not ASCII".into()))
        })
        .transpose()?;
    let query = axum::extract::Query::<SignedRequest>::try_from_uri(uri)
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
        let token = token_of(&parts.headers, &parts.uri)?;
        let (claims, installation) = Verifier::from_ref(state).verify(&token).await?;
        Ok(Caller {
            installation,
            claims,
            token,
        })
    }
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
        let token = token_of(&parts.headers, &parts.uri)?;
        let (claims, installation) = Verifier::from_ref(state).verify(&token).await?;
        // Webhooks come from HipChat only: a page's own token (signed with the same secret)
        // would let a page's user act as whoever opened the page.
        if claims.is_page_token() {
            return Err(AuthError::PageToken.into());
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(format!("body too large: {e}")),
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

/// The `X-Dynaboard-Signature` header, taken as is; `auth::signature` judges it.
pub struct DynaboardSignature(pub Option<HeaderValue>);

impl DynaboardSignature {
    /// The header's text, when it has one.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_ref().and_then(|v| v.to_str().ok())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DynaboardSignature {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Moved out, not copied: nothing reads it after.
        Ok(DynaboardSignature(
            parts.headers.remove("x-dynaboard-signature"),
        ))
    }
}

/// A JSON body (`Content-Type: application/json`); also answers a value as JSON.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Refused;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Json(value))
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A URL-encoded form body.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Refused;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(value) = axum::Form::<T>::from_request(req, state).await?;
        Ok(Form(value))
    }
}

/// The query string, decoded.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// The route's path parameters, decoded.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// The raw body, within the body limit.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Refused;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Body(Bytes::from_request(req, state).await?))
    }
}
