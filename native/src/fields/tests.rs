//! Field programs: what compile refuses, and the sequences the ops make.

use std::collections::HashSet;

use super::properties::build_packet;
use super::{splitmix64, FieldOp, FieldProgram, FieldSpec, CSUM_IP, CSUM_L4};

/// Ethernet + IPv4 + UDP with 18 payload bytes, 60 bytes in all:
/// IPv4 checksum at 24, addresses at 26 and 30, ports at 34 and 36, UDP
/// checksum at 40. Its checksums are left for compile to fix.
pub(crate) fn udp4() -> Vec<u8> {
    let mut frame = vec![0u8; 60];
    frame[..12].copy_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    frame[14] = 0x45;
    frame[16..18].copy_from_slice(&46u16.to_be_bytes());
    frame[22] = 64;
    frame[23] = 17;
    frame[26..30].copy_from_slice(&[10, 0, 0, 1]);
    frame[30..34].copy_from_slice(&[10, 0, 1, 1]);
    frame[34..36].copy_from_slice(&9u16.to_be_bytes());
    frame[36..38].copy_from_slice(&9u16.to_be_bytes());
    frame[38..40].copy_from_slice(&26u16.to_be_bytes());
    frame[40..42].copy_from_slice(&[0xff, 0xff]);
    frame
}

/// `value` as `size` big-endian bytes (zeros above the 8 of a u64).
pub(crate) fn be(value: u64, size: usize) -> Vec<u8> {
    let mut bytes = vec![0; size.saturating_sub(8)];
    bytes.extend_from_slice(&value.to_be_bytes()[8 - size.min(8)..]);
    bytes
}

pub(crate) fn range(offset: u32, size: u32, op: FieldOp, min: u64, max: u64) -> FieldSpec {
    FieldSpec {
        offset,
        size,
        op,
        min: Some(be(min, size as usize)),
        max: Some(be(max, size as usize)),
        step: None,
        seed: None,
        values: None,
        chain: false,
    }
}

pub(crate) fn list(offset: u32, size: u32, values: &[u64]) -> FieldSpec {
    FieldSpec {
        values: Some(values.iter().map(|&v| be(v, size as usize)).collect()),
        min: None,
        max: None,
        ..range(offset, size, FieldOp::List, 0, 0)
    }
}

pub(crate) fn chained(spec: FieldSpec) -> FieldSpec {
    FieldSpec {
        chain: true,
        ..spec
    }
}

fn refusal(frame: &[u8], specs: &[FieldSpec]) -> String {
    FieldProgram::compile(frame, specs, None)
        .unwrap_err()
        .message
}

fn read(frame: &[u8], offset: usize, size: usize) -> u64 {
    frame[offset..offset + size]
        .iter()
        .fold(0, |v, &b| (v << 8) | u64::from(b))
}

/// The values a one-field program writes for variants 0..n.
fn sequence(spec: FieldSpec, n: u64) -> Vec<u64> {
    let (offset, size) = (spec.offset as usize, spec.size as usize);
    let (program, mut frame) = FieldProgram::compile(&udp4(), &[spec], None).unwrap();
    (0..n)
        .map(|k| {
            program.apply(&mut frame, k);
            read(&frame, offset, size)
        })
        .collect()
}

#[test]
fn refuses_a_field_past_the_frames_end() {
    assert_eq!(
        refusal(&udp4(), &[range(58, 4, FieldOp::Inc, 0, 1)]),
        "field 0: bytes 58-61 run past the frame's end (60 bytes)"
    );
}

#[test]
fn refuses_overlapping_fields() {
    let specs = [
        range(34, 2, FieldOp::Inc, 0, 1),
        range(35, 2, FieldOp::Inc, 0, 1),
    ];
    assert_eq!(
        refusal(&udp4(), &specs),
        "field 1: bytes 35-36 overlap field 0 (bytes 34-35)"
    );
}

#[test]
fn refuses_a_field_over_a_checksum_it_fixes() {
    let specs = [
        range(34, 2, FieldOp::Inc, 0, 1),
        range(40, 2, FieldOp::Inc, 0, 1),
    ];
    assert_eq!(
        refusal(&udp4(), &specs),
        "field 1 overlaps the UDP checksum (bytes 40-41)"
    );
    assert_eq!(
        refusal(&udp4(), &[range(23, 2, FieldOp::Inc, 0, 1)]),
        "field 0 overlaps the IPv4 header checksum (bytes 24-25)"
    );
    // An IPv4 UDP checksum of 0 is none: nothing to fix, nothing refused.
    let mut frame = udp4();
    frame[40..42].fill(0);
    assert!(FieldProgram::compile(&frame, &[range(40, 2, FieldOp::Inc, 0, 1)], None).is_ok());
}

#[test]
fn refuses_a_field_a_checksum_covers_in_part() {
    // The last byte of the destination address and the first of the port.
    assert_eq!(
        refusal(&udp4(), &[range(33, 2, FieldOp::Inc, 0, 1)]),
        "field 0: bytes 33-34 lie partly in what the IPv4 header checksum covers (bytes 14-33); split the field at that edge"
    );
    // The Ethernet type and the IPv4 version.
    assert_eq!(
        refusal(&udp4(), &[range(13, 2, FieldOp::Inc, 0, 1)]),
        "field 0: bytes 13-14 lie partly in what the IPv4 header checksum covers (bytes 14-33); split the field at that edge"
    );
    // The end of the UDP datagram and the bytes after it.
    let mut frame = udp4();
    frame[16..18].copy_from_slice(&40u16.to_be_bytes());
    assert_eq!(
        refusal(&frame, &[range(52, 4, FieldOp::Inc, 0, 1)]),
        "field 0: bytes 52-55 lie partly in what the UDP checksum covers (bytes 26-53); split the field at that edge"
    );
}

#[test]
fn refuses_bad_ranges_and_values() {
    assert_eq!(
        refusal(&udp4(), &[range(34, 2, FieldOp::Inc, 300, 200)]),
        "field 0: min 300 is greater than max 200"
    );
    let mut too_big = range(34, 2, FieldOp::Inc, 0, 0);
    too_big.max = Some(be(65_536, 3));
    assert_eq!(
        refusal(&udp4(), &[too_big]),
        "field 0: max 65536 does not fit 2 bytes"
    );
    let mut list_too_big = list(34, 1, &[1, 2]);
    list_too_big.values.as_mut().unwrap()[1] = be(256, 2);
    assert_eq!(
        refusal(&udp4(), &[list_too_big]),
        "field 0: value 1 (256) does not fit 1 byte"
    );
    assert_eq!(
        refusal(&udp4(), &[range(26, 8, FieldOp::Random, 0, u64::MAX)]),
        "field 0: min 0 to max 18446744073709551615 is 2^64 values (at most 2^64 - 1)"
    );
    // Leading zero bytes beyond the size fit; a short value is zero-extended.
    let mut lenient = range(34, 2, FieldOp::Inc, 0, 0);
    lenient.min = Some(vec![7]);
    lenient.max = Some(vec![0, 0, 0, 9]);
    assert_eq!(sequence(lenient, 4), [7, 8, 9, 7]);
}

#[test]
fn refuses_high_bytes_that_differ_on_a_wide_field() {
    let frame = udp6();
    let mut spec = range(22, 16, FieldOp::Inc, 0, 0);
    spec.min = Some(ipv6_address(0x2001_0db8_0000_0000, 1));
    spec.max = Some(ipv6_address(0x2001_0db8_0000_0001, 1));
    assert_eq!(
        refusal(&frame, &[spec]),
        "field 0: min and max differ in their high 8 bytes (only the low 8 of a 16-byte field vary)"
    );
    let values = vec![
        ipv6_address(0x2001_0db8_0000_0000, 1),
        ipv6_address(0x2001_0db8_0000_0000, 2),
        ipv6_address(0xfe80_0000_0000_0000, 3),
    ];
    let spec = FieldSpec {
        values: Some(values),
        ..list(22, 16, &[])
    };
    assert_eq!(
        refusal(&frame, &[spec]),
        "field 0: value 0 and value 2 differ in their high 8 bytes (only the low 8 of a 16-byte field vary)"
    );
}

#[test]
fn refuses_too_many_fields_and_a_chained_first() {
    let nine: Vec<FieldSpec> = (0..9)
        .map(|i| range(42 + 2 * i, 2, FieldOp::Inc, 0, 1))
        .collect();
    assert_eq!(
        refusal(&udp4(), &nine),
        "field 8: a template has at most 8 fields (9 given)"
    );
    assert_eq!(
        refusal(&udp4(), &[chained(range(34, 2, FieldOp::Inc, 0, 1))]),
        "field 0: chain on the first field (there is no field before it to follow)"
    );
}

#[test]
fn refuses_missing_and_unused_arguments() {
    let cases = [
        (
            FieldSpec {
                max: None,
                ..range(34, 2, FieldOp::Inc, 0, 1)
            },
            "field 0: inc needs min and max",
        ),
        (
            FieldSpec {
                values: None,
                ..list(34, 2, &[1])
            },
            "field 0: list needs values",
        ),
        (
            FieldSpec {
                step: Some(2),
                ..range(34, 2, FieldOp::Random, 0, 1)
            },
            "field 0: step applies only to inc and dec, not random",
        ),
        (
            FieldSpec {
                step: Some(2),
                ..list(34, 2, &[1])
            },
            "field 0: step applies only to inc and dec, not list",
        ),
        (
            FieldSpec {
                seed: Some(2),
                ..range(34, 2, FieldOp::Inc, 0, 1)
            },
            "field 0: seed applies only to random, not inc",
        ),
        (
            FieldSpec {
                values: Some(vec![be(1, 2)]),
                ..range(34, 2, FieldOp::Dec, 0, 1)
            },
            "field 0: values apply only to list, not dec",
        ),
        (
            FieldSpec {
                min: Some(be(1, 2)),
                ..list(34, 2, &[1])
            },
            "field 0: min and max apply only to inc, dec and random, not list",
        ),
        (
            FieldSpec {
                step: Some(0),
                ..range(34, 2, FieldOp::Inc, 0, 1)
            },
            "field 0: step must be at least 1",
        ),
        (list(34, 2, &[]), "field 0: 0 values given (need 1..65536)"),
        (
            range(34, 0, FieldOp::Inc, 0, 0),
            "field 0: size 0 out of range (1..16)",
        ),
        (
            range(34, 17, FieldOp::Inc, 0, 0),
            "field 0: size 17 out of range (1..16)",
        ),
    ];
    for (spec, message) in cases {
        assert_eq!(refusal(&udp4(), &[spec]), message);
    }
}

#[test]
fn refuses_overflowing_steps_and_chains() {
    let spec = FieldSpec {
        step: Some(u64::MAX / 2),
        ..range(42, 8, FieldOp::Inc, 0, u64::MAX - 1)
    };
    assert_eq!(
        refusal(&udp4(), &[spec]),
        "field 0: step 9223372036854775807 repeats after 18446744073709551615 values, and (18446744073709551615 - 1) × 9223372036854775807 overflows 64 bits; use a smaller step or range"
    );
    let specs = [
        range(42, 4, FieldOp::Inc, 0, u32::MAX as u64),
        chained(range(46, 4, FieldOp::Inc, 0, (1 << 31) - 1)),
        chained(range(50, 1, FieldOp::Inc, 0, 1)),
    ];
    assert_eq!(
        refusal(&udp4(), &specs),
        "field 2: the chained fields' value counts multiply past 2^64 - 1; chain fewer or smaller ranges"
    );
}

#[test]
fn refuses_too_many_list_values_in_a_template() {
    let big: Vec<u64> = (0..40_000).collect();
    let specs = [list(42, 2, &big), list(44, 2, &big)];
    assert_eq!(
        refusal(&udp4(), &specs),
        "field 1: the template's list fields hold 80000 values (at most 65536 over all templates)"
    );
}

#[test]
fn refuses_a_flow_limit_of_zero() {
    let err = FieldProgram::compile(&udp4(), &[], Some(0)).unwrap_err();
    assert_eq!(err.message, "flows must be at least 1 (0 given)");
}

#[test]
fn no_fields_send_the_frame_as_given() {
    let frame = udp4();
    let (program, base) = FieldProgram::compile(&frame, &[], Some(7)).unwrap();
    assert_eq!(base, frame);
    assert_eq!(program, FieldProgram::none());
    assert!(program.is_empty());
    assert_eq!(program.flows(), 1);
    let mut sent = frame.clone();
    program.apply(&mut sent, 12_345);
    program.cursor(3).write(&program, &mut sent);
    assert_eq!(sent, frame);
}

#[test]
fn compile_fixes_the_base_frames_checksums() {
    let (program, base) =
        FieldProgram::compile(&udp4(), &[range(34, 2, FieldOp::Inc, 1, 9)], None).unwrap();
    let packet = udp4_packet(&base);
    assert_eq!(
        packet.actual_checksums(&base),
        packet.expected_checksums(&base)
    );
    assert_eq!(program.ip_checksum(), Some(24));
    assert_eq!(program.l4_checksum(), Some(40));
    assert!(program.l4_is_udp());
    assert_eq!(program.fields()[0].checksums, CSUM_L4);
}

#[test]
fn the_odometer_makes_every_address_and_port_pair_once() {
    let specs = [
        range(26, 4, FieldOp::Inc, 0x0a00_0001, 0x0a00_00fe),
        chained(range(34, 2, FieldOp::Inc, 1024, 2023)),
    ];
    let (program, base) = FieldProgram::compile(&udp4(), &specs, None).unwrap();
    assert_eq!(program.flows(), 254_000);
    assert_eq!(program.fields()[0].checksums, CSUM_IP | CSUM_L4);
    assert_eq!(program.fields()[1].divisor, 254);
    let packet = udp4_packet(&base);
    let mut frame = base.clone();
    let mut cursor = program.cursor(0);
    let mut seen = HashSet::new();
    for k in 0..254_000u64 {
        cursor.write(&program, &mut frame);
        let tuple = (read(&frame, 26, 4), read(&frame, 34, 2));
        if k == 0 || k == 253 || k == 254 || k == 253_999 {
            let expected = (0x0a00_0001 + k % 254, 1024 + k / 254);
            assert_eq!(tuple, expected, "variant {k}");
        }
        assert!(seen.insert(tuple), "variant {k} repeats {tuple:?}");
        if k % 1009 == 0 {
            assert_eq!(
                packet.actual_checksums(&frame),
                packet.expected_checksums(&frame)
            );
        }
        cursor.advance(&program);
    }
    assert_eq!(seen.len(), 254_000);
    // Then it starts over.
    cursor.write(&program, &mut frame);
    assert_eq!(
        (read(&frame, 26, 4), read(&frame, 34, 2)),
        (0x0a00_0001, 1024)
    );
}

#[test]
fn unchained_fields_repeat_at_the_lcm_of_their_counts() {
    let specs = [
        range(34, 2, FieldOp::Inc, 0, 3),
        range(36, 2, FieldOp::Inc, 0, 5),
    ];
    let (program, _) = FieldProgram::compile(&udp4(), &specs, None).unwrap();
    assert_eq!(program.flows(), 12);
    assert_eq!(program.fields()[1].divisor, 1);
}

#[test]
fn inc_and_dec_step_through_the_range_and_wrap() {
    let inc = FieldSpec {
        step: Some(3),
        ..range(34, 2, FieldOp::Inc, 10, 19)
    };
    assert_eq!(
        sequence(inc, 12),
        [10, 13, 16, 19, 12, 15, 18, 11, 14, 17, 10, 13]
    );
    let dec = FieldSpec {
        step: Some(4),
        ..range(34, 2, FieldOp::Dec, 10, 19)
    };
    // gcd(10, 4) = 2: five values, then again.
    assert_eq!(sequence(dec, 7), [19, 15, 11, 17, 13, 19, 15]);
    // A step the size of the range: one value.
    let stuck = FieldSpec {
        step: Some(10),
        ..range(34, 2, FieldOp::Inc, 10, 19)
    };
    assert_eq!(sequence(stuck, 3), [10, 10, 10]);
}

#[test]
fn a_list_gives_its_values_in_turn() {
    assert_eq!(
        sequence(list(36, 2, &[53, 80, 443]), 7),
        [53, 80, 443, 53, 80, 443, 53]
    );
}

#[test]
fn random_repeats_with_its_seed_and_stays_in_range() {
    let random = |seed| FieldSpec {
        seed: Some(seed),
        ..range(34, 2, FieldOp::Random, 1000, 1999)
    };
    let first = sequence(random(7), 2000);
    assert_eq!(first, sequence(random(7), 2000));
    assert_ne!(first, sequence(random(8), 2000));
    assert!(first.iter().all(|v| (1000..=1999).contains(v)));
    assert_eq!(first[5], 1000 + splitmix64(7 + 5) % 1000);
    // Every value appears somewhere near as often as the others.
    assert!(first.iter().collect::<HashSet<_>>().len() > 800);
    // SplitMix64's first output from seed 0.
    assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
}

#[test]
fn random_draws_with_its_own_index_in_a_chain() {
    let specs = [
        range(34, 2, FieldOp::Inc, 0, 2),
        chained(FieldSpec {
            seed: Some(1),
            ..range(36, 2, FieldOp::Random, 0, 99)
        }),
    ];
    let (program, mut frame) = FieldProgram::compile(&udp4(), &specs, None).unwrap();
    assert!(program.has_random());
    assert_eq!(program.flows(), 300);
    for k in 0..9 {
        program.apply(&mut frame, k);
        assert_eq!(
            read(&frame, 36, 2),
            splitmix64(1 + k / 3) % 100,
            "variant {k}"
        );
    }
}

#[test]
fn a_flow_limit_repeats_the_first_variants() {
    let (program, base) =
        FieldProgram::compile(&udp4(), &[range(34, 2, FieldOp::Inc, 0, 999)], Some(5)).unwrap();
    assert_eq!(program.flows(), 5);
    assert_eq!(program.flow_limit(), Some(5));
    let mut frame = base;
    let mut cursor = program.cursor(3);
    let mut ports = Vec::new();
    for _ in 0..8 {
        cursor.write(&program, &mut frame);
        ports.push(read(&frame, 34, 2));
        cursor.advance(&program);
    }
    assert_eq!(ports, [3, 4, 0, 1, 2, 3, 4, 0]);
    let (program, _) = FieldProgram::compile(
        &udp4(),
        &[range(34, 2, FieldOp::Inc, 0, 999)],
        Some(1 << 40),
    )
    .unwrap();
    assert_eq!(program.flows(), 1000);
}

#[test]
fn variants_repeat_with_the_period() {
    let ports = range(34, 2, FieldOp::Inc, 0, 999);
    let addresses = chained(range(26, 4, FieldOp::Dec, 1, 7));
    let random = range(36, 2, FieldOp::Random, 0, 99);
    let cases = [
        (vec![ports.clone(), addresses], None, Some(7000)),
        // The flow count when it divides the limit, else the limit.
        (vec![ports.clone()], Some(3000), Some(1000)),
        (vec![ports.clone()], Some(1500), Some(1500)),
        (vec![ports.clone(), random.clone()], Some(700), Some(700)),
        (vec![ports.clone(), random], None, None),
    ];
    for (specs, limit, period) in cases {
        let (program, base) = FieldProgram::compile(&udp4(), &specs, limit).unwrap();
        assert_eq!(program.period(), period, "{specs:?} limited to {limit:?}");
        let Some(p) = period else { continue };
        let variant = |k| {
            let mut frame = base.clone();
            program.apply(&mut frame, k);
            frame
        };
        for k in [0, 1, 999, 1000, 1001, p - 1, 5 * p + 3, u64::MAX] {
            assert_eq!(variant(k), variant(k % p), "variant {k}, period {p}");
        }
    }
    // 1 000 flows limited to 1 500 do not repeat every 1 000 variants:
    // variant 2 000 is variant 500.
    let (program, base) = FieldProgram::compile(&udp4(), &[ports], Some(1500)).unwrap();
    assert_eq!(program.flows(), 1000);
    let mut frame = base;
    program.apply(&mut frame, 2000);
    assert_eq!(read(&frame, 34, 2), 500);
}

/// Ethernet + IPv6 + UDP with 10 payload bytes: addresses at 22 and 38,
/// UDP at 54 (checksum at 60).
fn udp6() -> Vec<u8> {
    let random: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
    build_packet(3, &[], 0, 10, 0, false, &random).frame
}

fn ipv6_address(high: u64, low: u64) -> Vec<u8> {
    let mut address = high.to_be_bytes().to_vec();
    address.extend_from_slice(&low.to_be_bytes());
    address
}

#[test]
fn a_wide_field_varies_its_low_bytes_under_the_high_ones() {
    let frame = udp6();
    let mut spec = range(22, 16, FieldOp::Inc, 0, 0);
    spec.min = Some(ipv6_address(0x2001_0db8_0000_0000, 1));
    spec.max = Some(ipv6_address(0x2001_0db8_0000_0000, 0x1_0000_0000));
    let (program, base) = FieldProgram::compile(&frame, &[spec], None).unwrap();
    let field = &program.fields()[0];
    assert_eq!((field.offset, field.width), (30, 8));
    assert_eq!(field.checksums, CSUM_L4);
    assert_eq!(program.flows(), 0x1_0000_0000);
    assert_eq!(&base[22..30], &0x2001_0db8_0000_0000u64.to_be_bytes());
    let packet = build_packet(
        3,
        &[],
        0,
        10,
        0,
        false,
        &(0..200u32).map(|i| (i * 37 + 11) as u8).collect::<Vec<_>>(),
    );
    for k in [0, 1, 0xffff_ffff, 0x1_0000_0000, 12_345_678_901] {
        let mut sent = base.clone();
        program.apply(&mut sent, k);
        assert_eq!(&sent[22..30], &base[22..30]);
        assert_eq!(read(&sent, 30, 8), 1 + k % 0x1_0000_0000);
        assert_eq!(
            packet.actual_checksums(&sent),
            packet.expected_checksums(&sent)
        );
    }
}

/// The generator's view of `udp4()` for the reference checksums.
fn udp4_packet(frame: &[u8]) -> super::properties::Packet {
    let mut packet = build_packet(0, &[], 0, 18, 0, false, frame);
    packet.frame = frame.to_vec();
    packet
}

#[test]
fn checksums_that_come_to_zero_are_sent_as_the_protocol_wants() {
    // A 16-bit payload field over its whole range makes the checksum take
    // every value: UDP's 0 must go out as 0xffff, TCP's and the IPv4
    // header's 0 as 0x0000 (RFC 1624's eqn. 3, not eqn. 2).
    let random: Vec<u8> = (0..300u32).map(|i| (i * 101 + 7) as u8).collect();
    for kind in [0, 1, 3, 4] {
        let packet = build_packet(kind, &[], 0, 8, 0, false, &random);
        let payload_at = packet.frame.len() - 8;
        let specs = [
            range(payload_at as u32, 2, FieldOp::Inc, 0, 0xffff),
            // The IPv4 identification, so the header checksum turns too.
            chained(range(18, 2, FieldOp::Inc, 0, 1)),
        ];
        let specs = if kind < 3 { &specs[..] } else { &specs[..1] };
        let (program, mut frame) = FieldProgram::compile(&packet.frame, specs, None).unwrap();
        let mut cursor = program.cursor(0);
        let mut zeros = 0;
        for k in 0..0x2_0000 {
            cursor.write(&program, &mut frame);
            let expected = packet.expected_checksums(&frame);
            assert_eq!(
                packet.actual_checksums(&frame),
                expected,
                "kind {kind} variant {k}"
            );
            zeros += expected
                .iter()
                .filter(|(_, c)| *c == 0 || *c == 0xffff)
                .count();
            cursor.advance(&program);
        }
        assert!(zeros > 0, "kind {kind}: no checksum came to zero");
    }
}

#[test]
fn an_all_zero_icmp_message_gets_the_checksum_0xffff() {
    let random: Vec<u8> = (0..100u32).map(|i| (i * 53 + 3) as u8).collect();
    let mut packet = build_packet(2, &[], 0, 0, 0, false, &random);
    packet.frame[34..42].fill(0);
    let specs = [range(38, 2, FieldOp::Inc, 0, 3)];
    let (program, mut frame) = FieldProgram::compile(&packet.frame, &specs, None).unwrap();
    for k in [1, 0, 2, 0, 4] {
        program.apply(&mut frame, k);
        let expected = packet.expected_checksums(&frame);
        assert_eq!(packet.actual_checksums(&frame), expected, "variant {k}");
        if k % 4 == 0 {
            assert_eq!(expected[1], (36, 0xffff));
        }
    }
}
