//! Which addresses the add-on may call (DESIGN.md "Outbound addresses").
//!
//! Add-on URLs come from strangers (a capabilitiesUrl in an install payload, a dynaBOARD URL typed
//! on a configuration page), so without a policy the add-on is a proxy into its own network. It
//! never calls a loopback, private, link-local or multicast address unless the operator named that
//! origin. Names are judged after resolution, every address of the name, and again by the HTTP
//! clients' resolver at connection time, so a name cannot resolve to a public address for the
//! check and to a private one for the call.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Origin, Url};

/// Why a URL may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not http(s), or no host.
    #[error("{0} is not an http(s) URL with a host")]
    NotHttp(String),
    /// The host is, or resolves to, an address only the operator may allow.
    #[error(
        "{origin} is on a {kind} address; the add-on calls such addresses only for origins the operator names (HIPBOARD_TRUSTED_ORIGINS)"
    )]
    Internal {
        /// The origin asked for.
        origin: String,
        /// loopback, private, link-local, multicast, …
        kind: &'static str,
    },
    /// The name does not resolve.
    #[error("{0} does not resolve")]
    Unresolved(String),
}

/// The operator's trusted origins; everything else must be a public address.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    trusted: Arc<[Origin]>,
}

impl OutboundPolicy {
    /// A policy trusting `origins` (`DYNABOARD_URL`, `HIPBOARD_HIPCHAT_ORIGINS`,
    /// `HIPBOARD_TRUSTED_ORIGINS`) on any address.
    pub fn new(origins: Vec<Origin>) -> OutboundPolicy {
        OutboundPolicy {
            trusted: origins.into(),
        }
    }

    /// Whether the operator named this URL's origin.
    pub fn is_trusted(&self, url: &Url) -> bool {
        let origin = url.origin();
        self.trusted.contains(&origin)
    }

    /// Checks a URL before calling it: a trusted origin, or a host whose every address is public.
    pub async fn check(&self, url: &Url) -> Result<(), Refused> {
        let origin = url.origin().ascii_serialization();
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Refused::NotHttp(origin));
        }
        if self.is_trusted(url) {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let addresses: Vec<IpAddr> = match url.host() {
            Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| Refused::Unresolved(origin.clone()))?
                .map(|a| a.ip())
                .collect(),
            None => return Err(Refused::NotHttp(origin)),
        };
        if addresses.is_empty() {
            return Err(Refused::Unresolved(origin));
        }
        match addresses.iter().find_map(|ip| internal_kind(*ip)) {
            Some(kind) => Err(Refused::Internal { origin, kind }),
            None => Ok(()),
        }
    }

    /// The resolver the add-on's HTTP clients use: names of trusted origins resolve as usual,
    /// every other name only to its public addresses.
    pub fn resolver(&self) -> Arc<PolicyResolver> {
        let hosts = self
            .trusted
            .iter()
            .filter_map(|o| match o {
                Origin::Tuple(_, host, _) => Some(host.to_string()),
                Origin::Opaque(_) => None,
            })
            .collect();
        Arc::new(PolicyResolver {
            trusted_hosts: Arc::new(hosts),
        })
    }
}

/// DNS resolution with the policy applied at connection time (see the module comment). Trust is
/// by host name here, because a resolver is not told the port.
#[derive(Debug)]
pub struct PolicyResolver {
    trusted_hosts: Arc<Vec<String>>,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let trusted = self.trusted_hosts.iter().any(|h| h == name.as_str());
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .into_iter()
                .filter(|a| trusted || internal_kind(a.ip()).is_none())
                .collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{name} resolves to no public address").into();
                return Err(refused);
            }
            let addresses: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

/// The kind of non-public address a URL's host is when written as an IP literal (a literal never
/// reaches a resolver); `None` for names and public literals.
pub fn literal_internal(url: &Url) -> Option<&'static str> {
    match url.host()? {
        Host::Ipv4(ip) => internal_kind(IpAddr::V4(ip)),
        Host::Ipv6(ip) => internal_kind(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn internal_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_kind(v4),
            None => v6_kind(v6),
        },
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        // 100.64.0.0/10 is carrier-grade NAT space: private in practice.
        "private"
    } else if ip.is_link_local() {
        "link-local"
    } else if ip.is_multicast() || ip.is_broadcast() {
        "multicast"
    } else if ip.is_unspecified() || a == 0 {
        "unspecified"
    } else {
        return None;
    })
}

fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_multicast() {
        "multicast"
    } else if first & 0xfe00 == 0xfc00 {
        "private"
    } else if first & 0xffc0 == 0xfe80 {
        "link-local"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[tokio::test]
    async fn internal_addresses_in_every_spelling_are_refused() {
        let policy = OutboundPolicy::default();
        for text in [
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.5.5/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://224.0.0.1/",
            "http://0.0.0.0/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://localhost:9/",
        ] {
            let refused = policy.check(&url(text)).await;
            assert!(
                matches!(refused, Err(Refused::Internal { .. })),
                "{text}: {refused:?}"
            );
        }
        assert!(matches!(
            policy.check(&url("file:///etc/passwd")).await,
            Err(Refused::NotHttp(_))
        ));
    }

    #[tokio::test]
    async fn named_origins_and_public_addresses_pass() {
        let policy = OutboundPolicy::new(vec![url("http://127.0.0.1:8080").origin()]);
        assert_eq!(policy.check(&url("http://127.0.0.1:8080/x")).await, Ok(()));
        // Only that origin: another port on the same address is still refused.
        assert!(policy.check(&url("http://127.0.0.1:8081/x")).await.is_err());
        assert_eq!(policy.check(&url("https://93.184.216.34/")).await, Ok(()));
        assert_eq!(policy.check(&url("http://[2606:4700::1]/")).await, Ok(()));
    }
}
