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
    /// Chains to a trusted root (`verify-ca`).
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
    let mut check = Check::None;
    let mut root_file = None;
    let url = match url::Url::parse(url) {
        Ok(mut parsed) if matches!(parsed.scheme(), "postgres" | "postgresql") => {
            let mut mode = None;
            let mut kept = Vec::new();
            for (key, value) in parsed.query_pairs() {
                match (key.as_ref(), value.as_ref()) {
                    // The last one counts, as in libpq.
                    ("sslmode", value) => mode = Some(value.to_owned()),
                    ("sslrootcert", "system") => root_file = None,
                    ("sslrootcert", file) => root_file = Some(file.to_owned()),
                    _ => kept.push((key.into_owned(), value.into_owned())),
                }
            }
            check = match (mode.as_deref(), &root_file) {
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
            parsed.set_query(None);
            if !kept.is_empty() {
                parsed.query_pairs_mut().extend_pairs(kept);
            }
            parsed.to_string()
        }
        _ => url.to_owned(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match check {
        Check::None => Arc::new(EncryptOnly(provider.clone())),
        Check::Chain | Check::Full => {
            let roots = match &root_file {
                Some(file) => roots_from(file)?,
                None => system_roots()?,
            };
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| format!("cannot check certificates: {e}"))?;
            match check {
                Check::Full => webpki,
                _ => Arc::new(AnyName(webpki)),
            }
        }
    };
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

/// `prefer` and `require`: any certificate is taken (the session is still encrypted, and its
/// handshake signatures checked), as libpq takes it in these modes.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The name is checked after the chain: failing on it means the chain held.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
