//! The receive counter's stamp counts checked against plain Rust: the real
//! program (bpf/xdp_count.c), loaded and run by BPF_PROG_RUN on crafted
//! frames (not live: nothing is sent, the verdict only returned), must
//! count each stream's packets, duplicates, reordering and highest sequence
//! number exactly as [`Model`] does from the same arrivals, put each
//! latency in the bucket stamp/histogram.rs's bucket_of names, and find
//! the stamp behind every header stack the Rust side places one in. A
//! stream run alternately on two CPUs, and on both at once, counts as one;
//! a pinned counter's stamp maps reopen and are removed with it. A
//! count-only counter counts a stamped frame as a frame only, has no stamps
//! to read, and is known as count-only when its pin is reopened.
//! Loading a BPF program needs root: without it (or under `make unit`) the
//! tests return at once, saying so in a line.

use std::collections::HashSet;
use std::sync::Barrier;

use aya::programs::{TestRun, TestRunOptions, Xdp};
use aya::Ebpf;

use super::{
    open_object, pin_maps, remove_pinned, take_maps, AttachMode, Attachment, Counter, StreamStamps,
    Tracking, Verdict, PINNED_MAP, PROGRAM,
};
use crate::error::ErrorKind;
use crate::fields::{splitmix64, FieldProgram};
use crate::kernel::bpf::{can_load_bpf, load_xdp};
use crate::kernel::cpu::pin_current_thread;
use crate::stamp::histogram::{bucket_bounds, bucket_of, BUCKETS};
use crate::stamp::{Stamp, StampClock, StampSite, STAMP_LEN};

const XDP_DROP: u32 = 1;
/// 64-number words the duplicate window covers, the highest number's
/// word included.
const WINDOW_WORDS: u64 = 64;

/// The loaded program, not attached, and the counter reading its maps.
struct Harness {
    ebpf: Ebpf,
    counter: Counter,
}

impl Harness {
    /// None, after a line saying why, where the program cannot be loaded.
    fn load() -> Option<Harness> {
        Harness::load_with(Tracking::Stamps, None)
    }

    /// With `pin_dir`, the maps are pinned there first.
    fn load_with(tracking: Tracking, pin_dir: Option<&std::path::Path>) -> Option<Harness> {
        if !can_load() {
            return None;
        }
        let subject = "test counter";
        let load = || -> crate::error::Result<Harness> {
            let mut ebpf = open_object(Verdict::Drop, tracking, subject)?;
            load_xdp(&mut ebpf, PROGRAM, subject)?;
            let maps = take_maps(&mut ebpf, tracking, subject)?;
            if let Some(dir) = pin_dir {
                pin_maps(dir, &maps)?;
            }
            let counter = Counter::new(maps, None, Attachment::Detached, subject)?;
            Ok(Harness { ebpf, counter })
        };
        Some(load().unwrap_or_else(|err| panic!("{}", err.message)))
    }

    fn program(&self) -> &Xdp {
        self.ebpf
            .program(PROGRAM)
            .and_then(|program| program.try_into().ok())
            .expect("loaded by load_xdp")
    }

    /// Runs the program `repeat` times on `frame`; its average time a run
    /// in ns.
    fn run_repeat(&self, frame: &[u8], repeat: u32) -> u64 {
        let result = self
            .program()
            .test_run(TestRunOptions {
                data_in: Some(frame),
                repeat,
                ..TestRunOptions::new()
            })
            .expect("BPF_PROG_RUN");
        assert_eq!(result.return_value, XDP_DROP);
        result.duration.as_nanos() as u64
    }

    fn run(&self, frame: &[u8]) {
        self.run_repeat(frame, 1);
    }

    fn streams(&self) -> Vec<StreamStamps> {
        self.counter.stamps(None).expect("stamps").streams
    }

    fn stream(&self, stream: u16) -> Option<StreamStamps> {
        self.streams().into_iter().find(|s| s.stream == stream)
    }

    fn reset(&mut self) {
        self.counter.reset_stamps().expect("reset");
        assert!(self.streams().is_empty());
        assert_eq!(self.counter.stamps(None).unwrap().stream_out_of_range, 0);
    }

    fn packets(&self) -> u64 {
        self.counter.counts().expect("counts").packets
    }
}

fn can_load() -> bool {
    can_load_bpf("receiver stamp tests")
}

// --- frames ------------------------------------------------------------------

const MACS: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

/// Ethernet with `tags` (TPID, TCI) and `ethertype`.
fn ethernet(tags: &[(u16, u16)], ethertype: u16) -> Vec<u8> {
    let mut frame = MACS.to_vec();
    for (tpid, tci) in tags {
        frame.extend_from_slice(&tpid.to_be_bytes());
        frame.extend_from_slice(&tci.to_be_bytes());
    }
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame
}

/// An IPv4 packet with `options` words of options and `flags_fragment`
/// (flags and fragment offset) carrying `l4`.
fn ipv4(protocol: u8, options: usize, flags_fragment: u16, l4: &[u8]) -> Vec<u8> {
    let header_len = 20 + options * 4;
    let mut packet = vec![0x40 | (header_len / 4) as u8, 0];
    packet.extend_from_slice(&((header_len + l4.len()) as u16).to_be_bytes());
    packet.extend_from_slice(&[0x12, 0x34]);
    packet.extend_from_slice(&flags_fragment.to_be_bytes());
    packet.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 77, 0, 2]);
    packet.extend(std::iter::repeat_n(1u8, options * 4));
    packet.extend_from_slice(l4);
    packet
}

fn ipv6(next_header: u8, l4: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x60, 0, 0, 0];
    packet.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    packet.extend_from_slice(&[next_header, 64]);
    for last in [1, 2] {
        packet.extend_from_slice(&[
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last,
        ]);
    }
    packet.extend_from_slice(l4);
    packet
}

fn udp(payload: &[u8]) -> Vec<u8> {
    let mut datagram = vec![0x04, 0x00, 0x00, 0x09];
    datagram.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    datagram.extend_from_slice(&[0, 0]);
    datagram.extend_from_slice(payload);
    datagram
}

/// A TCP segment whose header has `options` words of options.
fn tcp(options: usize, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0];
    segment.extend_from_slice(&[((5 + options) as u8) << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    segment.extend(std::iter::repeat_n(1u8, options * 4));
    segment.extend_from_slice(payload);
    segment
}

/// An ICMP (or ICMPv6) echo request.
fn icmp_echo(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut message = vec![kind, 0, 0, 0, 0x12, 0x34, 0, 1];
    message.extend_from_slice(payload);
    message
}

fn frame(ethernet: Vec<u8>, packet: Vec<u8>) -> Vec<u8> {
    let mut frame = ethernet;
    frame.extend_from_slice(&packet);
    frame
}

/// The minimum IPv4/UDP frame with room for a stamp, padded to 60 bytes.
fn udp4_frame() -> Vec<u8> {
    frame(
        ethernet(&[], 0x0800),
        ipv4(17, 0, 0x4000, &udp(&[0; STAMP_LEN])),
    )
}

/// Frames the Rust side can stamp, one of each header stack.
fn stampable_frames() -> Vec<(&'static str, Vec<u8>)> {
    let payload = [0xa5u8; 26];
    let v4 = ethernet(&[], 0x0800);
    let v6 = ethernet(&[], 0x86dd);
    let vlan = |ethertype| ethernet(&[(0x8100, 100)], ethertype);
    let qinq = |ethertype| ethernet(&[(0x88a8, 7), (0x8100, 100)], ethertype);
    vec![
        ("IPv4/UDP", udp4_frame()),
        (
            "IPv4/UDP, options",
            frame(v4.clone(), ipv4(17, 3, 0, &udp(&payload))),
        ),
        (
            "IPv4/UDP, 10 words of options",
            frame(v4.clone(), ipv4(17, 10, 0, &udp(&payload))),
        ),
        (
            "IPv4/TCP",
            frame(v4.clone(), ipv4(6, 0, 0, &tcp(0, &payload))),
        ),
        (
            "IPv4/TCP, options",
            frame(v4.clone(), ipv4(6, 1, 0, &tcp(3, &payload))),
        ),
        (
            "IPv4/ICMP",
            frame(v4.clone(), ipv4(1, 0, 0, &icmp_echo(8, &payload))),
        ),
        ("IPv6/UDP", frame(v6.clone(), ipv6(17, &udp(&payload)))),
        (
            "IPv6/TCP, options",
            frame(v6.clone(), ipv6(6, &tcp(10, &payload))),
        ),
        (
            "IPv6/ICMPv6",
            frame(v6.clone(), ipv6(58, &icmp_echo(128, &payload))),
        ),
        (
            "VLAN IPv4/UDP",
            frame(vlan(0x0800), ipv4(17, 0, 0, &udp(&payload))),
        ),
        (
            "VLAN IPv6/TCP",
            frame(vlan(0x86dd), ipv6(6, &tcp(0, &payload))),
        ),
        (
            "QinQ IPv4/TCP",
            frame(qinq(0x0800), ipv4(6, 0, 0, &tcp(2, &payload))),
        ),
        (
            "QinQ IPv6/UDP",
            frame(qinq(0x86dd), ipv6(17, &udp(&payload))),
        ),
        (
            "IPv4/UDP padded past its IP length",
            frame(v4, ipv4(17, 0, 0, &udp(&payload)))
                .into_iter()
                .chain([0xee; 30])
                .collect(),
        ),
    ]
}

/// A template frame and where the Rust side writes its stamps.
struct Stamper {
    frame: Vec<u8>,
    site: StampSite,
}

impl Stamper {
    fn new(frame: Vec<u8>) -> Stamper {
        let site = StampSite::find(&frame, &FieldProgram::none()).expect("a stamp site");
        Stamper { frame, site }
    }

    fn stamped(&self, stamp: &Stamp) -> Vec<u8> {
        let mut frame = self.frame.clone();
        self.site.write(&mut frame, stamp);
        frame
    }
}

fn stamp(stream: u16, seq: u64, tx_ns: u64) -> Stamp {
    Stamp {
        stream,
        clock: StampClock::Monotonic,
        seq,
        tx_ns,
    }
}

/// A stamp sent `age_ns` ago on the monotonic clock.
fn aged(stream: u16, seq: u64, age_ns: u64) -> Stamp {
    stamp(
        stream,
        seq,
        StampClock::Monotonic.now_ns().wrapping_sub(age_ns),
    )
}

// --- the reference -------------------------------------------------------------

/// One stream's sequence counts, from the definitions: a packet is a
/// duplicate if its number arrived before, reordered (RFC 4737) if not and
/// below the highest before it; one whose number is below the window
/// (4096 numbers, whole 64-number words, below the highest's word end) is
/// reordered and counted beyond the window, never a duplicate.
#[derive(Debug, Default)]
struct Model {
    packets: u64,
    duplicated: u64,
    reordered: u64,
    beyond_window: u64,
    highest: Option<u64>,
    arrived: HashSet<u64>,
}

impl Model {
    /// Returns whether the packet is a first copy.
    fn arrive(&mut self, seq: u64) -> bool {
        self.packets += 1;
        let Some(highest) = self.highest else {
            self.highest = Some(seq);
            self.arrived.insert(seq);
            return true;
        };
        if seq > highest {
            self.highest = Some(seq);
            self.arrived.insert(seq);
            return true;
        }
        if (seq >> 6) + (WINDOW_WORDS - 1) < highest >> 6 {
            self.beyond_window += 1;
            self.reordered += 1;
            return true;
        }
        if !self.arrived.insert(seq) {
            self.duplicated += 1;
            return false;
        }
        if seq < highest {
            self.reordered += 1;
        }
        true
    }

    fn check(&self, got: &StreamStamps, what: &str) {
        assert_eq!(
            (
                got.packets,
                got.duplicated,
                got.reordered,
                got.beyond_window,
                got.highest_seq
            ),
            (
                self.packets,
                self.duplicated,
                self.reordered,
                self.beyond_window,
                self.highest.unwrap()
            ),
            "{what}: (packets, duplicated, reordered, beyond window, highest)"
        );
    }
}

/// Sends `seqs` on `stream` (reset first) and checks the counts against
/// the model's, and that every first copy, and only those, is a latency
/// sample.
fn check_sequence(harness: &mut Harness, stream: u16, seqs: &[u64], what: &str) {
    harness.reset();
    let stamper = Stamper::new(udp4_frame());
    let mut model = Model::default();
    let mut samples = 0;
    for &seq in seqs {
        harness.run(&stamper.stamped(&aged(stream, seq, 1_000_000)));
        samples += u64::from(model.arrive(seq));
    }
    let got = harness.stream(stream).expect("the stream");
    model.check(&got, what);
    assert_eq!(got.bytes, seqs.len() as u64 * stamper.frame.len() as u64);
    let latency = got.latency.expect("latency samples");
    assert_eq!(latency.count, samples, "{what}: latency samples");
    let in_histogram: u64 = latency.histogram.iter().map(|b| b.count).sum();
    assert_eq!(in_histogram, samples, "{what}: histogram samples");
}

/// A deterministic stream of numbers for the tests.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        splitmix64(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// --- the tests -------------------------------------------------------------------

#[test]
fn every_header_stack_the_sender_stamps_is_counted_on_its_stream() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    harness.reset();
    let frames = stampable_frames();
    for (stream, (name, frame)) in frames.iter().enumerate() {
        let stamper = Stamper::new(frame.clone());
        for seq in 0..3 {
            harness.run(&stamper.stamped(&aged(stream as u16, seq, 5_000)));
        }
        let got = harness
            .stream(stream as u16)
            .unwrap_or_else(|| panic!("{name}: not counted as stamped"));
        assert_eq!(
            (got.packets, got.bytes),
            (3, 3 * frame.len() as u64),
            "{name}"
        );
        assert_eq!(got.highest_seq, 2, "{name}");
        assert_eq!(got.clock, StampClock::Monotonic);
    }
    assert_eq!(harness.streams().len(), frames.len());
}

#[test]
fn frames_without_a_whole_valid_stamp_are_only_counted() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    harness.reset();
    let valid = aged(1, 0, 1_000);
    let stamp_bytes = valid.encode();
    let v4 = ethernet(&[], 0x0800);
    let v6 = ethernet(&[], 0x86dd);
    let full = udp4_frame();
    let stamped_udp4 = Stamper::new(full.clone()).stamped(&valid);
    let mut not_stamps: Vec<(&str, Vec<u8>)> = vec![
        (
            "cut inside the stamp",
            stamped_udp4[..stamped_udp4.len() - 1].to_vec(),
        ),
        ("cut after the UDP header", stamped_udp4[..42].to_vec()),
        ("cut inside the IPv4 header", stamped_udp4[..30].to_vec()),
        ("Ethernet header only", stamped_udp4[..14].to_vec()),
        ("IPv4 length short of the stamp's end", {
            let mut frame = stamped_udp4.clone();
            frame[16..18].copy_from_slice(&45u16.to_be_bytes());
            frame
        }),
        (
            "IPv4 fragment (more fragments)",
            frame(v4.clone(), ipv4(17, 0, 0x2000, &udp(&stamp_bytes))),
        ),
        (
            "IPv4 fragment (offset)",
            frame(v4.clone(), ipv4(17, 0, 0x0001, &udp(&stamp_bytes))),
        ),
        ("IPv4 header length below 5 words", {
            let mut frame = stamped_udp4.clone();
            frame[14] = 0x44;
            frame
        }),
        (
            "IPv4/GRE",
            frame(v4.clone(), ipv4(47, 0, 0, &udp(&stamp_bytes))),
        ),
        (
            "IPv6 hop-by-hop header",
            frame(v6.clone(), ipv6(0, &udp(&stamp_bytes))),
        ),
        (
            "IPv6/ICMP (not ICMPv6)",
            frame(v6.clone(), ipv6(1, &icmp_echo(8, &stamp_bytes))),
        ),
        (
            "IPv4/ICMPv6",
            frame(v4.clone(), ipv4(58, 0, 0, &icmp_echo(128, &stamp_bytes))),
        ),
        ("IPv6 length short of the stamp's end", {
            let mut frame = frame(v6.clone(), ipv6(17, &udp(&stamp_bytes)));
            frame[18..20].copy_from_slice(&25u16.to_be_bytes());
            frame
        }),
        ("TCP data offset below 5 words", {
            let mut segment = tcp(0, &stamp_bytes);
            segment[12] = 0x40;
            frame(v4.clone(), ipv4(6, 0, 0, &segment))
        }),
        (
            "three VLAN tags",
            frame(
                ethernet(&[(0x88a8, 1), (0x8100, 2), (0x8100, 3)], 0x0800),
                ipv4(17, 0, 0, &udp(&stamp_bytes)),
            ),
        ),
        ("ARP", frame(ethernet(&[], 0x0806), vec![0; 46])),
        ("a flipped bit", {
            let mut frame = stamped_udp4.clone();
            frame[50] ^= 0x10;
            frame
        }),
    ];
    let mut draws = Draws(77);
    for _ in 0..50_000 {
        let mut frame = full.clone();
        for byte in &mut frame[42..] {
            *byte = draws.next() as u8;
        }
        not_stamps.push(("random payload", frame));
    }
    let before = harness.packets();
    for (name, frame) in &not_stamps {
        harness.run(frame);
        if *name != "random payload" {
            assert!(harness.streams().is_empty(), "{name}: counted as a stamp");
        }
    }
    assert!(
        harness.streams().is_empty(),
        "a random payload was counted as a stamp"
    );
    assert_eq!(harness.counter.stamps(None).unwrap().stream_out_of_range, 0);
    assert_eq!(harness.packets() - before, not_stamps.len() as u64);
    // The stamped frame itself counts, as a check of the cases above.
    harness.run(&stamped_udp4);
    assert_eq!(harness.stream(1).map(|s| s.packets), Some(1));
}

#[test]
fn sequences_count_exactly_as_the_model() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    let mut draws = Draws(4737);

    let in_order: Vec<u64> = (0..3_000).collect();
    check_sequence(&mut harness, 0, &in_order, "in order");

    let dropped: Vec<u64> = (0..6_000).filter(|s| s % 7 != 3 && s % 1000 > 40).collect();
    check_sequence(&mut harness, 1, &dropped, "with drops");

    let mut duplicated = Vec::new();
    for seq in 0..5_000u64 {
        duplicated.push(seq);
        if draws.below(10) == 0 {
            duplicated.push(seq - draws.below(seq + 1).min(200));
        }
        if draws.below(50) == 0 {
            duplicated.push(seq);
        }
    }
    check_sequence(&mut harness, 2, &duplicated, "with duplicates");

    let mut swapped: Vec<u64> = (0..5_000).collect();
    for i in (0..swapped.len() - 1).step_by(3) {
        swapped.swap(i, i + 1);
    }
    check_sequence(&mut harness, 3, &swapped, "adjacent swaps");

    // Displaced by up to ~5000: some late packets fall out of the window.
    let mut displaced: Vec<(u64, u64)> = (0..20_000u64)
        .map(|seq| {
            let delay = match draws.below(100) {
                0..=79 => 0,
                80..=96 => draws.below(100),
                _ => draws.below(5_000),
            };
            (seq + delay, seq)
        })
        .collect();
    displaced.sort();
    let mut displaced: Vec<u64> = displaced.into_iter().map(|(_, seq)| seq).collect();
    for _ in 0..500 {
        let at = draws.below(displaced.len() as u64) as usize;
        let copy = displaced[at];
        displaced.insert(
            at + draws.below(3_000) as usize % (displaced.len() - at),
            copy,
        );
    }
    check_sequence(
        &mut harness,
        4,
        &displaced,
        "displaced, late and duplicated",
    );

    // Jumps far beyond the window, then packets from before each jump:
    // late ones (beyond the window), re-sent ones within it (duplicates),
    // and the window's edges.
    let mut jumps: Vec<u64> = (0..100).collect();
    jumps.extend(100_000..100_100);
    jumps.extend([50, 99, 100_050, 100_099, 99_000, 99_000]);
    let top = 100_099u64;
    let low = ((top >> 6) - 63) * 64;
    jumps.extend([low, low - 1, low, low + 64, low + 63]);
    jumps.extend([top + 4096, top + 1, top + 4096 - 1, top + 4096 + 64]);
    jumps.extend((1 << 30)..(1 << 30) + 70);
    jumps.extend([(1 << 30) - 1, (1 << 30) + 5, 5]);
    let near_end = (1 << 48) - 200;
    jumps.extend(near_end..near_end + 199);
    jumps.extend([near_end + 100, near_end - 4096, near_end + 199, 0]);
    check_sequence(&mut harness, 5, &jumps, "far jumps");

    // Jumps of exactly the window and of one word, from word boundaries.
    let mut edges: Vec<u64> = (0..64).collect();
    edges.extend([
        63 + 4096,
        64,
        4096,
        4095,
        4159,
        4160,
        127,
        128,
        4159 + 64,
        4159 + 4096 * 2,
    ]);
    edges.extend([
        4159 + 4096,
        4159 + 4097,
        4159 + 4096 * 2 - 64 * 63,
        4159 + 4096 * 2 - 64 * 64,
    ]);
    check_sequence(&mut harness, 6, &edges, "window edges");

    // A random walk over a small range: many duplicates and reorderings.
    let walk: Vec<u64> = (0..10_000).map(|i| i / 3 + draws.below(300)).collect();
    check_sequence(&mut harness, 255, &walk, "random walk");
}

#[test]
fn latency_is_measured_on_the_stamps_clock_and_a_clock_ahead_is_counted_apart() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    harness.reset();
    let stamper = Stamper::new(udp4_frame());
    // Ages alternating 1 ms and 3 ms: latency within what the runs took,
    // and the RFC 3550 jitter of |D| = 2 ms each time, approached from 0.
    let mut jitter = 0.0f64;
    let mut slowest_run = 0;
    let ages = [1_000_000u64, 3_000_000];
    for seq in 0..200u64 {
        let age = ages[(seq % 2) as usize];
        let before = StampClock::Monotonic.now_ns();
        harness.run(&stamper.stamped(&stamp(0, seq, before.wrapping_sub(age))));
        slowest_run = slowest_run.max(StampClock::Monotonic.now_ns() - before);
        if seq > 0 {
            jitter += (2_000_000.0 - jitter) / 16.0;
        }
    }
    // A duplicate and a stamp from the future: no samples.
    harness.run(&stamper.stamped(&stamp(0, 7, StampClock::Monotonic.now_ns())));
    harness.run(&stamper.stamped(&stamp(
        0,
        200,
        StampClock::Monotonic.now_ns() + 1_000_000_000,
    )));
    let got = harness.stream(0).unwrap();
    assert_eq!((got.packets, got.duplicated, got.clock_ahead), (202, 1, 1));
    let latency = got.latency.unwrap();
    assert_eq!(latency.count, 200);
    assert!(latency.min_ns >= 1_000_000 && latency.min_ns <= 1_000_000 + slowest_run);
    assert!(latency.max_ns >= 3_000_000 && latency.max_ns <= 3_000_000 + slowest_run);
    let mean = 2_000_000.0;
    assert!(
        (latency.mean_ns - mean).abs() <= slowest_run as f64,
        "mean {}",
        latency.mean_ns
    );
    assert_eq!(
        latency.sum_ns as f64 / 200.0,
        latency.mean_ns,
        "the sum the mean is of"
    );
    // Half the samples near 1 ms, half near 3 ms: the median is the last of
    // the first half (nearest rank), p90 in the second.
    assert!(
        latency.p50_ns.abs_diff(1_000_000) <= slowest_run + 10_000,
        "p50 {}",
        latency.p50_ns
    );
    assert!(
        latency.p90_ns.abs_diff(3_000_000) <= slowest_run + 30_000,
        "p90 {}",
        latency.p90_ns
    );
    assert!(
        (latency.jitter_ns - jitter).abs() <= slowest_run as f64 * 2.0 + 1.0,
        "jitter {} vs {jitter}",
        latency.jitter_ns
    );
    assert!(latency.jitter_ns > 1_900_000.0);

    // Only stamps from the future: no latency at all.
    let ahead = Stamper::new(udp4_frame());
    harness.run(&ahead.stamped(&stamp(1, 0, StampClock::Monotonic.now_ns() + 5_000_000)));
    let got = harness.stream(1).unwrap();
    assert_eq!((got.packets, got.clock_ahead, got.latency), (1, 1, None));

    // CLOCK_TAI stamps are timed on CLOCK_TAI.
    for seq in 0..10 {
        let tai = Stamp {
            stream: 2,
            clock: StampClock::Tai,
            seq,
            tx_ns: StampClock::Tai.now_ns().wrapping_sub(2_000_000),
        };
        harness.run(&stamper.stamped(&tai));
    }
    let got = harness.stream(2).unwrap();
    assert_eq!((got.clock, got.clock_ahead), (StampClock::Tai, 0));
    let latency = got.latency.unwrap();
    assert!(
        latency.min_ns >= 2_000_000 && latency.max_ns < 2_000_000 + 50 * slowest_run.max(100_000)
    );
}

#[test]
fn the_program_puts_each_latency_in_the_bucket_rust_computes() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    let stamper = Stamper::new(udp4_frame());
    let mut draws = Draws(3550);
    let mut checked = HashSet::new();
    // One packet a stream, sent `offset(stream)` ns before now, so each
    // stream's min (= max) is its latency exactly and its histogram holds
    // one sample. Returns the latencies (None: the clock was ahead).
    let mut round = |harness: &mut Harness, offset: &[i64]| -> Vec<Option<u64>> {
        harness.reset();
        for (stream, &offset) in offset.iter().enumerate() {
            let tx_ns = StampClock::Monotonic.now_ns().wrapping_add_signed(-offset);
            harness.run(&stamper.stamped(&stamp(stream as u16, 0, tx_ns)));
        }
        let mut latencies = vec![None; offset.len()];
        for got in harness.streams() {
            let Some(latency) = got.latency else {
                assert_eq!(got.clock_ahead, 1);
                continue;
            };
            assert_eq!((latency.count, latency.min_ns), (1, latency.max_ns));
            let bucket = bucket_of(latency.min_ns);
            let (from_ns, to_ns) = bucket_bounds(bucket);
            assert_eq!(latency.histogram.len(), 1, "latency {}", latency.min_ns);
            let only = latency.histogram[0];
            assert_eq!(
                (only.from_ns, only.to_ns, only.count),
                (from_ns, to_ns, 1),
                "latency {} ns: the program's bucket is not bucket {bucket}",
                latency.min_ns
            );
            checked.insert(bucket);
            latencies[usize::from(got.stream)] = Some(latency.min_ns);
        }
        latencies
    };
    // Ages spread over every power of two to 2^41 ns: the last bucket's
    // range and beyond.
    for _ in 0..4 {
        let ages: Vec<i64> = (0..256)
            .map(|_| {
                let age = 1i64 << (10 + draws.below(31));
                age + draws.below(age as u64) as i64
            })
            .collect();
        round(&mut harness, &ages);
    }
    // Small latencies: stamps sent in the future by about the delay from
    // reading the clock to the program's run, taken as the shortest seen
    // so far, less up to 400 ns.
    let mut delay = 0i64;
    for _ in 0..12 {
        let targets: Vec<i64> = (0..256).map(|_| draws.below(400) as i64).collect();
        let offsets: Vec<i64> = targets.iter().map(|target| target - delay).collect();
        let latencies = round(&mut harness, &offsets);
        delay = latencies
            .iter()
            .zip(&offsets)
            .filter_map(|(latency, offset)| Some(latency.map(|l| l as i64)? - offset))
            .min()
            .unwrap_or(delay);
    }
    assert!(checked.iter().any(|&b| b >= BUCKETS - 1), "the last bucket");
    assert!(checked.iter().any(|&b| b < 128), "a bucket under 128 ns");
    assert!(
        checked.iter().filter(|&&b| b < 256).count() >= 100,
        "buckets under 256 ns"
    );
    assert!(checked.len() > 1_000, "{} buckets", checked.len());
}

#[test]
fn streams_beyond_the_tracked_ones_are_counted_apart() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    harness.reset();
    let stamper = Stamper::new(udp4_frame());
    for stream in [256, 300, 0x7fff] {
        harness.run(&stamper.stamped(&aged(stream, 0, 1_000)));
    }
    harness.run(&stamper.stamped(&aged(255, 0, 1_000)));
    let stamps = harness.counter.stamps(None).unwrap();
    assert_eq!(stamps.stream_out_of_range, 3);
    assert_eq!(stamps.streams.len(), 1);
    assert_eq!(stamps.streams[0].stream, 255);
    harness.reset();
}

#[test]
fn the_total_latency_adds_the_streams_and_a_limit_keeps_only_the_runs() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    harness.reset();
    let stamper = Stamper::new(udp4_frame());
    // Stream 0 a microsecond old, stream 1 a millisecond (three times as
    // many), stream 2 another sender's.
    for seq in 0..100 {
        harness.run(&stamper.stamped(&aged(0, seq, 1_000)));
    }
    for seq in 0..300 {
        harness.run(&stamper.stamped(&aged(1, seq, 1_000_000)));
    }
    harness.run(&stamper.stamped(&aged(2, 0, 50_000_000)));
    let run = harness.counter.stamps(Some(2)).unwrap();
    assert_eq!(
        run.streams.iter().map(|s| s.stream).collect::<Vec<_>>(),
        [0, 1]
    );
    let total = run.total.unwrap();
    let per_stream: Vec<_> = run
        .streams
        .iter()
        .map(|s| s.latency.clone().unwrap())
        .collect();
    assert_eq!(total.count, 400);
    assert_eq!(total.min_ns, per_stream[0].min_ns);
    assert_eq!(total.max_ns, per_stream[1].max_ns);
    // A quarter of the packets are the young stream's: p50 and p90 are
    // the old one's, and the histogram holds every sample.
    assert!(
        total.p50_ns >= 1_000_000 && total.p90_ns < 50_000_000,
        "{total:?}"
    );
    assert_eq!(total.histogram.iter().map(|b| b.count).sum::<u64>(), 400);
    let sum = |l: &crate::receiver::LatencyStats| l.mean_ns * l.count as f64;
    let mean = (sum(&per_stream[0]) + sum(&per_stream[1])) / 400.0;
    assert!(
        (total.mean_ns - mean).abs() < 1.0,
        "{} vs {mean}",
        total.mean_ns
    );
    let everything = harness.counter.stamps(None).unwrap();
    assert_eq!(everything.streams.len(), 3);
    assert!(everything.total.unwrap().max_ns >= 50_000_000);
    harness.reset();
}

#[test]
fn a_stream_spread_over_two_cpus_counts_as_one() {
    let Some(mut harness) = Harness::load() else {
        return;
    };
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("cross-CPU stamp test skipped: needs two CPUs");
        return;
    }
    let stamper = Stamper::new(udp4_frame());
    let mut draws = Draws(2);
    // Displacements, duplicates and a late packet, alternately on CPU 0 and
    // CPU 1: exactly the model's counts.
    let mut seqs: Vec<u64> = (0..4_000).collect();
    for i in (0..seqs.len() - 8).step_by(5) {
        seqs.swap(i, i + 1 + draws.below(7) as usize);
    }
    seqs.extend([10, 20, 3_999, 9_000, 100, 4_800]);
    harness.reset();
    let turn = Barrier::new(2);
    let program = harness.program();
    std::thread::scope(|scope| {
        for cpu in 0..2u32 {
            let (turn, seqs, stamper) = (&turn, &seqs, &stamper);
            scope.spawn(move || {
                pin_current_thread(cpu).expect("pin to a CPU");
                for (i, &seq) in seqs.iter().enumerate() {
                    // Packet i is CPU i % 2's, run while the other waits.
                    turn.wait();
                    if i % 2 == cpu as usize {
                        let frame = stamper.stamped(&aged(9, seq, 10_000));
                        program
                            .test_run(TestRunOptions {
                                data_in: Some(&frame),
                                ..TestRunOptions::new()
                            })
                            .expect("BPF_PROG_RUN");
                    }
                    turn.wait();
                }
            });
        }
    });
    let mut model = Model::default();
    let samples = seqs.iter().filter(|&&seq| model.arrive(seq)).count() as u64;
    let got = harness.stream(9).unwrap();
    model.check(&got, "alternating CPUs");
    assert_eq!(got.latency.unwrap().count, samples);

    // Both CPUs at once, each sending every number: one of the two copies
    // of each is a duplicate, whichever lands second.
    harness.reset();
    let program = harness.program();
    let start = Barrier::new(2);
    std::thread::scope(|scope| {
        for cpu in 0..2u32 {
            let (start, stamper) = (&start, &stamper);
            scope.spawn(move || {
                pin_current_thread(cpu).expect("pin to a CPU");
                start.wait();
                for seq in 0..4_000 {
                    let frame = stamper.stamped(&aged(10, seq, 10_000));
                    program
                        .test_run(TestRunOptions {
                            data_in: Some(&frame),
                            ..TestRunOptions::new()
                        })
                        .expect("BPF_PROG_RUN");
                }
            });
        }
    });
    let got = harness.stream(10).unwrap();
    assert_eq!(
        (
            got.packets,
            got.duplicated,
            got.beyond_window,
            got.highest_seq
        ),
        (8_000, 4_000, 0, 3_999)
    );
    let latency = got.latency.unwrap();
    assert_eq!(latency.count, 4_000);
    assert_eq!(
        latency.histogram.iter().map(|b| b.count).sum::<u64>(),
        4_000
    );
}

#[test]
fn a_pinned_counter_reopens_with_its_stamps_and_is_removed_whole() {
    let dir = std::path::PathBuf::from(format!(
        "/sys/fs/bpf/xdperf-stamp-test-{}",
        std::process::id()
    ));
    let _ = remove_pinned(&dir);
    let Some(harness) = Harness::load_with(Tracking::Stamps, Some(&dir)) else {
        return;
    };
    let stamper = Stamper::new(udp4_frame());
    for seq in [0, 1, 1, 3] {
        harness.run(&stamper.stamped(&aged(4, seq, 20_000)));
    }
    harness.run(&stamper.stamped(&aged(4_000, 0, 20_000)));
    let mut opened = Counter::open_pinned(&dir).expect("open the pin");
    let stamps = opened.stamps(None).unwrap();
    assert_eq!(stamps, harness.counter.stamps(None).unwrap());
    assert_eq!((stamps.streams.len(), stamps.stream_out_of_range), (1, 1));
    assert_eq!(
        (stamps.streams[0].packets, stamps.streams[0].duplicated),
        (4, 1)
    );
    // What one run resets, every opener of the pin sees reset.
    opened.reset_stamps().unwrap();
    assert!(harness.streams().is_empty());
    assert_eq!(harness.counter.stamps(None).unwrap().stream_out_of_range, 0);
    assert_eq!(harness.packets(), 5);
    drop(opened);
    assert!(remove_pinned(&dir).unwrap());
    assert!(!dir.exists(), "a pinned file was left behind");
    harness.run(&stamper.stamped(&aged(4, 9, 20_000)));
    assert_eq!(harness.stream(4).unwrap().packets, 1);

    // A counter an xdperf without stamps pinned: counts, no stamps.
    let subject = "old counter";
    let mut ebpf = open_object(Verdict::Drop, Tracking::Stamps, subject).unwrap();
    let maps = take_maps(&mut ebpf, Tracking::Stamps, subject).unwrap();
    std::fs::create_dir(&dir).unwrap();
    maps.counts.pin(dir.join(PINNED_MAP)).unwrap();
    let mut old = Counter::open_pinned(&dir).expect("open the old pin");
    assert_eq!(old.counts().unwrap().packets, 0);
    assert!(!old.tracks_stamps() && !old.count_only());
    let err = old.stamps(None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(err.message.contains("an older xdperf"), "{}", err.message);
    assert_eq!(old.reset_stamps().unwrap_err().kind, ErrorKind::Unsupported);
    assert!(remove_pinned(&dir).unwrap());
    assert!(!dir.exists());
}

// --- count-only --------------------------------------------------------------

#[test]
fn a_count_only_counter_counts_a_stamped_frame_as_a_frame_only() {
    let Some(mut harness) = Harness::load_with(Tracking::CountOnly, None) else {
        return;
    };
    assert!(harness.counter.count_only() && !harness.counter.tracks_stamps());
    let stamped = Stamper::new(udp4_frame()).stamped(&aged(4, 0, 20_000));
    harness.run(&stamped);
    harness.run(&stamped);
    let counts = harness.counter.counts().unwrap();
    assert_eq!(
        (counts.packets, counts.bytes),
        (2, 2 * stamped.len() as u64)
    );
    let err = harness.counter.stamps(None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert_eq!(
        err.message,
        "test counter counts frames only (attached count-only): detach it and attach one that tracks stamps to read them"
    );
    assert_eq!(harness.counter.reset_stamps().unwrap_err(), err);

    // The verifier pruned the stamp code: what runs is a fraction of it.
    let Some(tracking) = Harness::load() else {
        return;
    };
    let size = |harness: &Harness| {
        let info = harness.program().info().expect("program info");
        info.size_translated().expect("translated size")
    };
    let (count_only, full) = (size(&harness), size(&tracking));
    assert!(
        count_only * 4 < full,
        "count-only program {count_only} bytes, stamp-tracking {full}"
    );
}

/// A network namespace of the test's own (for an interface to attach to:
/// its loopback, which nothing sends on), deleted when dropped.
struct TestNetns(String);

impl TestNetns {
    fn add(name: String) -> TestNetns {
        // One a killed run left behind.
        if std::path::Path::new("/run/netns").join(&name).exists() {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &name])
                .status();
        }
        let status = std::process::Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .expect("run ip netns add");
        assert!(status.success(), "ip netns add {name}: {status}");
        TestNetns(name)
    }

    /// `ip -d link show IFNAME` in the namespace.
    fn link(&self, ifname: &str) -> String {
        let output = std::process::Command::new("ip")
            .args(["-n", &self.0, "-d", "link", "show", ifname])
            .output()
            .expect("run ip link show");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.0])
            .status();
    }
}

#[test]
fn a_pinned_count_only_counter_reopens_as_count_only_and_is_removed_whole() {
    if !can_load() {
        return;
    }
    let pid = std::process::id();
    let dir = std::path::PathBuf::from(format!("/sys/fs/bpf/xdperf-count-only-test-{pid}"));
    let _ = remove_pinned(&dir);
    let netns = TestNetns::add(format!("xdperf-count-only-test-{pid}"));
    let attached = Counter::attach(
        "lo",
        Verdict::Pass,
        Tracking::CountOnly,
        Some(netns.0.clone()),
        Some(dir.clone()),
    )
    .unwrap_or_else(|err| panic!("{}", err.message));
    assert!(attached.count_only());
    assert!(
        netns.link("lo").contains("xdpgeneric"),
        "{}",
        netns.link("lo")
    );
    let mut pins: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pins.sort();
    assert_eq!(pins, [PINNED_MAP, "xdp_link_generic_count_only"]);

    let mut opened = Counter::open_pinned(&dir).expect("open the pin");
    assert!(opened.count_only() && !opened.tracks_stamps());
    assert_eq!(opened.mode(), Some(AttachMode::Generic));
    assert_eq!(opened.counts().unwrap().packets, 0);
    let err = opened.stamps(None).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert_eq!(
        err.message,
        format!(
            "pinned counter {} counts frames only (pinned count-only): remove it and pin one that tracks stamps to read them",
            dir.display()
        )
    );
    assert_eq!(opened.reset_stamps().unwrap_err(), err);
    drop((attached, opened));
    assert!(remove_pinned(&dir).unwrap());
    assert!(!dir.exists(), "a pinned file was left behind");
    // The kernel lets go of the link once bpffs frees the pin's inode,
    // after an RCU grace period.
    let detached = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        !netns.link("lo").contains("xdp")
    });
    assert!(detached, "still attached: {}", netns.link("lo"));
}

/// The program's time a frame (BPF_PROG_RUN's own average over the runs),
/// stamp-tracking and count-only, printed, not asserted: `cargo test
/// --release stamp_costs -- --ignored --nocapture`, as root.
#[test]
#[ignore]
fn stamp_costs() {
    for tracking in [Tracking::Stamps, Tracking::CountOnly] {
        let Some(harness) = Harness::load_with(tracking, None) else {
            return;
        };
        println!("{tracking:?}:");
        print_costs(&harness);
    }
}

fn print_costs(harness: &Harness) {
    const REPEAT: u32 = 1_000_000;
    let stamper = Stamper::new(udp4_frame());
    let mut random = udp4_frame();
    for (i, byte) in random[42..].iter_mut().enumerate() {
        *byte = splitmix64(i as u64) as u8;
    }
    let arp = frame(ethernet(&[], 0x0806), vec![0; 46]);
    let once = stamper.stamped(&aged(0, 0, 1_000));
    let line = |name: &str, frame: &[u8]| {
        let ns: Vec<u64> = (0..5).map(|_| harness.run_repeat(frame, REPEAT)).collect();
        println!("  {name}: {ns:?} ns a frame (5 runs of {REPEAT})");
    };
    line("non-IP frame (ARP)", &arp);
    line("IPv4/UDP, payload not a stamp", &random);
    line("IPv4/UDP, stamped (a duplicate after the first)", &once);
    // A run repeats one frame, so a new packet (sequence number) takes a
    // call each: their average, next to the same for unstamped frames,
    // whose difference is the stamped path's cost.
    let calls = 200_000u64;
    let frames: Vec<Vec<u8>> = (1..=calls)
        .map(|seq| stamper.stamped(&aged(1, seq, 5_000)))
        .collect();
    let single = |frames: &mut dyn Iterator<Item = &Vec<u8>>| {
        let (mut total, mut n) = (0, 0);
        for frame in frames {
            total += harness.run_repeat(frame, 1);
            n += 1;
        }
        total as f64 / n as f64
    };
    let stamped = single(&mut frames.iter());
    let unstamped = single(&mut std::iter::repeat_n(&random, calls as usize));
    println!(
        "  single runs ({calls}): new stamped packet {stamped:.1} ns, unstamped {unstamped:.1} ns (each with the run's own timing)"
    );
}
