//! A connection to a configuration's LDAP server (ldap3 over rustls): the URL from host and
//! port as ownCloud forms it, StartTLS (`ldapTLS`) or ldaps, the CA certificates of the system
//! plus the file named by `LDAPTLS_CACERT` (OpenLDAP's variable, which ownCloud's libldap
//! honours too), the network timeout, and a simple bind as the agent. Failures are told apart:
//! unreachable, TLS, refused credentials.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, LdapError};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::config::Config;

/// Why a connection failed, each with its own exit code.
#[derive(Debug)]
pub enum Failure {
    /// The configuration lacks what a connection needs.
    Invalid(String),
    /// The server cannot be reached.
    Unreachable(String),
    /// TLS failed (the certificate, mostly).
    Tls(String),
    /// The server refused the agent's credentials.
    Credentials(String),
    /// Anything else the server said.
    Other(String),
}

impl Failure {
    /// The line that tells it.
    pub fn message(&self) -> &str {
        match self {
            Failure::Invalid(m)
            | Failure::Unreachable(m)
            | Failure::Tls(m)
            | Failure::Credentials(m)
            | Failure::Other(m) => m,
        }
    }

    /// Its exit code.
    pub fn code(&self) -> i32 {
        match self {
            Failure::Invalid(_) => 1,
            Failure::Unreachable(_) => 2,
            Failure::Credentials(_) => 3,
            Failure::Tls(_) => 4,
            Failure::Other(_) => 6,
        }
    }
}

/// The server's URL as ownCloud forms it: the host as given when it has a scheme, else
/// `ldap://host`; `:port` added unless the host names one.
pub fn url(host: &str, port: &str) -> String {
    let host = host.trim();
    let with_scheme = if host.contains("://") {
        host.to_string()
    } else {
        format!("ldap://{host}")
    };
    let after = with_scheme.split_once("://").map_or("", |(_, h)| h);
    let has_port = after
        .trim_end_matches('/')
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if has_port || port.trim().is_empty() {
        with_scheme
    } else {
        format!("{}:{}", with_scheme.trim_end_matches('/'), port.trim())
    }
}

/// What a connection needs that the configuration lacks, as ownCloud checks it.
pub fn check(c: &Config) -> Result<(), Failure> {
    let missing = [
        ("ldapHost", "No LDAP host given"),
        ("ldapPort", "No LDAP port given"),
    ];
    for (key, what) in missing {
        if c.get(key).trim().is_empty() && !(key == "ldapPort" && c.get("ldapHost").contains("://"))
        {
            return Err(Failure::Invalid(format!(
                "The configuration {} is invalid: {what} ({key}).",
                c.id
            )));
        }
    }
    if c.get("ldapAgentName").is_empty() != c.get("ldapAgentPassword").is_empty() {
        return Err(Failure::Invalid(format!(
            "The configuration {} is invalid: an agent needs both a name (ldapAgentName) and a password (ldapAgentPassword), or neither for an anonymous bind.",
            c.id
        )));
    }
    if c.list("ldapBase").is_empty()
        && c.list("ldapBaseUsers").is_empty()
        && c.list("ldapBaseGroups").is_empty()
    {
        return Err(Failure::Invalid(format!(
            "The configuration {} is invalid: no base DN given (ldapBase).",
            c.id
        )));
    }
    Ok(())
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, Failure> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(file) = std::env::var_os("LDAPTLS_CACERT") {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&file)
            .and_then(|i| i.collect())
            .map_err(|e| {
                Failure::Tls(format!(
                    "Cannot read the CA certificates in {} (LDAPTLS_CACERT): {e}",
                    std::path::Path::new(&file).display()
                ))
            })?;
        for cert in certs {
            roots.add(cert).map_err(|e| {
                Failure::Tls(format!(
                    "A CA certificate in {} (LDAPTLS_CACERT) is not usable: {e}",
                    std::path::Path::new(&file).display()
                ))
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Connects to the configuration's server and binds as its agent (anonymously without one).
pub fn connect(c: &Config) -> Result<LdapConn, Failure> {
    check(c)?;
    let url = url(&c.get("ldapHost"), &c.get("ldapPort"));
    let at = url
        .split_once("://")
        .map_or(url.as_str(), |(_, h)| h)
        .trim_end_matches('/')
        .to_string();
    let timeout = Duration::from_secs(
        c.get("ldapNetworkTimeout")
            .trim()
            .parse::<u64>()
            .unwrap_or(15)
            .max(1),
    );
    let starttls = c.get("ldapTLS") == "1" && !url.to_ascii_lowercase().starts_with("ldaps://");
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(timeout)
        .set_starttls(starttls);
    if c.get("turnOffCertCheck") == "1" {
        settings = settings.set_no_tls_verify(true);
    } else if starttls || url.to_ascii_lowercase().starts_with("ldaps://") {
        settings = settings.set_config(tls_config()?);
    }
    let mut ldap = LdapConn::with_settings(settings, &url).map_err(|e| classify(&e, &at))?;
    ldap.with_timeout(timeout);
    let agent = c.get("ldapAgentName");
    let result = ldap
        .simple_bind(&agent, &c.get("ldapAgentPassword"))
        .map_err(|e| classify(&e, &at))?;
    match result.rc {
        0 => Ok(ldap),
        49 => Err(Failure::Credentials(format!(
            "The LDAP server at {at} refused the credentials of {} (invalid credentials).",
            if agent.is_empty() {
                "the anonymous bind"
            } else {
                &agent
            }
        ))),
        rc => Err(Failure::Other(format!(
            "The LDAP server at {at} refused the bind: {} ({rc}).",
            if result.text.is_empty() {
                "no reason given"
            } else {
                &result.text
            }
        ))),
    }
}

/// An ldap3 error as what went wrong, naming the server.
fn classify(e: &LdapError, at: &str) -> Failure {
    let text = e.to_string();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return Failure::Tls(format!("TLS with the LDAP server at {at} failed: {tls}."));
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Failure::Tls(format!("TLS with the LDAP server at {at} failed: {tls}."));
            }
            return Failure::Unreachable(format!("Cannot reach the LDAP server at {at}: {io}."));
        }
        source = s.source();
    }
    match e {
        LdapError::Timeout { .. } => {
            Failure::Unreachable(format!("Cannot reach the LDAP server at {at}: timed out."))
        }
        _ => Failure::Other(format!("The LDAP server at {at}: {text}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_formed_as_owncloud_forms_them() {
        assert_eq!(url("127.0.0.1", "13389"), "ldap://127.0.0.1:13389");
        assert_eq!(url("ldaps://h", "636"), "ldaps://h:636");
        assert_eq!(url("ldap://h:389", "13389"), "ldap://h:389");
        assert_eq!(url("h", ""), "ldap://h");
    }
}
