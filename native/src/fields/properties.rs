//! Property tests: over random frames (IPv4 and IPv6; UDP, TCP, ICMP and
//! ICMPv6; behind 0, 1 or 2 VLAN tags; random options, payloads and
//! trailing bytes) and random fields at random offsets, every checksum a
//! program leaves equals one computed from scratch, here, from where the
//! generator put the headers, independently of headers.rs and checksum.rs.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::{FieldOp, FieldProgram, FieldSpec};

const PROTOCOL_TCP: u8 = 6;
const PROTOCOL_UDP: u8 = 17;
const PROTOCOL_ICMP: u8 = 1;
const PROTOCOL_ICMPV6: u8 = 58;

/// A generated frame and where its generator put the headers.
#[derive(Debug, Clone)]
pub(super) struct Packet {
    pub frame: Vec<u8>,
    l3: usize,
    /// IPv4 header length; None for IPv6.
    ipv4_header_len: Option<usize>,
    protocol: u8,
    l4: usize,
    l4_len: usize,
}

impl Packet {
    pub fn l4_checksum_at(&self) -> usize {
        self.l4
            + match self.protocol {
                PROTOCOL_TCP => 16,
                PROTOCOL_UDP => 6,
                _ => 2,
            }
    }

    /// An IPv4 UDP datagram sent without a checksum.
    pub fn has_no_udp_checksum(&self) -> bool {
        self.ipv4_header_len.is_some()
            && self.protocol == PROTOCOL_UDP
            && self.frame[self.l4_checksum_at()..self.l4_checksum_at() + 2] == [0, 0]
    }

    /// The (offset, value) of each checksum `frame` should carry, computed
    /// in full: the IPv4 header's, then the transport's (none for an IPv4
    /// UDP template without one).
    pub fn expected_checksums(&self, frame: &[u8]) -> Vec<(usize, u16)> {
        let mut expected = Vec::new();
        if let Some(header_len) = self.ipv4_header_len {
            let mut header = frame[self.l3..self.l3 + header_len].to_vec();
            header[10..12].fill(0);
            expected.push((self.l3 + 10, internet_checksum(&header)));
        }
        if self.has_no_udp_checksum() {
            return expected;
        }
        let mut data = match (self.ipv4_header_len, self.protocol) {
            (_, PROTOCOL_ICMP) => Vec::new(),
            (Some(_), _) => {
                let mut pseudo = frame[self.l3 + 12..self.l3 + 20].to_vec();
                pseudo.extend_from_slice(&[0, self.protocol]);
                pseudo.extend_from_slice(&(self.l4_len as u16).to_be_bytes());
                pseudo
            }
            (None, _) => {
                let mut pseudo = frame[self.l3 + 8..self.l3 + 40].to_vec();
                pseudo.extend_from_slice(&(self.l4_len as u32).to_be_bytes());
                pseudo.extend_from_slice(&[0, 0, 0, self.protocol]);
                pseudo
            }
        };
        let checksum_in_data = data.len() + self.l4_checksum_at() - self.l4;
        data.extend_from_slice(&frame[self.l4..self.l4 + self.l4_len]);
        data[checksum_in_data..checksum_in_data + 2].fill(0);
        let mut value = internet_checksum(&data);
        if value == 0 && self.protocol == PROTOCOL_UDP {
            value = 0xffff;
        }
        expected.push((self.l4_checksum_at(), value));
        expected
    }

    /// The checksums `frame` carries where `expected_checksums` puts them.
    pub fn actual_checksums(&self, frame: &[u8]) -> Vec<(usize, u16)> {
        self.expected_checksums(frame)
            .into_iter()
            .map(|(at, _)| (at, u16::from_be_bytes([frame[at], frame[at + 1]])))
            .collect()
    }
}

/// RFC 1071, as plainly as it goes: the complement of the ones'-complement
/// sum of the big-endian 16-bit words, an odd last byte padded with zero.
fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u64 = data
        .chunks(2)
        .map(|pair| {
            u64::from(u16::from_be_bytes([
                pair[0],
                pair.get(1).copied().unwrap_or(0),
            ]))
        })
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Builds a frame from random bytes, writing the headers' fixed parts.
/// `kind`: 0..3 IPv4 with UDP, TCP, ICMP; 3..6 IPv6 with UDP, TCP, ICMPv6.
pub(super) fn build_packet(
    kind: usize,
    tags: &[bool],
    ipv4_option_words: usize,
    payload_len: usize,
    trailer_len: usize,
    udp_without_checksum: bool,
    random: &[u8],
) -> Packet {
    let ipv6 = kind >= 3;
    let protocol = match (ipv6, kind % 3) {
        (_, 0) => PROTOCOL_UDP,
        (_, 1) => PROTOCOL_TCP,
        (false, _) => PROTOCOL_ICMP,
        (true, _) => PROTOCOL_ICMPV6,
    };
    let l3 = 14 + 4 * tags.len();
    let ip_header_len = if ipv6 { 40 } else { 20 + 4 * ipv4_option_words };
    let l4 = l3 + ip_header_len;
    let l4_header_len = match protocol {
        PROTOCOL_TCP => 20,
        _ => 8,
    };
    let l4_len = l4_header_len + payload_len;
    let len = l4 + l4_len + trailer_len;
    let mut frame = random[..len].to_vec();
    for (i, &qinq) in tags.iter().enumerate() {
        let tpid: u16 = if qinq { 0x88a8 } else { 0x8100 };
        frame[12 + 4 * i..14 + 4 * i].copy_from_slice(&tpid.to_be_bytes());
    }
    let ethertype: u16 = if ipv6 { 0x86dd } else { 0x0800 };
    frame[l3 - 2..l3].copy_from_slice(&ethertype.to_be_bytes());
    if ipv6 {
        frame[l3] = 0x60 | (frame[l3] & 0x0f);
        frame[l3 + 4..l3 + 6].copy_from_slice(&(l4_len as u16).to_be_bytes());
        frame[l3 + 6] = protocol;
    } else {
        frame[l3] = 0x40 | (ip_header_len / 4) as u8;
        frame[l3 + 2..l3 + 4].copy_from_slice(&((ip_header_len + l4_len) as u16).to_be_bytes());
        // Don't Fragment or no flag; never a fragment.
        frame[l3 + 6] &= 0x40;
        frame[l3 + 7] = 0;
        frame[l3 + 9] = protocol;
    }
    if protocol == PROTOCOL_UDP {
        frame[l4 + 4..l4 + 6].copy_from_slice(&(l4_len as u16).to_be_bytes());
    }
    let mut packet = Packet {
        frame,
        l3,
        ipv4_header_len: (!ipv6).then_some(ip_header_len),
        protocol,
        l4,
        l4_len,
    };
    let at = packet.l4_checksum_at();
    if !ipv6 && protocol == PROTOCOL_UDP {
        // 0 is "no checksum" in IPv4: make it mean what the case asks.
        let checksum = if udp_without_checksum {
            [0, 0]
        } else {
            [0xbe, 0xef]
        };
        packet.frame[at..at + 2].copy_from_slice(&checksum);
    }
    packet
}

fn packet() -> impl Strategy<Value = Packet> {
    (
        0..6usize,
        vec(any::<bool>(), 0..=2),
        0..=10usize,
        0..=120usize,
        0..=6usize,
        any::<bool>(),
        vec(any::<u8>(), 14 + 8 + 60 + 20 + 120 + 6),
    )
        .prop_map(
            |(kind, tags, words, payload, trailer, no_udp_checksum, random)| {
                build_packet(
                    kind,
                    &tags,
                    words,
                    payload,
                    trailer,
                    no_udp_checksum,
                    &random,
                )
            },
        )
}

/// A field as drawn, made into a spec for a given frame.
#[derive(Debug, Clone)]
struct Candidate {
    offset: Index,
    size: u32,
    op: FieldOp,
    a: u64,
    b: u64,
    narrow: bool,
    step: u64,
    seed: u64,
    list: Vec<u64>,
    high: u64,
    chain: bool,
}

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        (
            any::<Index>(),
            1..=16u32,
            prop_oneof![
                Just(FieldOp::Inc),
                Just(FieldOp::Dec),
                Just(FieldOp::Random),
                Just(FieldOp::List)
            ],
            any::<u64>(),
            any::<u64>(),
            any::<bool>(),
        ),
        (
            prop_oneof![1..=4u64, 1..=1000u64, any::<u64>()],
            any::<u64>(),
            vec(any::<u64>(), 1..6),
            any::<u64>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |((offset, size, op, a, b, narrow), (step, seed, list, high, chain))| Candidate {
                offset,
                size,
                op,
                a,
                b,
                narrow,
                step,
                seed,
                list,
                high,
                chain,
            },
        )
}

impl Candidate {
    fn spec(&self, frame_len: usize) -> FieldSpec {
        let size = self.size as usize;
        let width = size.min(8);
        let mask = u64::MAX >> (64 - 8 * width);
        let high_len = size - width;
        let bytes = |low: u64| {
            let mut value = self.high.to_be_bytes()[8 - high_len..].to_vec();
            value.extend_from_slice(&(low & mask).to_be_bytes()[8 - width..]);
            value
        };
        let min = self.a & mask;
        let max = if self.narrow {
            min.saturating_add(self.b % 300).min(mask)
        } else {
            (self.b & mask).max(min)
        };
        let is_list = self.op == FieldOp::List;
        FieldSpec {
            offset: self.offset.index(frame_len.saturating_sub(size) + 1) as u32,
            size: self.size,
            op: self.op,
            min: (!is_list).then(|| bytes(min)),
            max: (!is_list).then(|| bytes(max)),
            step: matches!(self.op, FieldOp::Inc | FieldOp::Dec).then_some(self.step),
            seed: (self.op == FieldOp::Random).then_some(self.seed),
            values: is_list.then(|| self.list.iter().map(|&v| bytes(v)).collect()),
            chain: self.chain,
        }
    }
}

/// The candidates that compile, each with those kept before it.
fn accepted(frame: &[u8], candidates: &[Candidate], flow_limit: Option<u64>) -> Vec<FieldSpec> {
    let mut specs: Vec<FieldSpec> = Vec::new();
    for candidate in candidates {
        specs.push(candidate.spec(frame.len()));
        if FieldProgram::compile(frame, &specs, flow_limit).is_err() {
            specs.pop();
        }
    }
    specs
}

/// Whether a field writes any of `bytes`.
fn writes(specs: &[FieldSpec], bytes: std::ops::Range<usize>) -> bool {
    specs.iter().any(|spec| {
        let start = spec.offset as usize;
        start < bytes.end && bytes.start < start + spec.size as usize
    })
}

/// Variant indexes, small and large (short of 2^64, where k itself wraps).
fn k() -> impl Strategy<Value = u64> {
    prop_oneof![0..100_000u64, 0..u64::MAX - 1000]
}

fn flow_limit() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (1..5000u64).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn checksums_after_apply_equal_a_full_recomputation(
        packet in packet(),
        candidates in vec(candidate(), 1..=8),
        limit in flow_limit(),
        k in k(),
        later_k in k(),
    ) {
        let specs = accepted(&packet.frame, &candidates, limit);
        prop_assume!(!specs.is_empty());
        let (program, base) = FieldProgram::compile(&packet.frame, &specs, limit).unwrap();
        prop_assert_eq!(packet.actual_checksums(&base), packet.expected_checksums(&base));

        let mut frame = base.clone();
        program.apply(&mut frame, k);
        prop_assert_eq!(packet.actual_checksums(&frame), packet.expected_checksums(&frame));
        let no_checksum_at = packet.l4_checksum_at()..packet.l4_checksum_at() + 2;
        if packet.has_no_udp_checksum() && !writes(&specs, no_checksum_at.clone()) {
            prop_assert_eq!(&frame[no_checksum_at], &[0, 0]);
        }

        // Over another variant, the same bytes as over the base frame.
        let mut from_base = base.clone();
        program.apply(&mut from_base, later_k);
        program.apply(&mut frame, later_k);
        prop_assert_eq!(frame, from_base);
    }

    #[test]
    fn the_cursor_writes_what_apply_writes(
        packet in packet(),
        candidates in vec(candidate(), 1..=8),
        limit in flow_limit(),
        k in k(),
        run in 1..300usize,
    ) {
        let specs = accepted(&packet.frame, &candidates, limit);
        let (program, base) = FieldProgram::compile(&packet.frame, &specs, limit).unwrap();
        let mut cursor = program.cursor(k);
        let mut stepped = base.clone();
        let mut applied = base;
        for j in 0..run as u64 {
            prop_assert_eq!(cursor.k(), k.wrapping_add(j));
            cursor.write(&program, &mut stepped);
            program.apply(&mut applied, k.wrapping_add(j));
            prop_assert_eq!(&stepped, &applied, "variant {}", k.wrapping_add(j));
            cursor.advance(&program);
        }
        if !program.is_empty() {
            prop_assert_eq!(packet.actual_checksums(&stepped), packet.expected_checksums(&stepped));
        }
    }
}
