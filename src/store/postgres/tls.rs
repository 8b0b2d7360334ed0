//! TLS to PostgreSQL, with `sslmode` meaning what it means to libpq (and so to `psql` given the
//! same URL):
//!
//! - `disable`: plain TCP;
//! - `prefer` (the default) and `require`: encrypted if the server offers it (`require`: or not
//!   at all), the certificate not checked, as libpq does not check it in these modes, except
//!   that `require` with an `sslrootcert` file checks it like `verify-ca`, as libpq does;
//! - `verify-ca`: the certificate must chain to a trusted root; `verify-full`: and name the host
//!   connected to.
//!
//! Trusted roots are the PEM file `sslrootcert` names, or the system's (`sslrootcert=system`, or
//! no `sslrootcert`). tokio-postgres knows only the first three modes and no `sslrootcert`, so
//! both are taken out of the URL here before it is parsed.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Not at all (`disable`, `prefer`, `require`): the connection is encrypted, not authenticated.
    None,
    /// Chains to a trusted root (`verify-ca`, or `require` with a root file).
    Chain,
    /// Chains to a trusted root and names the host (`verify-full`).
    Full,
}

/// A database URL without the TLS settings tokio-postgres does not know, and the connector
/// that applies them.
pub(super) struct Split {
    /// The URL tokio-postgres parses.
    pub url: String,
    /// Makes every connection's TLS session.
    pub tls: MakeRustlsConnect,
}

/// Takes `sslmode=verify-ca|verify-full` and `sslrootcert` out of `url` and builds the
/// connector they ask for. A connection string that is not a URL is left to tokio-postgres.
pub(super) fn split(url: &str) -> Result<Split, String> {
    let (url, check, root_file) = match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "postgres" | "postgresql") => take_settings(parsed),
        _ => (url.to_owned(), Check::None, None),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = match check {
        Check::None => None,
        Check::Chain | Check::Full => {
            let roots = match &root_file {
                Some(file) => roots_from(file)?,
                None => system_roots()?,
            };
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| format!("cannot check certificates: {e}"))?;
            Some(webpki)
        }
    };
    let verifier = Arc::new(Verifier {
        chain,
        name: check == Check::Full,
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Split {
        url,
        tls: MakeRustlsConnect::new(config),
    })
}

/// `url` without `sslrootcert` and with `sslmode` as tokio-postgres knows it, the check the
/// settings ask for, and the root file they name.
fn take_settings(mut url: url::Url) -> (String, Check, Option<String>) {
    let mut mode = None;
    let mut root_file = None;
    let mut kept = Vec::new();
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            // The last one counts, as in libpq.
            ("sslmode", value) => mode = Some(value.to_owned()),
            ("sslrootcert", "system") => root_file = None,
            ("sslrootcert", file) => root_file = Some(file.to_owned()),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    let check = match (mode.as_deref(), &root_file) {
        (Some("verify-ca"), _) | (Some("require"), Some(_)) => Check::Chain,
        (Some("verify-full"), _) => Check::Full,
        _ => Check::None,
    };
    // tokio-postgres is told only whether TLS is required; the checks are ours.
    let told = match mode.as_deref() {
        Some("verify-ca" | "verify-full") => Some("require".to_owned()),
        _ => mode,
    };
    kept.extend(told.map(|mode| ("sslmode".to_owned(), mode)));
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    (url.to_string(), check, root_file)
}

/// The certificates of the PEM file `file` (`sslrootcert`).
fn roots_from(file: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let certs =
        CertificateDer::pem_file_iter(file).map_err(|e| format!("sslrootcert {file}: {e}"))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("sslrootcert {file}: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("sslrootcert {file}: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("sslrootcert {file}: no certificate in it"));
    }
    Ok(roots)
}

/// The system's trusted roots.
fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err("no system root certificates found; name a PEM file with sslrootcert".into());
    }
    Ok(roots)
}

/// The server certificate check of every mode: none (`prefer`, `require`: any certificate is
/// taken, as libpq takes it, the session still encrypted and its handshake signatures checked),
/// the chain only (`verify-ca`), or the chain and the host name (`verify-full`).
#[derive(Debug)]
struct Verifier {
    /// The chain's check against the trusted roots, when there is one.
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// Whether the certificate must name the host.
    name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // The name is checked after the chain: failing on it means the chain held.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.name => Ok(ServerCertVerified::assertion()),
            checked => checked,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
