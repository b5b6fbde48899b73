//! Which network addresses bantin may connect to.
//!
//! Feed URLs come from admins, but redirects and DNS answers come from the internet: without
//! this policy a feed could make bantin fetch `http://169.254.169.254/` or an admin panel on
//! the LAN and republish it. Private, loopback, link-local, CGNAT, multicast and metadata
//! addresses (also as IPv4-mapped IPv6) are refused unless `[poll] allow_private` lists them.
//! The check runs on the resolved address of every hop, and again inside the DNS resolver so
//! that a name cannot re-resolve to a refused address between the check and the connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use crate::config::AllowRule;

#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow: Vec<AllowRule>,
}

impl AddressPolicy {
    pub fn new(allow: Vec<AllowRule>) -> Self {
        AddressPolicy { allow }
    }

    /// Whether bantin may connect to `ip` (on `port`, when known).
    pub fn permits(&self, ip: IpAddr, port: Option<u16>) -> bool {
        is_public(ip) || self.allow.iter().any(|r| r.admits(canonical(ip), port))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// True for globally routable unicast addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata included
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking 198.18/15
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
        return false;
    }
    if (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfe80 || (seg[0] & 0xffc0) == 0xfec0 {
        return false; // unique-local, link-local, site-local
    }
    if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        return false; // documentation
    }
    // Addresses that embed an IPv4 address: judge the embedded one.
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if seg[0] == 0x0064 && seg[1] == 0xff9b {
        return is_public_v4(embedded(seg[6], seg[7])); // NAT64
    }
    if seg[0] == 0x2002 {
        return is_public_v4(embedded(seg[1], seg[2])); // 6to4
    }
    if seg[..6] == [0, 0, 0, 0, 0, 0] {
        return false; // IPv4-compatible (deprecated) and other ::/96 oddities
    }
    true
}

/// A DNS resolver that drops refused addresses from every answer.
pub struct FilteringResolver {
    pub policy: Arc<AddressPolicy>,
}

impl reqwest::dns::Resolve for FilteringResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.permits(a.ip(), None))
                .collect();
            if addrs.is_empty() {
                return Err(
                    format!("{host}: every address is refused by the address policy").into(),
                );
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn refuses_internal_addresses() {
        let p = AddressPolicy::default();
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "fe80::1",
            "fd00::1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(!p.permits(ip(a), Some(80)), "{a} should be refused");
        }
        for a in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(p.permits(ip(a), Some(443)), "{a} should be allowed");
        }
    }

    #[test]
    fn allow_list_admits_exact_entries() {
        let p = AddressPolicy::new(vec![
            "127.0.0.1:9000".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]);
        assert!(p.permits(ip("127.0.0.1"), Some(9000)));
        assert!(!p.permits(ip("127.0.0.1"), Some(9001)));
        assert!(p.permits(ip("::ffff:127.0.0.1"), Some(9000)));
        assert!(p.permits(ip("10.9.9.9"), Some(1)));
        assert!(!p.permits(ip("192.168.0.1"), Some(1)));
    }
}
