//! Source rules: allowlisted networks, and the client address behind trusted proxies.

use std::net::IpAddr;

use ipnet::IpNet;

/// A network of an allowlist, as masks ready to compare with an address.
#[derive(Clone, Copy)]
pub(super) struct Net {
    pub(super) v6: bool,
    pub(super) network: u128,
    pub(super) mask: u128,
}

impl Net {
    pub(super) fn of(net: &IpNet) -> Net {
        match net {
            IpNet::V4(n) => Net {
                v6: false,
                network: u128::from(u32::from(n.network())),
                mask: u128::from(u32::from(n.netmask())),
            },
            IpNet::V6(n) => Net {
                v6: true,
                network: u128::from(n.network()),
                mask: u128::from(n.netmask()),
            },
        }
    }

    /// `ip` must be canonical (an IPv4-mapped IPv6 address given as IPv4).
    pub(super) fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => !self.v6 && u128::from(u32::from(a)) & self.mask == self.network,
            IpAddr::V6(a) => self.v6 && u128::from(a) & self.mask == self.network,
        }
    }
}

/// A plain dotted-quad IPv4 address, read faster than the general parser (which handles
/// everything else). Same rules as std: four decimal parts up to 255, no leading zeros.
pub(super) fn dotted_quad(s: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut part = 0;
    let mut value: u16 = 0;
    let mut digits = 0;
    for &b in s {
        match b {
            b'0'..=b'9' => {
                if digits == 1 && value == 0 {
                    return None; // leading zero
                }
                value = value * 10 + u16::from(b - b'0');
                digits += 1;
                if digits > 3 || value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && part < 3 => {
                octets[part] = value as u8;
                part += 1;
                value = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    octets[3] = value as u8;
    Some(std::net::Ipv4Addr::from(octets))
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:80`,
/// `[2001:db8::1]:80`).
pub(super) fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    if let Some(v4) = dotted_quad(entry.as_bytes()) {
        return Some(IpAddr::V4(v4));
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = entry.parse::<std::net::SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    let bracketed = entry.strip_prefix('[')?.strip_suffix(']')?;
    bracketed.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_quads_follow_the_std_parser() {
        for s in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.4 ",
            "a.b.c.d",
            "1000.1.1.1",
            "10.0.0.010",
            "",
            "203.0.113.5",
        ] {
            assert_eq!(
                dotted_quad(s.as_bytes()),
                s.parse::<std::net::Ipv4Addr>().ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn forwarded_entries_with_ports_and_brackets() {
        assert_eq!(forwarded_ip("1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(forwarded_ip("1.2.3.4:80"), "1.2.3.4".parse().ok());
        assert_eq!(forwarded_ip("[2001:db8::1]:80"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("[2001:db8::1]"), "2001:db8::1".parse().ok());
        assert_eq!(forwarded_ip("::ffff:1.2.3.4"), "1.2.3.4".parse().ok());
        assert_eq!(forwarded_ip("unknown"), None);
    }
}
