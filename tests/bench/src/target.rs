//! Where the load goes: parsing `ws://` / `http://` URLs, refusing anything
//! but loopback (this tool only ever targets a server on this machine), and
//! percent-encoding values put into a query string.

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;

/// A parsed `ws://host:port/path?query` or `http://…` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    /// `host:port` as written (goes into the Host header).
    pub authority: String,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Self> {
        let (scheme, rest) = url.split_once("://").with_context(|| format!("not a URL: {url}"))?;
        let default_port = match scheme {
            "ws" | "http" => 80,
            "wss" | "https" => bail!("{scheme}:// is not supported (no TLS on loopback): {url}"),
            _ => bail!("unsupported scheme {scheme}: {url}"),
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'?' => (&rest[..i], format!("/{}", &rest[i..])),
            Some(i) => (&rest[..i], rest[i..].to_owned()),
            None => (rest, "/".to_owned()),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').with_context(|| format!("bad IPv6 host: {url}"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().with_context(|| format!("bad port: {url}"))?,
                None => default_port,
            };
            (h.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().with_context(|| format!("bad port: {url}"))?),
                None => (authority.to_owned(), default_port),
            }
        };
        if !is_loopback_host(&host) {
            bail!("refusing non-loopback host {host:?}: this tool only targets servers on this machine");
        }
        Ok(Endpoint { scheme: scheme.to_owned(), authority: authority.to_owned(), host, port, path })
    }

    /// The socket address to connect to. Only loopback names are accepted, so
    /// `localhost` maps to 127.0.0.1 without asking a resolver.
    pub fn socket_addr(&self) -> Result<SocketAddr> {
        let ip = if self.host == "localhost" {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            self.host.parse().with_context(|| format!("bad host {}", self.host))?
        };
        Ok(SocketAddr::new(ip, self.port))
    }
}

/// 127.0.0.0/8, `localhost` and `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    host.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Replaces every `{room}` in a URL template, percent-encoding the room name
/// like the Node tool's `encodeURIComponent`.
pub fn room_url(template: &str, room: &str) -> String {
    template.replace("{room}", &percent_encode(room))
}

/// Percent-encodes everything but `encodeURIComponent`'s unreserved set.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ws_urls() {
        let e = Endpoint::parse("ws://127.0.0.1:24101/bench-0?token=a%2Fb").expect("parses");
        assert_eq!(e.host, "127.0.0.1");
        assert_eq!(e.port, 24101);
        assert_eq!(e.path, "/bench-0?token=a%2Fb");
        assert_eq!(e.authority, "127.0.0.1:24101");
        let e = Endpoint::parse("http://localhost:8080").expect("parses");
        assert_eq!((e.port, e.path.as_str()), (8080, "/"));
        assert_eq!(e.socket_addr().expect("addr").to_string(), "127.0.0.1:8080");
        let e = Endpoint::parse("ws://[::1]:9/x").expect("parses");
        assert_eq!((e.host.as_str(), e.port), ("::1", 9));
        let e = Endpoint::parse("ws://127.0.0.2?x=1").expect("parses");
        assert_eq!((e.port, e.path.as_str()), (80, "/?x=1"));
    }

    #[test]
    fn refuses_other_hosts_and_schemes() {
        assert!(Endpoint::parse("ws://10.0.0.1:80/x").is_err());
        assert!(Endpoint::parse("ws://example.com/x").is_err());
        assert!(Endpoint::parse("wss://127.0.0.1/x").is_err());
        assert!(Endpoint::parse("ftp://127.0.0.1/x").is_err());
        assert!(Endpoint::parse("127.0.0.1:80").is_err());
    }

    #[test]
    fn room_templates() {
        assert_eq!(room_url("ws://h:1/{room}?t=1", "a b/c"), "ws://h:1/a%20b%2Fc?t=1");
        assert_eq!(percent_encode("Ab-_.~9"), "Ab-_.~9");
    }
}
