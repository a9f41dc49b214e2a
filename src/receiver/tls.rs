//! HTTPS (cargo feature `https`): the server configuration. The I/O threads drive each
//! session with rustls's non-blocking API (`read_tls`, `process_new_packets`, `write_tls`).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Error, Result};

/// A TLS server configuration from a PEM certificate chain and a PEM private key.
/// Errors never quote the key.
pub(super) fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid_argument(format!("the certificate PEM is unreadable: {e}")))?;
    if certs.is_empty() {
        return Err(Error::invalid_argument(
            "the certificate PEM holds no CERTIFICATE block",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| {
        Error::invalid_argument(
            "the key PEM holds no readable private key (PKCS#8, PKCS#1 or SEC1 expected)",
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid_argument(format!("TLS setup failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::invalid_argument(format!(
                "the certificate and key do not make a usable pair: {e}"
            ))
        })?;
    Ok(Arc::new(config))
}
