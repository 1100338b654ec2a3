//! The live-frames program's field writes checked against the field core:
//! the real program, loaded and run by BPF_PROG_RUN on one frame (not live,
//! so the frame comes back and nothing is sent), must leave variant k in it
//! byte for byte as `FieldProgram::apply` writes it, and the core is
//! property-tested against full checksum computations. A run of repeat N
//! rewrites the same frame N times, as the kernel recycles live frames.
//! Both ways the program writes a variant are checked: from patches (a
//! template whose variants repeat) and computed (the others).
//! Loading a BPF program needs root: without it (or under `make unit`) the
//! tests return at once, saying so in a line.

use aya::programs::{TestRun, TestRunOptions, Xdp};
use aya::Ebpf;

use super::patches::place_patches;
use super::{load_object, PROGRAM};
pub(super) use crate::fields::tests::{chained, list, range as field};
use crate::fields::{FieldOp, FieldProgram, FieldSpec};
use crate::kernel::bpf::can_load_bpf;
use crate::kernel::field_maps::{map_patches, MetaFrame, PatchPlacement};
use crate::plan::Stamping;
use crate::stamp::{StampClock, StampSite};

/// No interface has this index: the program's check for frames the target
/// receives never matches (a test frame arrives on lo), and its redirect is
/// never carried out in a run that is not live.
const NO_INTERFACE: u32 = u32::MAX;

/// The loaded program and the templates (program, base frame) in its maps,
/// with where their patches are and, in a stamped run, their stamps.
pub(super) struct Harness {
    pub ebpf: Ebpf,
    pub templates: Vec<(FieldProgram, Vec<u8>)>,
    pub placements: Vec<Option<PatchPlacement>>,
    pub stamping: Option<Stamping>,
}

impl Harness {
    /// None, after a line saying why, where the program cannot be loaded.
    pub fn load(templates: Vec<(FieldProgram, Vec<u8>)>, slots: usize) -> Option<Harness> {
        Harness::load_stamped(templates, slots, None)
    }

    /// As load, for a run whose stamps are read from `clock`, if any, a
    /// reading each frame.
    pub fn load_stamped(
        templates: Vec<(FieldProgram, Vec<u8>)>,
        slots: usize,
        clock: Option<StampClock>,
    ) -> Option<Harness> {
        Harness::load_stamped_every(templates, slots, clock, 1)
    }

    /// As load_stamped, a clock reading stamping `clock_every` frames.
    pub fn load_stamped_every(
        templates: Vec<(FieldProgram, Vec<u8>)>,
        slots: usize,
        clock: Option<StampClock>,
        clock_every: u32,
    ) -> Option<Harness> {
        if !can_load_bpf("xdp field program tests") {
            return None;
        }
        let programs: Vec<FieldProgram> = templates.iter().map(|(p, _)| p.clone()).collect();
        let frames: Vec<Vec<u8>> = templates.iter().map(|(_, f)| f.clone()).collect();
        let stamping = clock.map(|clock| Stamping {
            clock,
            sites: templates
                .iter()
                .map(|(program, frame)| {
                    StampSite::find(frame, program).unwrap_or_else(|problem| panic!("{problem}"))
                })
                .collect(),
        });
        let sites = stamping.as_ref().map(|stamping| &stamping.sites[..]);
        let placements = place_patches(&programs, &frames, sites);
        let ebpf = load_object(
            NO_INTERFACE,
            &programs,
            &frames,
            &placements,
            stamping.as_ref(),
            clock_every,
            slots,
            "test program",
        )
        .unwrap_or_else(|err| panic!("{}", err.message));
        Some(Harness {
            ebpf,
            templates,
            placements,
            stamping,
        })
    }

    /// Whether the program copies template `template`'s variants from
    /// patches (else it computes them).
    pub fn patched(&self, template: usize) -> bool {
        self.placements[template].is_some()
    }

    pub fn program(&self) -> &Xdp {
        self.ebpf
            .program(PROGRAM)
            .and_then(|program| program.try_into().ok())
            .expect("loaded by load_object")
    }

    /// Runs `repeat` frames of one call (`call` of sender `slot`, first
    /// variant `base`) on template `template`'s base frame; the frame after.
    pub fn run(&self, template: usize, slot: u32, call: u32, base: u64, repeat: u32) -> Vec<u8> {
        let (program, frame) = &self.templates[template];
        let mut input = if program.is_empty() && self.stamping.is_some() {
            MetaFrame::stamp_only(frame, template as u32, slot)
        } else {
            MetaFrame::new(
                frame,
                template as u32,
                self.placements[template].as_ref(),
                slot,
            )
        };
        input.set_call(call, base);
        let mut output = vec![0; input.data().len()];
        let result = self
            .program()
            .test_run(TestRunOptions {
                data_in: Some(input.data()),
                ctx_in: Some(input.context()),
                data_out: Some(&mut output),
                repeat,
                ..TestRunOptions::new()
            })
            .expect("BPF_PROG_RUN");
        assert_eq!(result.data_size_out as usize, output.len());
        MetaFrame::frame_of(&output).to_vec()
    }

    /// Variant k of template `template`, as the core writes it.
    pub fn variant(&self, template: usize, k: u64) -> Vec<u8> {
        let (program, base) = &self.templates[template];
        let mut frame = base.clone();
        program.apply(&mut frame, k);
        frame
    }

    /// Checks that single calls at each of `ks`, and calls of up to 5
    /// frames ending there, leave the core's variant; `call` numbers them.
    fn check_variants(&self, template: usize, ks: &[u64], call: &mut u32) {
        for &k in ks {
            *call += 1;
            assert_eq!(
                self.run(template, 0, *call, k, 1),
                self.variant(template, k),
                "template {template}, variant {k}"
            );
            *call += 1;
            let first = k.saturating_sub(4);
            assert_eq!(
                self.run(template, 0, *call, first, (k - first + 1) as u32),
                self.variant(template, k),
                "template {template}, variant {k} after {first}.."
            );
        }
    }

    /// Checks that one call, run a frame at a time from `base`, steps
    /// through `steps` variants as the core has them.
    fn check_steps(&self, template: usize, base: u64, steps: u64, call: u32) {
        for step in 0..steps {
            let k = base.wrapping_add(step);
            assert_eq!(
                self.run(template, 0, call, base, 1),
                self.variant(template, k),
                "template {template}, variant {k} stepped to from {base}"
            );
        }
    }
}

pub(super) fn compile(
    frame: &[u8],
    fields: Vec<FieldSpec>,
    flows: Option<u64>,
) -> (FieldProgram, Vec<u8>) {
    FieldProgram::compile(frame, &fields, flows).unwrap_or_else(|err| panic!("{}", err.message))
}

pub(super) fn stepped(spec: FieldSpec, step: u64) -> FieldSpec {
    FieldSpec {
        step: Some(step),
        ..spec
    }
}

pub(super) fn seeded(spec: FieldSpec, seed: u64) -> FieldSpec {
    FieldSpec {
        seed: Some(seed),
        ..spec
    }
}

pub(super) const ETH_IPV4: [u8; 14] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];

/// Ethernet (with `tags`, each TPID and TCI, in front of the EtherType),
/// IPv4 10.0.0.1 → 10.77.0.2 and `l4` (protocol `protocol`). Checksums are
/// left for the core to compute, but a UDP one is 1 (0 would mean none).
pub(super) fn ipv4_frame(tags: &[(u16, u16)], protocol: u8, l4: &[u8]) -> Vec<u8> {
    let mut frame = ETH_IPV4[..12].to_vec();
    for (tpid, tci) in tags {
        frame.extend_from_slice(&tpid.to_be_bytes());
        frame.extend_from_slice(&tci.to_be_bytes());
    }
    frame.extend_from_slice(&ETH_IPV4[12..]);
    let total_length = (20 + l4.len()) as u16;
    frame.extend_from_slice(&[0x45, 0]);
    frame.extend_from_slice(&total_length.to_be_bytes());
    frame.extend_from_slice(&[0x12, 0x34, 0, 0, 64, protocol, 0, 0]);
    frame.extend_from_slice(&[10, 0, 0, 1, 10, 77, 0, 2]);
    frame.extend_from_slice(l4);
    frame
}

/// A UDP datagram 1024 → 9 with `payload` and checksum `checksum`.
pub(super) fn udp(payload: &[u8], checksum: u16) -> Vec<u8> {
    let mut datagram = vec![0x04, 0x00, 0x00, 0x09];
    datagram.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    datagram.extend_from_slice(&checksum.to_be_bytes());
    datagram.extend_from_slice(payload);
    datagram
}

/// Ethernet, IPv6 2001:db8::1 → 2001:db8::2, TCP 40000 → 80 with a payload.
fn ipv6_tcp_frame() -> Vec<u8> {
    let mut frame = ETH_IPV4[..12].to_vec();
    frame.extend_from_slice(&[0x86, 0xdd]);
    let payload = b"xdperf fields";
    let tcp_length = (20 + payload.len()) as u16;
    frame.extend_from_slice(&[0x60, 0, 0, 0]);
    frame.extend_from_slice(&tcp_length.to_be_bytes());
    frame.extend_from_slice(&[6, 64]);
    let address = |last: u8| {
        [
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last,
        ]
    };
    frame.extend_from_slice(&address(1));
    frame.extend_from_slice(&address(2));
    frame.extend_from_slice(&[0x9c, 0x40, 0x00, 0x50]);
    frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// Variant indexes around the wraps of the programs below and far out.
const KS: [u64; 14] = [
    0,
    1,
    2,
    3,
    253,
    254,
    255,
    1000,
    253_999,
    254_000,
    1_000_007,
    (1 << 40) + 3,
    u64::MAX - 1,
    u64::MAX,
];

#[test]
fn ipv4_udp_variants_match_the_core() {
    let payload: Vec<u8> = (0u8..40).collect();
    let frame = ipv4_frame(&[], 17, &udp(&payload, 1));
    let every_op = vec![
        // 10.0.0.1-254 × ports 1024-2023 by 7, an odometer.
        field(26, 4, FieldOp::Inc, 0x0a00_0001, 0x0a00_00fe),
        chained(stepped(field(34, 2, FieldOp::Inc, 1024, 2023), 7)),
        seeded(field(36, 2, FieldOp::Random, 1, 65535), 7),
        chained(list(18, 2, &[1, 0xffff, 0])),
        stepped(field(22, 1, FieldOp::Dec, 1, 64), 3),
        // Odd offsets and widths, in the payload (the UDP checksum's).
        field(43, 3, FieldOp::Inc, 0xfffff0, 0xffffff),
        seeded(field(47, 8, FieldOp::Random, 0, u64::MAX - 1), 99),
        list(56, 7, &[0, 0x00ff_ffff_ffff_ffff, 0x0012_3456_789a_bcde]),
    ];
    let zero_checksum = vec![
        field(34, 2, FieldOp::Inc, 1, 65535),
        chained(field(30, 4, FieldOp::Dec, 0x0a4d_0001, 0x0a4d_0003)),
    ];
    let Some(harness) = Harness::load(
        vec![
            compile(&frame, every_op, None),
            compile(&frame, every_op_limited(), Some(300)),
            compile(&ipv4_frame(&[], 17, &udp(&payload, 0)), zero_checksum, None),
        ],
        1,
    ) else {
        return;
    };
    // The random field has no flow limit: computed; the others repeat.
    assert!(!harness.patched(0) && harness.patched(1) && harness.patched(2));
    let mut call = 0;
    for template in 0..3 {
        harness.check_variants(template, &KS, &mut call);
    }
    // One call through the odometer's first wraps, and past the flow limit.
    harness.check_steps(0, 250, 300, 1000);
    harness.check_steps(1, 290, 320, 1001);
    // A UDP checksum of 0 over IPv4 means none: it stays 0.
    assert_eq!(harness.run(2, 0, 1002, 5, 3)[40..42], [0, 0]);
}

/// Fields for a template whose `flows` cap their 254 × 3 variants at 300.
fn every_op_limited() -> Vec<FieldSpec> {
    vec![
        field(30, 4, FieldOp::Inc, 0x0a4d_0001, 0x0a4d_00fe),
        chained(list(36, 2, &[53, 123, 443])),
    ]
}

#[test]
fn ipv6_tcp_variants_match_the_core() {
    let frame = ipv6_tcp_frame();
    let high = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0];
    let address = |low: u64| [high.to_vec(), low.to_be_bytes().to_vec()].concat();
    let fields = vec![
        // The source address's low 8 bytes, then ports and the sequence.
        FieldSpec {
            min: Some(address(1)),
            max: Some(address(1 << 40)),
            ..field(22, 16, FieldOp::Inc, 0, 0)
        },
        chained(list(56, 2, &[80, 443, 8080])),
        stepped(field(58, 4, FieldOp::Dec, 0, u32::MAX as u64), 1000),
        // The source MAC: 6 bytes no checksum covers.
        field(6, 6, FieldOp::Inc, 0x0200_0000_0001, 0x0200_0000_00ff),
    ];
    let Some(harness) = Harness::load(vec![compile(&frame, fields, None)], 1) else {
        return;
    };
    // Far more variants than the patches' cap: computed.
    assert!(!harness.patched(0));
    let mut call = 0;
    harness.check_variants(0, &KS, &mut call);
    harness.check_steps(0, (1 << 40) - 3, 10, 1000);
}

#[test]
fn variants_behind_vlan_tags_match_the_core() {
    let payload = [0u8; 18];
    let frame = ipv4_frame(&[(0x88a8, 100), (0x8100, 200)], 17, &udp(&payload, 1));
    let fields = vec![
        // The inner VLAN id, the destination address and port.
        field(18, 2, FieldOp::Inc, 1, 4094),
        chained(field(38, 4, FieldOp::Inc, 0x0a4d_0002, 0x0a4d_0101)),
        seeded(field(44, 2, FieldOp::Random, 20000, 20999), 3),
    ];
    let Some(harness) = Harness::load(vec![compile(&frame, fields, None)], 1) else {
        return;
    };
    assert!(!harness.patched(0));
    let mut call = 0;
    harness.check_variants(0, &KS, &mut call);
    harness.check_steps(0, 4090, 10, 1000);
}

#[test]
fn an_all_zero_icmp_message_has_checksum_ffff() {
    // An echo reply with no payload: only the fields make it other than zero.
    let frame = ipv4_frame(&[], 1, &[0, 0, 0, 0, 0, 0, 0, 0]);
    let fields = vec![
        list(38, 2, &[0, 1]),
        chained(field(40, 2, FieldOp::Inc, 0, 3)),
    ];
    // The same with a random IPv4 id, outside the message: no period.
    let mut with_random_id = fields.clone();
    with_random_id.push(seeded(field(18, 2, FieldOp::Random, 0, 65535), 1));
    let Some(harness) = Harness::load(
        vec![
            compile(&frame, fields, None),
            compile(&frame, with_random_id, None),
        ],
        1,
    ) else {
        return;
    };
    // Patched, the core's 0xffff is copied; computed, the program makes it.
    assert!(harness.patched(0) && !harness.patched(1));
    let mut call = 0;
    for template in 0..2 {
        assert_eq!(harness.variant(template, 0)[36..38], [0xff, 0xff]);
        call += 1;
        harness.check_steps(template, 0, 16, call);
        harness.check_variants(template, &[0, 1, 2, 8, 9], &mut call);
    }
}

#[test]
fn each_sender_slot_counts_the_frames_of_its_own_call() {
    let payload = [0u8; 18];
    let frame = ipv4_frame(&[], 17, &udp(&payload, 1));
    let fields = vec![field(34, 2, FieldOp::Inc, 1000, 1999)];
    let mut with_random = fields.clone();
    with_random.push(seeded(field(36, 2, FieldOp::Random, 1, 65535), 2));
    let Some(harness) = Harness::load(
        vec![
            compile(&frame, fields.clone(), None),
            compile(&frame, fields, Some(10)),
            compile(&frame, with_random, None),
        ],
        2,
    ) else {
        return;
    };
    assert!(harness.patched(0) && harness.patched(1) && !harness.patched(2));
    // Patched (template 0) and computed (template 2) alike; each pass
    // numbers its calls apart from the other's.
    for (template, calls) in [(0, 0), (2, 10)] {
        // Frames 100..=102 of slot 0's call 1.
        assert_eq!(
            harness.run(template, 0, calls + 1, 100, 3),
            harness.variant(template, 102)
        );
        // The same call goes on from its count, whatever base it is given.
        assert_eq!(
            harness.run(template, 0, calls + 1, 500, 2),
            harness.variant(template, 104)
        );
        // Slot 1 has its own count, though its call has the same number.
        assert_eq!(
            harness.run(template, 1, calls + 1, 50, 1),
            harness.variant(template, 50)
        );
        // A new call starts from its base.
        assert_eq!(
            harness.run(template, 0, calls + 2, 7, 1),
            harness.variant(template, 7)
        );
        // So does a call of another template, with its own flow limit.
        assert_eq!(harness.run(1, 0, calls + 3, 13, 1), harness.variant(1, 3));
        assert_eq!(
            harness.run(template, 1, calls + 1, 0, 1),
            harness.variant(template, 51)
        );
    }
}

#[test]
fn a_frame_without_metadata_goes_out_as_is() {
    let frame = ipv4_frame(&[], 17, &udp(&[7u8; 18], 1));
    let fields = vec![field(34, 2, FieldOp::Inc, 1000, 1999)];
    let Some(harness) = Harness::load(vec![compile(&frame, fields, None)], 1) else {
        return;
    };
    let mut output = vec![0; frame.len()];
    harness
        .program()
        .test_run(TestRunOptions {
            data_in: Some(&frame),
            data_out: Some(&mut output),
            repeat: 3,
            ..TestRunOptions::new()
        })
        .expect("BPF_PROG_RUN");
    assert_eq!(output, frame);
}

/// Variant indexes around the periods of the patched programs below (254 000,
/// 1 500, 40 940, 3 000) and far out.
const PATCHED_KS: [u64; 20] = [
    0,
    1,
    999,
    1000,
    1499,
    1500,
    1501,
    2000,
    2999,
    3000,
    40_939,
    40_940,
    253_999,
    254_000,
    254_001,
    1_000_007,
    (1 << 40) + 3,
    (1 << 63) + 11,
    u64::MAX - 1,
    u64::MAX,
];

#[test]
fn patched_ipv4_variants_match_the_core_across_the_period() {
    let payload = [0u8; 18];
    let frame = ipv4_frame(&[], 17, &udp(&payload, 1));
    // simpleudp's address and port ranges: 254 × 1 000 flows.
    let address_and_port = vec![
        field(26, 4, FieldOp::Inc, 0x0a00_0001, 0x0a00_00fe),
        chained(field(34, 2, FieldOp::Inc, 1, 1000)),
    ];
    // 1 000 flows (a dec by 3, and a list of 4 in a group of its own)
    // limited to 1 500, which they do not divide: variant 2 000 is
    // variant 500, not 0, so the period is 1 500.
    let limited = vec![
        stepped(field(34, 2, FieldOp::Dec, 1, 1000), 3),
        list(36, 2, &[53, 123, 443, 8080]),
    ];
    let no_checksum = vec![field(34, 2, FieldOp::Inc, 1, 65535)];
    let Some(harness) = Harness::load(
        vec![
            compile(&frame, address_and_port, None),
            compile(&frame, limited, Some(1500)),
            compile(&ipv4_frame(&[], 17, &udp(&payload, 0)), no_checksum, None),
        ],
        1,
    ) else {
        return;
    };
    assert_eq!(
        harness.placements[..2],
        [
            Some(PatchPlacement {
                base: 0,
                period: 254_000,
                offset: 24,
                words: 3,
            }),
            Some(PatchPlacement {
                base: 0,
                period: 1500,
                offset: 34,
                words: 1,
            }),
        ]
    );
    assert!(harness.patched(2));
    let mut call = 0;
    for template in 0..3 {
        harness.check_variants(template, &PATCHED_KS, &mut call);
    }
    // One call through each period's wrap.
    harness.check_steps(0, 253_990, 20, 1000);
    harness.check_steps(0, u64::MAX - 5, 5, 1001);
    harness.check_steps(1, 1490, 20, 1002);
    harness.check_steps(1, 2990, 20, 1003);
    harness.check_steps(2, 65_530, 10, 1004);
    // A UDP checksum of 0 over IPv4 means none: it stays 0.
    assert_eq!(harness.run(2, 0, 1005, 5, 3)[40..42], [0, 0]);
}

#[test]
fn patched_variants_behind_vlan_tags_match_the_core() {
    let payload = [0u8; 18];
    let frame = ipv4_frame(&[(0x88a8, 100), (0x8100, 200)], 17, &udp(&payload, 1));
    // The inner VLAN id and the destination address: 18..50, 4 words.
    let fields = vec![
        field(18, 2, FieldOp::Inc, 1, 4094),
        chained(field(38, 4, FieldOp::Inc, 0x0a4d_0002, 0x0a4d_000b)),
    ];
    let Some(harness) = Harness::load(vec![compile(&frame, fields, None)], 1) else {
        return;
    };
    assert_eq!(
        harness.placements[0].map(|p| (p.period, p.offset, p.words)),
        Some((40_940, 18, 4))
    );
    let mut call = 0;
    harness.check_variants(0, &PATCHED_KS, &mut call);
    harness.check_steps(0, 4090, 10, 1000);
    harness.check_steps(0, 40_935, 10, 1001);
}

#[test]
fn patched_ipv6_variants_match_the_core() {
    let frame = ipv6_tcp_frame();
    let high = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0];
    let address = |low: u64| [high.to_vec(), low.to_be_bytes().to_vec()].concat();
    // The source address's low 8 bytes and the destination port, to the
    // TCP checksum: 30..72, 6 words.
    let fields = vec![
        FieldSpec {
            min: Some(address(1)),
            max: Some(address(1000)),
            ..field(22, 16, FieldOp::Inc, 0, 0)
        },
        chained(list(56, 2, &[80, 443, 8080])),
    ];
    let Some(harness) = Harness::load(vec![compile(&frame, fields, None)], 1) else {
        return;
    };
    assert_eq!(
        harness.placements[0].map(|p| (p.period, p.offset, p.words)),
        Some((3000, 30, 6))
    );
    let mut call = 0;
    harness.check_variants(0, &PATCHED_KS, &mut call);
    harness.check_steps(0, 995, 10, 1000);
    harness.check_steps(0, 2995, 10, 1001);
}

#[test]
fn a_patched_template_is_sent_from_its_patches() {
    let frame = ipv4_frame(&[], 17, &udp(&[0u8; 18], 1));
    let fields = vec![field(34, 2, FieldOp::Inc, 1000, 1999)];
    let Some(harness) = Harness::load(vec![compile(&frame, fields, None)], 1) else {
        return;
    };
    let placement = harness.placements[0].expect("1000 variants are patched");
    // Patch 7, bytes 34..42, made what no variant is.
    let marked = [0xa5; 8];
    let mut patches = map_patches(&harness.ebpf, placement.words, "test").unwrap();
    let at = placement.bytes().start + 7 * placement.patch_len();
    patches[at..at + 8].copy_from_slice(&marked);
    drop(patches);
    for (call, k) in [(1, 7), (2, 1007), (3, 1_000_000_000_007)] {
        assert_eq!(harness.run(0, 0, call, k, 1)[34..42], marked, "variant {k}");
    }
    assert_eq!(harness.run(0, 0, 4, 8, 1), harness.variant(0, 8));
}

#[test]
fn random_templates_are_computed_between_patched_ones() {
    let frame = ipv4_frame(&[], 17, &udp(&[0u8; 18], 1));
    let ports = field(34, 2, FieldOp::Inc, 1000, 1999);
    let random = seeded(field(36, 2, FieldOp::Random, 1, 65535), 5);
    let Some(harness) = Harness::load(
        vec![
            compile(&frame, vec![ports.clone()], None),
            compile(&frame, vec![ports, random], None),
        ],
        1,
    ) else {
        return;
    };
    assert!(harness.patched(0) && !harness.patched(1));
    // One slot's calls alternate between the two, as a mix sends them.
    let mut call = 0;
    for k in [0, 999, 1000, 65_535, 1 << 40] {
        for template in [0, 1, 0] {
            call += 1;
            assert_eq!(
                harness.run(template, 0, call, k, 3),
                harness.variant(template, k + 2),
                "template {template}, variants {k}.."
            );
        }
    }
}
