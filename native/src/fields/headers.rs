//! Where a frame's checksums are and what they cover: Ethernet, up to two
//! VLAN tags, IPv4 or IPv6 (no extension headers), then TCP, UDP, ICMP
//! (IPv4) or ICMPv6 (IPv6). Only a frame whose IP lengths agree with its
//! own length has checksums the core fixes; anything else is sent as given.

use std::ops::Range;

use super::checksum;

const ETHERTYPE_OFFSET: usize = 12;
const VLAN_TAG_LEN: usize = 4;
const MAX_VLAN_TAGS: usize = 2;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const IPV4_MIN_HEADER_LEN: usize = 20;
const IPV6_HEADER_LEN: usize = 40;
/// IPv4 flags and fragment offset, less the DF bit: a fragment's L4
/// checksum covers the reassembled datagram, which one frame does not hold.
const IPV4_FRAGMENT_MASK: u16 = 0x3fff;

/// A transport protocol whose checksum the core fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4Protocol {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
}

impl L4Protocol {
    fn from_ipv4(protocol: u8) -> Option<L4Protocol> {
        match protocol {
            6 => Some(L4Protocol::Tcp),
            17 => Some(L4Protocol::Udp),
            1 => Some(L4Protocol::Icmp),
            _ => None,
        }
    }

    fn from_ipv6(next_header: u8) -> Option<L4Protocol> {
        match next_header {
            6 => Some(L4Protocol::Tcp),
            17 => Some(L4Protocol::Udp),
            58 => Some(L4Protocol::Icmpv6),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            L4Protocol::Tcp => "TCP",
            L4Protocol::Udp => "UDP",
            L4Protocol::Icmp => "ICMP",
            L4Protocol::Icmpv6 => "ICMPv6",
        }
    }

    fn number(self) -> u8 {
        match self {
            L4Protocol::Tcp => 6,
            L4Protocol::Udp => 17,
            L4Protocol::Icmp => 1,
            L4Protocol::Icmpv6 => 58,
        }
    }

    /// Offset of the checksum in the header, and the header's least length.
    pub fn checksum_and_header_len(self) -> (usize, usize) {
        match self {
            L4Protocol::Tcp => (16, 20),
            L4Protocol::Udp => (6, 8),
            L4Protocol::Icmp | L4Protocol::Icmpv6 => (2, 4),
        }
    }
}

/// The IPv4 header checksum: at `at`, over `header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4HeaderChecksum {
    pub at: usize,
    pub header: Range<usize>,
}

/// A transport checksum: at `at`, over the pseudo header (its addresses
/// are the frame's bytes `addresses`; ICMP has none) and `segment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L4Checksum {
    pub protocol: L4Protocol,
    pub at: usize,
    pub segment: Range<usize>,
    pub addresses: Option<Range<usize>>,
}

impl L4Checksum {
    /// The frame bytes the checksum covers, in frame order.
    pub fn coverage(&self) -> Vec<Range<usize>> {
        let mut ranges = Vec::with_capacity(2);
        match &self.addresses {
            Some(addresses) if addresses.end == self.segment.start => {
                ranges.push(addresses.start..self.segment.end);
            }
            Some(addresses) => {
                ranges.push(addresses.clone());
                ranges.push(self.segment.clone());
            }
            None => ranges.push(self.segment.clone()),
        }
        ranges
    }

    /// The pseudo header's sum: addresses, protocol and segment length.
    fn pseudo_header_sum(&self, frame: &[u8]) -> u64 {
        let Some(addresses) = &self.addresses else {
            return 0;
        };
        let length = self.segment.len() as u64;
        checksum::add_bytes(0, &frame[addresses.clone()], addresses.start)
            + u64::from(self.protocol.number())
            + (length >> 16)
            + (length & 0xffff)
    }
}

/// A frame's transport segment: its protocol and where it is, whether or
/// not its checksum is one the core fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    pub protocol: L4Protocol,
    pub segment: Range<usize>,
}

/// The checksums the core fixes in a frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameChecksums {
    pub ipv4_header: Option<Ipv4HeaderChecksum>,
    pub l4: Option<L4Checksum>,
    pub transport: Option<Transport>,
}

impl FrameChecksums {
    /// Finds the checksums in `frame`. An IPv4 UDP checksum of 0 means the
    /// datagram has none, so it is not one the core fixes.
    pub fn find(frame: &[u8]) -> FrameChecksums {
        let mut ethertype_at = ETHERTYPE_OFFSET;
        let mut ethertype = read_u16(frame, ethertype_at);
        for _ in 0..MAX_VLAN_TAGS {
            if !matches!(ethertype, Some(ETHERTYPE_VLAN | ETHERTYPE_QINQ)) {
                break;
            }
            ethertype_at += VLAN_TAG_LEN;
            ethertype = read_u16(frame, ethertype_at);
        }
        let l3 = ethertype_at + 2;
        match ethertype {
            Some(ETHERTYPE_IPV4) => ipv4(frame, l3),
            Some(ETHERTYPE_IPV6) => ipv6(frame, l3),
            _ => FrameChecksums::default(),
        }
    }

    /// Writes every checksum in full, as computed from the frame's bytes.
    pub fn recompute(&self, frame: &mut [u8]) {
        if let Some(ip) = &self.ipv4_header {
            frame[ip.at..ip.at + 2].fill(0);
            let sum = checksum::add_bytes(0, &frame[ip.header.clone()], ip.header.start);
            frame[ip.at..ip.at + 2].copy_from_slice(&checksum::finish(sum).to_be_bytes());
        }
        if let Some(l4) = &self.l4 {
            frame[l4.at..l4.at + 2].fill(0);
            let sum = l4.pseudo_header_sum(frame)
                + checksum::add_bytes(0, &frame[l4.segment.clone()], l4.segment.start);
            let mut value = checksum::finish(sum);
            if value == 0 && l4.protocol == L4Protocol::Udp {
                // 0 would mean "no checksum" (RFC 768).
                value = 0xffff;
            }
            frame[l4.at..l4.at + 2].copy_from_slice(&value.to_be_bytes());
        }
    }
}

fn ipv4(frame: &[u8], l3: usize) -> FrameChecksums {
    let none = FrameChecksums::default();
    let Some(header) = frame.get(l3..l3 + IPV4_MIN_HEADER_LEN) else {
        return none;
    };
    let version = header[0] >> 4;
    let header_len = usize::from(header[0] & 0x0f) * 4;
    let total_len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let fragment = u16::from_be_bytes([header[6], header[7]]) & IPV4_FRAGMENT_MASK;
    let protocol = header[9];
    if version != 4
        || header_len < IPV4_MIN_HEADER_LEN
        || total_len < header_len
        || total_len > frame.len() - l3
    {
        return none;
    }
    let segment = l3 + header_len..l3 + total_len;
    let transport = L4Protocol::from_ipv4(protocol)
        .filter(|_| fragment == 0)
        .map(|protocol| Transport {
            protocol,
            segment: segment.clone(),
        });
    let l4 = transport
        .as_ref()
        .and_then(|transport| {
            let addresses = (transport.protocol != L4Protocol::Icmp).then_some(l3 + 12..l3 + 20);
            l4_checksum(transport.protocol, segment, addresses)
        })
        .filter(|l4| l4.protocol != L4Protocol::Udp || read_u16(frame, l4.at) != Some(0));
    FrameChecksums {
        transport,
        ipv4_header: Some(Ipv4HeaderChecksum {
            at: l3 + 10,
            header: l3..l3 + header_len,
        }),
        l4,
    }
}

fn ipv6(frame: &[u8], l3: usize) -> FrameChecksums {
    let none = FrameChecksums::default();
    let Some(header) = frame.get(l3..l3 + IPV6_HEADER_LEN) else {
        return none;
    };
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    if header[0] >> 4 != 6 || IPV6_HEADER_LEN + payload_len > frame.len() - l3 {
        return none;
    }
    let segment = l3 + IPV6_HEADER_LEN..l3 + IPV6_HEADER_LEN + payload_len;
    let transport = L4Protocol::from_ipv6(header[6]).map(|protocol| Transport {
        protocol,
        segment: segment.clone(),
    });
    FrameChecksums {
        ipv4_header: None,
        l4: transport
            .as_ref()
            .and_then(|transport| l4_checksum(transport.protocol, segment, Some(l3 + 8..l3 + 40))),
        transport,
    }
}

/// The transport checksum, if the segment holds the header that has it.
fn l4_checksum(
    protocol: L4Protocol,
    segment: Range<usize>,
    addresses: Option<Range<usize>>,
) -> Option<L4Checksum> {
    let (checksum_offset, header_len) = protocol.checksum_and_header_len();
    (segment.len() >= header_len).then(|| L4Checksum {
        protocol,
        at: segment.start + checksum_offset,
        segment,
        addresses,
    })
}

fn read_u16(frame: &[u8], at: usize) -> Option<u16> {
    frame
        .get(at..at + 2)
        .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 (IHL 5) + UDP with 4 payload bytes.
    fn ipv4_udp(udp_checksum: u16) -> Vec<u8> {
        let mut frame = vec![0u8; 14 + 20 + 8 + 4];
        frame[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        frame[14] = 0x45;
        frame[16..18].copy_from_slice(&32u16.to_be_bytes());
        frame[23] = 17;
        frame[40..42].copy_from_slice(&udp_checksum.to_be_bytes());
        frame
    }

    #[test]
    fn finds_ipv4_udp_behind_two_tags() {
        let plain = ipv4_udp(1);
        let mut frame = plain[..12].to_vec();
        frame.extend_from_slice(&[0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2]);
        frame.extend_from_slice(&plain[12..]);
        let found = FrameChecksums::find(&frame);
        assert_eq!(
            found.ipv4_header,
            Some(Ipv4HeaderChecksum {
                at: 32,
                header: 22..42
            })
        );
        let l4 = found.l4.unwrap();
        assert_eq!(
            (l4.protocol, l4.at, l4.segment),
            (L4Protocol::Udp, 48, 42..54)
        );
        assert_eq!(l4.addresses, Some(34..42));
    }

    #[test]
    fn an_ipv4_udp_checksum_of_zero_is_not_fixed() {
        let found = FrameChecksums::find(&ipv4_udp(0));
        assert!(found.ipv4_header.is_some());
        assert_eq!(found.l4, None);
    }

    #[test]
    fn inconsistent_lengths_fix_nothing() {
        let mut frame = ipv4_udp(1);
        frame[16..18].copy_from_slice(&33u16.to_be_bytes());
        assert_eq!(FrameChecksums::find(&frame), FrameChecksums::default());
        frame[16..18].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(FrameChecksums::find(&frame), FrameChecksums::default());
    }

    #[test]
    fn a_fragment_has_only_its_header_checksum() {
        let mut frame = ipv4_udp(1);
        frame[20] = 0x20; // more fragments
        let found = FrameChecksums::find(&frame);
        assert!(found.ipv4_header.is_some());
        assert_eq!(found.l4, None);
    }

    #[test]
    fn a_third_tag_or_an_extension_header_is_not_parsed() {
        let mut frame = vec![0u8; 100];
        for at in [12, 16, 20] {
            frame[at..at + 2].copy_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
        }
        frame[24..26].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        assert_eq!(FrameChecksums::find(&frame), FrameChecksums::default());
        let mut frame = vec![0u8; 14 + 40 + 8];
        frame[12..14].copy_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
        frame[14] = 0x60;
        frame[19] = 8;
        frame[20] = 0; // hop-by-hop options
        assert_eq!(FrameChecksums::find(&frame), FrameChecksums::default());
        frame[20] = 17;
        assert_eq!(FrameChecksums::find(&frame).l4.unwrap().at, 60);
    }

    #[test]
    fn recompute_writes_checksums_that_verify() {
        let mut frame = ipv4_udp(1);
        frame[26..34].copy_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        frame[34..42].copy_from_slice(&[0x4e, 0x20, 0x4e, 0x21, 0, 12, 0, 1]);
        let found = FrameChecksums::find(&frame);
        found.recompute(&mut frame);
        // Summed with its checksum, covered data folds to 0xffff.
        assert_eq!(
            checksum::fold(checksum::add_bytes(0, &frame[14..34], 14)),
            0xffff
        );
        let l4 = found.l4.unwrap();
        let sum = l4.pseudo_header_sum(&frame) + checksum::add_bytes(0, &frame[34..46], 34);
        assert_eq!(checksum::fold(sum), 0xffff);
    }
}
