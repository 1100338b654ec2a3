//! The live-frames program's stamps checked against the stamp core: the
//! real program, loaded with stamps and run by BPF_PROG_RUN on one frame
//! (not live, so the frame comes back and nothing is sent), must leave in
//! it the template's stream, the frame's seq (base + n of its slot's call)
//! and a transmit time from the last second, and every other byte as the
//! core writes variant k and then the stamp (`StampSite::write`); every
//! checksum must equal one computed in full. A run of repeat N writes N
//! stamps (and variants) over each other in the same frame, as the kernel
//! recycles live frames. Templates without fields, with computed fields
//! and with patches (beside, over and short of the stamp) are checked.
//! Like field_tests.rs, these need root.

use super::field_tests::{chained, compile, field, ipv4_frame, seeded, udp, Harness, ETH_IPV4};
use crate::plan::DEFAULT_XDP_BATCH_SIZE;
use aya::programs::{TestRun, TestRunOptions};

use crate::fields::headers::FrameChecksums;
use crate::fields::{FieldOp, FieldProgram, FieldSpec};
use crate::kernel::field_maps::MetaFrame;
use crate::stamp::{Stamp, StampClock};

const MASK_48: u64 = (1 << 48) - 1;
const NS_PER_SECOND: u64 = 1_000_000_000;

/// `frame` with every checksum computed in full.
fn recomputed(frame: &[u8]) -> Vec<u8> {
    let mut copy = frame.to_vec();
    FrameChecksums::find(&copy).recompute(&mut copy);
    copy
}

/// A template without fields (which compile leaves as given: its
/// checksums are made right here).
fn fixed(frame: &[u8]) -> (FieldProgram, Vec<u8>) {
    compile(&recomputed(frame), vec![], None)
}

/// Ethernet, IPv6 2001:db8::1 → 2001:db8::2, UDP 1024 → 9 with `payload`.
fn ipv6_udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = ETH_IPV4[..12].to_vec();
    frame.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    let datagram = udp(payload, 1);
    frame.extend_from_slice(&(datagram.len() as u16).to_be_bytes());
    frame.extend_from_slice(&[17, 64]);
    for last in [1, 2] {
        frame.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        frame.extend_from_slice(&[0; 11]);
        frame.push(last);
    }
    frame.extend_from_slice(&datagram);
    frame
}

/// An IPv4/UDP frame with `payload` bytes of payload (counting up) and a
/// UDP checksum (or none: 0).
fn udp4_frame(payload: usize, checksum: u16) -> Vec<u8> {
    let payload: Vec<u8> = (0..payload as u8).map(|i| i.wrapping_mul(41)).collect();
    ipv4_frame(&[], 17, &udp(&payload, checksum))
}

/// An IPv4 ICMP echo request with `payload` bytes of payload (zero).
fn icmp4_frame(payload: usize) -> Vec<u8> {
    let mut message = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1];
    message.resize(8 + payload, 0);
    ipv4_frame(&[], 1, &message)
}

/// Runs `repeat` frames of call `call` of sender `slot` (first variant
/// `base`) on template `template` and checks the frame after: stamped with
/// the template's stream, `seq` and the run's clock, sent in the last
/// second, variant `seq` of the template as the core writes it, and the
/// stamp written over it as the core writes it, every checksum exact.
fn check_stamp(
    harness: &Harness,
    template: usize,
    (slot, call): (u32, u32),
    (base, repeat): (u64, u32),
    seq: u64,
) {
    let stamping = harness.stamping.as_ref().expect("a stamped harness");
    let site = stamping.sites[template];
    let what = format!("template {template}, slot {slot}, call {call}, seq {seq}");
    let frame = harness.run(template, slot, call, base, repeat);
    let now = stamping.clock.now_ns();
    let stamp = Stamp::decode(&frame[usize::from(site.at)..])
        .unwrap_or_else(|| panic!("{what}: no stamp in {frame:02x?}"));
    assert_eq!(
        (stamp.stream, stamp.clock, stamp.seq),
        (template as u16, stamping.clock, seq & MASK_48),
        "{what}"
    );
    let age = now.wrapping_sub(stamp.tx_ns) & MASK_48;
    assert!(age < NS_PER_SECOND, "{what}: sent {age} ns ago");
    let mut expected = harness.variant(template, seq);
    site.write(&mut expected, &stamp);
    assert_eq!(frame, expected, "{what}");
    assert_eq!(frame, recomputed(&frame), "{what}: checksums");
}

/// Checks calls of `template` from each of `bases` on slot 0 — one frame,
/// then the same call on by 4 frames (stamps and variants over each
/// other), then a new call of 64 — numbering calls from `*call`.
fn check_calls(harness: &Harness, template: usize, bases: &[u64], call: &mut u32) {
    for &base in bases {
        *call += 1;
        check_stamp(harness, template, (0, *call), (base, 1), base);
        // The call goes on from its count, whatever base it is given.
        check_stamp(harness, template, (0, *call), (7, 4), base + 4);
        *call += 1;
        check_stamp(harness, template, (0, *call), (base, 64), base + 63);
    }
}

/// First variants around 2^48 (where seq wraps), the flow limits and
/// periods below, and far out.
const BASES: [u64; 10] = [
    0,
    1,
    295,
    999,
    4_999_990,
    1_000_000_007,
    (1 << 48) - 2,
    (1 << 48) + 5,
    (1 << 63) + 11,
    u64::MAX - 70,
];

#[test]
fn templates_without_fields_are_stamped_with_each_slots_count() {
    let Some(harness) = Harness::load_stamped(
        vec![
            fixed(&udp4_frame(18, 1)),
            fixed(&ipv6_udp_frame(&[0x5a; 30])),
            fixed(&udp4_frame(26, 0)),
            fixed(&icmp4_frame(18)),
        ],
        2,
        Some(StampClock::Monotonic),
    ) else {
        return;
    };
    let mut call = 0;
    for template in 0..4 {
        check_calls(&harness, template, &BASES, &mut call);
        // Slot 1 has its own count, though its call has the same number:
        // two threads sending one template send disjoint sequences.
        call += 1;
        check_stamp(&harness, template, (0, call), (0, 64), 63);
        check_stamp(&harness, template, (1, call), (64, 64), 127);
        check_stamp(&harness, template, (0, call), (128, 1), 64);
        check_stamp(&harness, template, (1, call), (0, 2), 129);
    }
    // An IPv4 UDP checksum of 0 means none: it stays 0.
    assert_eq!(harness.run(2, 0, call + 1, 5, 3)[40..42], [0, 0]);
}

#[test]
fn one_clock_reading_stamps_a_batch_of_frames_and_a_new_call_reads_again() {
    let Some(harness) = Harness::load_stamped_every(
        vec![fixed(&udp4_frame(18, 1))],
        1,
        Some(StampClock::Monotonic),
        8,
    ) else {
        return;
    };
    let tx_ns = |frame: Vec<u8>| Stamp::decode(&frame[42..]).expect("a stamp").tx_ns;
    // Frames 0..8 of call 1 share the reading of frame 0, however long
    // after it they run; frame 8 starts the next batch and reads again.
    let first = tx_ns(harness.run(0, 0, 1, 0, 1));
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert_eq!(tx_ns(harness.run(0, 0, 1, 0, 7)), first);
    let ninth = tx_ns(harness.run(0, 0, 1, 0, 1));
    assert!(ninth >= first + 2_000_000, "{ninth} after {first}");
    // A new call reads at once, mid-batch or not.
    std::thread::sleep(std::time::Duration::from_millis(2));
    assert!(tx_ns(harness.run(0, 0, 2, 9, 1)) >= ninth + 2_000_000);
}

#[test]
fn tai_stamps_say_so() {
    let Some(harness) =
        Harness::load_stamped(vec![fixed(&udp4_frame(18, 1))], 1, Some(StampClock::Tai))
    else {
        return;
    };
    let mut call = 0;
    check_calls(&harness, 0, &[0, 1 << 40], &mut call);
}

#[test]
fn computed_fields_are_stamped_exactly() {
    let random_port = seeded(field(36, 2, FieldOp::Random, 1, 65535), 7);
    let ipv6_address = FieldSpec {
        min: Some([vec![0x20, 0x01, 0x0d, 0xb8], vec![0; 11], vec![1]].concat()),
        max: Some([vec![0x20, 0x01, 0x0d, 0xb8], vec![0; 9], vec![1, 0, 0]].concat()),
        ..field(22, 16, FieldOp::Inc, 0, 0)
    };
    let Some(harness) = Harness::load_stamped(
        vec![
            // Addresses × ports, and a random id no checksum but the IPv4
            // header's covers.
            compile(
                &udp4_frame(18, 1),
                vec![
                    field(26, 4, FieldOp::Inc, 0x0a00_0001, 0x0a00_00fe),
                    chained(field(34, 2, FieldOp::Inc, 1024, 2023)),
                    random_port.clone(),
                    seeded(field(18, 2, FieldOp::Random, 0, 65535), 3),
                ],
                None,
            ),
            // A flow limit past what patches take: seq is not reduced by it.
            compile(
                &udp4_frame(30, 1),
                vec![random_port.clone(), field(64, 4, FieldOp::Inc, 0, 1 << 30)],
                Some(5_000_000),
            ),
            compile(
                &ipv6_udp_frame(&[0xa5; 18]),
                vec![
                    ipv6_address,
                    chained(seeded(field(56, 2, FieldOp::Random, 1, 65535), 8)),
                ],
                None,
            ),
            // No UDP checksum: none kept.
            compile(&udp4_frame(18, 0), vec![random_port], None),
            // An ICMP echo's identifier.
            compile(
                &icmp4_frame(18),
                vec![seeded(field(38, 2, FieldOp::Random, 0, 65535), 4)],
                None,
            ),
        ],
        1,
        Some(StampClock::Monotonic),
    ) else {
        return;
    };
    assert!((0..5).all(|template| !harness.patched(template)));
    let mut call = 0;
    for template in 0..5 {
        check_calls(&harness, template, &BASES, &mut call);
    }
    assert_eq!(harness.run(3, 0, call + 1, 5, 3)[40..42], [0, 0]);
}

#[test]
fn patched_fields_are_stamped_exactly_over_or_beside_the_stamp() {
    let source_port = field(34, 2, FieldOp::Inc, 1, 1000);
    let Some(harness) = Harness::load_stamped(
        vec![
            // 34..42: the port and the UDP checksum, beside the stamp.
            compile(&udp4_frame(18, 1), vec![source_port.clone()], None),
            // 36..44: the destination port, length and checksum, and the
            // stamp's first 2 bytes.
            compile(
                &udp4_frame(18, 1),
                vec![field(36, 2, FieldOp::Dec, 1, 1000)],
                None,
            ),
            // 40..72: from the checksum over the whole stamp to a field
            // after it.
            compile(
                &udp4_frame(30, 1),
                vec![field(64, 2, FieldOp::Inc, 1, 1000)],
                None,
            ),
            // 22..30: the TTL and the IPv4 header checksum only.
            compile(
                &udp4_frame(18, 1),
                vec![field(22, 1, FieldOp::Inc, 1, 255)],
                None,
            ),
            // A flow limit gives a period of 300: seq is not reduced by it.
            compile(&udp4_frame(18, 1), vec![source_port.clone()], Some(300)),
            // 54..62 of IPv6/UDP: the port and checksum.
            compile(
                &ipv6_udp_frame(&[0; 18]),
                vec![field(54, 2, FieldOp::Inc, 1, 1000)],
                None,
            ),
            // No UDP checksum, a span over the stamp.
            compile(
                &udp4_frame(18, 0),
                vec![field(36, 2, FieldOp::Inc, 1, 1000)],
                None,
            ),
        ],
        1,
        Some(StampClock::Monotonic),
    ) else {
        return;
    };
    let spans: Vec<_> = harness
        .placements
        .iter()
        .map(|placement| placement.map(|p| p.span()))
        .collect();
    assert_eq!(
        spans,
        [
            Some(34..42),
            Some(36..44),
            Some(40..72),
            Some(22..30),
            Some(34..42),
            Some(54..62),
            Some(36..44)
        ]
    );
    let mut call = 0;
    for template in 0..7 {
        check_calls(&harness, template, &BASES, &mut call);
    }
    assert_eq!(harness.run(6, 0, call + 1, 5, 3)[40..42], [0, 0]);
}

#[test]
fn a_patch_onto_the_stamp_without_the_checksum_is_computed_instead() {
    // A field in the padding after the UDP segment (42..60), which no
    // checksum covers: its word, 56..64, would write the stamp's last 4
    // bytes and not the checksum.
    let mut frame = udp4_frame(18, 1);
    frame.resize(64, 0);
    let template = compile(&frame, vec![field(60, 2, FieldOp::Inc, 1, 1000)], None);
    let Some(unstamped) = Harness::load(vec![template.clone()], 1) else {
        return;
    };
    assert_eq!(unstamped.placements[0].map(|p| p.span()), Some(56..64));
    drop(unstamped);
    let harness =
        Harness::load_stamped(vec![template], 1, Some(StampClock::Monotonic)).expect("loaded");
    assert!(!harness.patched(0));
    let mut call = 0;
    check_calls(&harness, 0, &BASES, &mut call);
}

#[test]
fn one_slot_stamps_every_kind_of_template_in_turn() {
    let Some(harness) = Harness::load_stamped(
        vec![
            fixed(&udp4_frame(18, 1)),
            compile(
                &udp4_frame(18, 1),
                vec![field(36, 2, FieldOp::Inc, 1, 1000)],
                None,
            ),
            compile(
                &udp4_frame(18, 1),
                vec![seeded(field(34, 2, FieldOp::Random, 1, 65535), 9)],
                None,
            ),
        ],
        1,
        Some(StampClock::Monotonic),
    ) else {
        return;
    };
    assert!(harness.patched(1) && !harness.patched(2));
    let mut call = 0;
    for base in [0, 999, 1 << 50] {
        for template in [0, 1, 2, 1, 0, 2] {
            call += 1;
            check_stamp(&harness, template, (0, call), (base, 5), base + 4);
        }
    }
}

/// BPF_PROG_RUN calls of `REPEAT` frames (not live) whose best is taken.
const COST_CALLS: usize = 7;
const REPEAT: u32 = 1_000_000;

/// The least ns a frame of COST_CALLS calls took, as the kernel times them.
fn ns_per_frame(harness: &Harness, data: &[u8], context: Option<&[u8]>) -> u128 {
    let mut output = vec![0; data.len()];
    (0..COST_CALLS)
        .map(|_| {
            harness
                .program()
                .test_run(TestRunOptions {
                    data_in: Some(data),
                    ctx_in: context,
                    data_out: Some(&mut output),
                    repeat: REPEAT,
                    ..TestRunOptions::new()
                })
                .expect("BPF_PROG_RUN")
                .duration
                .as_nanos()
        })
        .min()
        .expect("COST_CALLS > 0")
}

/// What the program takes a frame, without and with stamps, for a
/// template without fields, one with patches and one computed: a
/// measurement, not a test (`cargo test --release per_frame_cost --
/// --ignored --nocapture`, as root).
#[test]
#[ignore]
fn per_frame_cost() {
    let frame = udp4_frame(18, 1);
    let templates = || {
        vec![
            fixed(&frame),
            compile(&frame, vec![field(34, 2, FieldOp::Inc, 1000, 1999)], None),
            compile(
                &frame,
                vec![
                    field(34, 2, FieldOp::Inc, 1000, 1999),
                    seeded(field(36, 2, FieldOp::Random, 1, 65535), 5),
                ],
                None,
            ),
        ]
    };
    let Some(plain) = Harness::load(templates(), 1) else {
        return;
    };
    // As the engine runs it: a clock reading for each live-frames batch.
    let stamped = Harness::load_stamped_every(
        templates(),
        1,
        Some(StampClock::Monotonic),
        DEFAULT_XDP_BATCH_SIZE,
    )
    .expect("loaded");
    assert!(plain.patched(1) && !plain.patched(2) && stamped.patched(1));
    for harness in [&plain, &stamped] {
        let info = harness.program().info().expect("program info");
        eprintln!(
            "{}: {} bytes translated, {} jitted",
            if harness.stamping.is_some() {
                "stamped"
            } else {
                "plain"
            },
            info.size_translated().unwrap_or(0),
            info.size_jitted()
        );
    }
    let mut call = 0;
    for round in 0..3 {
        let mut line = format!("round {round}:");
        for (name, harness) in [("plain", &plain), ("stamped", &stamped)] {
            for template in 0..3 {
                call += 1;
                let (program, frame) = &harness.templates[template];
                let ns = if program.is_empty() && harness.stamping.is_none() {
                    ns_per_frame(harness, frame, None)
                } else {
                    let mut input = if program.is_empty() {
                        MetaFrame::stamp_only(frame, template as u32, 0)
                    } else {
                        MetaFrame::new(
                            frame,
                            template as u32,
                            harness.placements[template].as_ref(),
                            0,
                        )
                    };
                    input.set_call(call, 0);
                    ns_per_frame(harness, input.data(), Some(input.context()))
                };
                let kind = ["fixed", "patched", "computed"][template];
                line += &format!(" {name} {kind} {ns} ns,");
            }
        }
        eprintln!("{}", line.trim_end_matches(','));
    }
}
