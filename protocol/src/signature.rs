//! dynaBOARD event signatures: `X-Dynaboard-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// Why a dynaBOARD signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Dynaboard-Signature` header.
    #[error("missing X-Dynaboard-Signature header")]
    Missing,
    /// Not `sha256=` followed by 64 hex digits.
    #[error("X-Dynaboard-Signature must be sha256=<64 hex digits>")]
    Malformed,
    /// HMAC differs.
    #[error("X-Dynaboard-Signature does not match the body")]
    Mismatch,
}

/// Checks `header` against the HMAC-SHA256 of `body` under `secret`, in constant time.
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex(hex).ok_or(SignatureError::Malformed)?;
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value for `body`: what dynaBOARD (and our demo dynaBOARD) sends.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let sig = sign(b"k", b"{\"a\":1}");
        assert_eq!(verify(b"k", b"{\"a\":1}", Some(&sig)), Ok(()));
        assert_eq!(
            verify(b"k", b"{\"a\":2}", Some(&sig)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"x", b"{\"a\":1}", Some(&sig)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(b"k", b"", None), Err(SignatureError::Missing));
        assert_eq!(
            verify(b"k", b"", Some("sha1=00")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(b"k", b"", Some("sha256=zz")),
            Err(SignatureError::Malformed)
        );
    }
}
