//! HipChat JWTs (HIPCHAT-CONNECT.md §5): where they are, how they are verified, how we mint ours.
//!
//! Rules (DESIGN.md "Precise rules"): HS256 only; `iss`, `iat`, `exp` required; `iat` not in the
//! future beyond the leeway; `exp` leeway [`LEEWAY_SECS`]; tokens over 8 KiB are refused unread.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::model::Installation;

/// Largest token we read; anything longer is refused without parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock skew tolerated on `exp` and `iat` (DESIGN.md allows at most 60 s).
pub const LEEWAY_SECS: i64 = 30;

/// Why a caller was not authenticated. Every variant is a 401 with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token where one is read.
    #[error("no JWT: send it as `Authorization: JWT <token>` or `?signed_request=<token>`")]
    Missing,
    /// Over [`MAX_TOKEN_BYTES`].
    #[error("JWT is larger than 8 KiB")]
    TooLarge,
    /// Not three base64url parts with JSON inside, or a claim of the wrong type.
    #[error("malformed JWT: {0}")]
    Malformed(String),
    /// Anything but HS256 (including `none`).
    #[error("JWT algorithm must be HS256")]
    WrongAlgorithm,
    /// A required claim is absent.
    #[error("JWT has no `{0}` claim")]
    MissingClaim(&'static str),
    /// `iss` names no installation.
    #[error("JWT issuer is not an installation of this add-on")]
    UnknownIssuer,
    /// The installation's OAuth client was revoked.
    #[error("installation was revoked")]
    Revoked,
    /// Signature does not verify with the installation's secret.
    #[error("JWT signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("JWT has expired")]
    Expired,
    /// `iat` is in the future.
    #[error("JWT was issued in the future")]
    NotYetValid,
    /// The token's room or user does not match the request.
    #[error("JWT does not cover this request: {0}")]
    WrongContext(&'static str),
    /// One of the add-on's own page tokens where only HipChat's tokens are accepted.
    #[error("this is a token the add-on issued to its pages, not a HipChat token")]
    PageToken,
}

/// The audience of the add-on's own page tokens: HipChat's tokens carry no such audience.
pub const PAGE_AUDIENCE: &str = "hipboard:page";

/// The claims HipChat puts in its JWTs, as we read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// oauthId of the installation.
    pub iss: String,
    /// Acting user id (HipChat sent `sub`, older tokens `prn`; number or string).
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sub: Option<String>,
    /// Legacy name of `sub`.
    #[serde(
        default,
        deserialize_with = "opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub prn: Option<String>,
    /// Issued at, Unix seconds.
    #[serde(deserialize_with = "numeric_date")]
    pub iat: i64,
    /// Expiry, Unix seconds.
    #[serde(deserialize_with = "numeric_date")]
    pub exp: i64,
    /// Token id (not used for replay refusal: HipChat never promised unique delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// `{room_id, user_tz}`.
    #[serde(default)]
    pub context: JwtContext,
    /// Audience: [`PAGE_AUDIENCE`] on the add-on's own page tokens, absent on HipChat's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Value>,
    /// On page tokens: the `exp` of the HipChat token that opened the page. No page token
    /// outlives it, however often it is renewed.
    #[serde(
        default,
        rename = "hipboard_session_exp",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_exp: Option<i64>,
}

/// `context` claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JwtContext {
    /// Room the view or webhook belongs to; absent outside a room.
    #[serde(
        default,
        deserialize_with = "opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub room_id: Option<i64>,
    /// The user's IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tz: Option<String>,
}

impl Claims {
    /// The acting user: `sub`, else `prn`.
    pub fn user_id(&self) -> Option<&str> {
        self.sub.as_deref().or(self.prn.as_deref())
    }

    /// Whether the add-on issued this token to one of its pages (not HipChat).
    pub fn is_page_token(&self) -> bool {
        match &self.aud {
            Some(Value::String(a)) => a == PAGE_AUDIENCE,
            Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(PAGE_AUDIENCE)),
            _ => false,
        }
    }

    /// When the session this token belongs to ends: a HipChat token's own `exp`, or the one
    /// a page token carries from the HipChat token that opened the page.
    pub fn session_end(&self) -> i64 {
        match self.session_exp {
            Some(end) if self.is_page_token() => end,
            _ => self.exp,
        }
    }
}

/// Takes the token from `Authorization: JWT <t>` / `JWT token=<t>`, else from `signed_request`.
/// Any other authorization scheme (Bearer, Basic) is not a HipChat token and is ignored.
pub fn token_from(
    authorization: Option<&str>,
    signed_request: Option<&str>,
) -> Result<String, AuthError> {
    let from_header = authorization.and_then(|h| {
        let (scheme, rest) = h.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("JWT") {
            return None;
        }
        let rest = rest.trim();
        Some(rest.strip_prefix("token=").unwrap_or(rest).trim())
    });
    let token = from_header
        .or(signed_request.map(str::trim))
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::Missing)?;
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TooLarge);
    }
    Ok(token.to_owned())
}

/// Reads `iss` without verifying anything, to find whose secret to verify with.
pub fn unverified_issuer(token: &str) -> Result<String, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::TooLarge);
    }
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<Value>,
    }
    let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::Json(_) => AuthError::WrongAlgorithm,
        _ => AuthError::Malformed(e.to_string()),
    })?;
    if header.alg != Algorithm::HS256 {
        return Err(AuthError::WrongAlgorithm);
    }
    let claims: Iss = jsonwebtoken::dangerous::insecure_decode_claims(token)
        .map_err(|e| AuthError::Malformed(e.to_string()))?;
    match claims.iss {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(AuthError::Malformed("`iss` must be a string".into())),
        None => Err(AuthError::MissingClaim("iss")),
    }
}

/// Verifies a token against the installation named by its `iss`, at time `now`.
pub fn verify(token: &str, installation: &Installation, now: i64) -> Result<Claims, AuthError> {
    if !installation.is_active() {
        return Err(AuthError::Revoked);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["iss", "iat", "exp"]);
    validation.set_issuer(&[installation.oauth_id.as_str()]);
    // Time is checked below against our injectable clock, on the typed claims.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let key = DecodingKey::from_secret(installation.oauth_secret.as_bytes());
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(map_jwt_error)?;
    let claims = data.claims;
    // Saturating: an `exp` near i64::MAX must not wrap around into the past (or panic).
    if claims.exp.saturating_add(LEEWAY_SECS) < now || claims.session_end() < now {
        return Err(AuthError::Expired);
    }
    if claims.iat > now.saturating_add(LEEWAY_SECS) {
        return Err(AuthError::NotYetValid);
    }
    Ok(claims)
}

/// Signs claims with an installation secret (our views' follow-up tokens; the sandbox's tokens).
pub fn sign(claims: &Claims, secret: &str) -> Result<String, AuthError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| AuthError::Malformed(format!("cannot sign: {e}")))
}

fn map_jwt_error(e: jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => AuthError::BadSignature,
        K::InvalidAlgorithm | K::InvalidAlgorithmName => AuthError::WrongAlgorithm,
        K::InvalidIssuer => AuthError::UnknownIssuer,
        K::MissingRequiredClaim(c) => AuthError::MissingClaim(match c.as_str() {
            "iss" => "iss",
            "iat" => "iat",
            _ => "exp",
        }),
        K::ExpiredSignature => AuthError::Expired,
        _ => AuthError::Malformed(e.to_string()),
    }
}

/// JWT NumericDate: a JSON number (integer or not). A string is refused, never skipped.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or_else(|| serde::de::Error::custom("date out of range")),
        other => Err(serde::de::Error::custom(format!(
            "date must be a number, got {other}"
        ))),
    }
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installation() -> Installation {
        Installation {
            oauth_id: "client-a".into(),
            oauth_secret: "s3cret".into(),
            group_id: 1,
            group_name: None,
            room_id: Some(7),
            capabilities_url: "http://h/v2/capabilities".into(),
            token_url: "http://h/v2/oauth/token".into(),
            api_url: "http://h/v2/".into(),
            homepage: "http://h".into(),
            installed_at_ms: 0,
            revoked_at: None,
        }
    }

    fn claims(iat: i64, exp: i64) -> Claims {
        Claims {
            iss: "client-a".into(),
            sub: Some("42".into()),
            prn: None,
            iat,
            exp,
            jti: None,
            context: JwtContext {
                room_id: Some(7),
                user_tz: None,
            },
            aud: None,
            session_exp: None,
        }
    }

    #[test]
    fn extreme_times_neither_wrap_nor_panic() {
        let inst = installation();
        let far = sign(&claims(1000, i64::MAX), &inst.oauth_secret).unwrap();
        assert!(verify(&far, &inst, 2000).is_ok());
        let past = sign(&claims(0, 1), &inst.oauth_secret).unwrap();
        assert_eq!(verify(&past, &inst, i64::MAX), Err(AuthError::Expired));
        let negative = sign(&claims(i64::MIN, i64::MIN), &inst.oauth_secret).unwrap();
        assert!(verify(&negative, &inst, 2000).is_err());
        let future = sign(&claims(i64::MAX, i64::MAX), &inst.oauth_secret).unwrap();
        assert_eq!(verify(&future, &inst, 2000), Err(AuthError::NotYetValid));
        // An exp of u64::MAX saturates to i64::MAX: as far off, never wrapped into the past.
        let raw = |exp: &str| {
            let value: Value =
                serde_json::from_str(&format!(r#"{{"iss":"client-a","iat":1000,"exp":{exp}}}"#))
                    .unwrap();
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &value,
                &EncodingKey::from_secret(inst.oauth_secret.as_bytes()),
            )
            .unwrap()
        };
        let verified = verify(&raw(&u64::MAX.to_string()), &inst, 2000).map(|c| c.exp);
        assert_eq!(verified, Ok(i64::MAX));
        // Numbers no integer holds are refused, not panicked on.
        for exp in ["1e300", "-1e300"] {
            assert!(verify(&raw(exp), &inst, 2000).is_err(), "exp {exp}");
        }
    }

    #[test]
    fn a_page_token_ends_with_its_hipchat_session() {
        let inst = installation();
        let mut page = claims(1000, 9000);
        page.aud = Some(Value::String(PAGE_AUDIENCE.into()));
        page.session_exp = Some(3000);
        let token = sign(&page, &inst.oauth_secret).unwrap();
        assert!(verify(&token, &inst, 2999).unwrap().is_page_token());
        assert_eq!(verify(&token, &inst, 3001), Err(AuthError::Expired));
        // A HipChat token's session is its own exp; a stray session claim changes nothing.
        let mut hipchat = claims(1000, 9000);
        hipchat.session_exp = Some(10);
        let token = sign(&hipchat, &inst.oauth_secret).unwrap();
        assert!(!verify(&token, &inst, 5000).unwrap().is_page_token());
    }

    #[test]
    fn header_forms() {
        assert_eq!(token_from(Some("JWT abc"), None).unwrap(), "abc");
        assert_eq!(token_from(Some("JWT token=abc"), None).unwrap(), "abc");
        assert_eq!(token_from(None, Some("abc")).unwrap(), "abc");
        assert_eq!(
            token_from(Some("Bearer abc"), None),
            Err(AuthError::Missing)
        );
        assert_eq!(token_from(Some("JWT "), None), Err(AuthError::Missing));
        let huge = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(token_from(None, Some(&huge)), Err(AuthError::TooLarge));
    }

    #[test]
    fn round_trip_and_time_rules() {
        let inst = installation();
        let t = sign(&claims(1000, 4600), &inst.oauth_secret).unwrap();
        assert_eq!(unverified_issuer(&t).unwrap(), "client-a");
        assert_eq!(verify(&t, &inst, 2000).unwrap().user_id(), Some("42"));
        assert_eq!(
            verify(&t, &inst, 4600 + LEEWAY_SECS + 1),
            Err(AuthError::Expired)
        );
        assert_eq!(
            verify(&t, &inst, 1000 - LEEWAY_SECS - 1),
            Err(AuthError::NotYetValid)
        );
        let mut wrong = inst.clone();
        wrong.oauth_secret = "other".into();
        assert_eq!(verify(&t, &wrong, 2000), Err(AuthError::BadSignature));
    }

    #[test]
    fn string_exp_is_refused() {
        let inst = installation();
        let body = serde_json::json!({"iss": "client-a", "iat": 1000, "exp": "99999999999"});
        let t = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &body,
            &EncodingKey::from_secret(b"s3cret"),
        )
        .unwrap();
        assert!(matches!(
            verify(&t, &inst, 2000),
            Err(AuthError::Malformed(_))
        ));
    }
}
