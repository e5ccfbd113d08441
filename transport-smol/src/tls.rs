//! The rustls config used for `wss://` when the caller gave none: ring, verification on,
//! roots from the `native-roots` or `webpki-roots` feature.

use std::sync::{Arc, OnceLock};

/// Built once per process.
pub(crate) fn default_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots()?)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}

#[cfg(feature = "native-roots")]
fn roots() -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found.errors.first().map(|e| e.to_string()).unwrap_or_else(|| "none found".into());
        return Err(format!("no usable root certificates in the system store: {why}"));
    }
    Ok(store)
}

#[cfg(all(feature = "webpki-roots", not(feature = "native-roots")))]
fn roots() -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Ok(store)
}

#[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
fn roots() -> Result<rustls::RootCertStore, String> {
    Err("no root certificates: enable the `webpki-roots` or `native-roots` feature, or set CustomerOptions::tls / AgentOptions::tls"
        .into())
}

#[cfg(all(test, feature = "webpki-roots", not(feature = "native-roots")))]
mod tests {
    #[test]
    fn the_default_config_has_a_provider_and_roots() {
        let config = super::default_config().expect("rustls config");
        assert!(
            config.crypto_provider().cipher_suites.iter().any(|s| s.version() == &rustls::version::TLS13)
        );
    }
}
