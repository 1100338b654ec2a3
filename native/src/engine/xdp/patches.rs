//! Pre-rendered variants (patches) for the live-frames program: computing
//! a template's fields is most of the program's time a frame, and a
//! template whose variants repeat (every field inc, dec or list, or a flow
//! limit) often has few enough of them to render once. Everything its
//! variants vary lies in one span of the frame (the fields' bytes and the
//! checksums they change), so a variant is that span's bytes, and the
//! program copies them over the frame instead of computing them. The Rust
//! core renders them, so they are its variants byte for byte.

use aya::Ebpf;

use crate::error::Result;
use crate::fields::{FieldProgram, CSUM_IP, CSUM_L4};
use crate::kernel::field_maps::{map_patches, PatchPlacement, MAX_PATCH_WORDS};
use crate::stamp::StampSite;

use super::stamps::patches_fit;

/// Patches over all templates: 4 Mi, at most 256 MiB of kernel memory
/// (at 64 bytes a patch; 24 for an address and a port over IPv4), which
/// renders in a fraction of a second. Templates past it are computed.
pub const MAX_PATCHES: u64 = 4 * 1024 * 1024;

/// Where each template's patches go, or None where its fields are
/// computed per frame: a template without fields, without a period, whose
/// span is wider than MAX_PATCH_WORDS words or does not go with its stamps
/// (stamps::patches_fit), or whose period does not fit in what MAX_PATCHES
/// leaves (taken in template order). `programs`, `frames` and
/// `stamp_sites` (in a stamped run) are one per template, the frames as the
/// program gets them.
pub fn place_patches(
    programs: &[FieldProgram],
    frames: &[Vec<u8>],
    stamp_sites: Option<&[StampSite]>,
) -> Vec<Option<PatchPlacement>> {
    let mut next_base = [0u32; MAX_PATCH_WORDS as usize];
    let mut placed = 0u64;
    programs
        .iter()
        .zip(frames)
        .enumerate()
        .map(|(template, (program, frame))| {
            if program.is_empty() {
                return None;
            }
            let period = program
                .period()
                .filter(|&period| period <= MAX_PATCHES - placed)?;
            let (offset, words) = patch_span(program, frame.len())?;
            let base = &mut next_base[usize::from(words) - 1];
            // Both within MAX_PATCHES, a u32.
            let placement = PatchPlacement {
                base: *base,
                period: period as u32,
                offset,
                words,
            };
            if stamp_sites.is_some_and(|sites| !patches_fit(&placement.span(), &sites[template])) {
                return None;
            }
            *base += period as u32;
            placed += period;
            Some(placement)
        })
        .collect()
}

/// The 8-byte words from `offset` that cover every byte the program's
/// variants vary: its fields and the checksums they change. None if that
/// takes more than MAX_PATCH_WORDS words or the frame (of `frame_len`
/// bytes) cannot hold them.
fn patch_span(program: &FieldProgram, frame_len: usize) -> Option<(u16, u8)> {
    let changed = program
        .fields()
        .iter()
        .fold(0, |bits, field| bits | field.checksums);
    let fields = program.fields().iter().map(|field| {
        let start = usize::from(field.offset);
        (start, start + usize::from(field.width))
    });
    let checksums = [
        (CSUM_IP, program.ip_checksum()),
        (CSUM_L4, program.l4_checksum()),
    ]
    .into_iter()
    .filter(|&(bit, _)| changed & bit != 0)
    .filter_map(|(_, at)| at.map(|at| (usize::from(at), usize::from(at) + 2)));
    let (start, end) = fields
        .chain(checksums)
        .fold((usize::MAX, 0), |(start, end), (first, past)| {
            (start.min(first), end.max(past))
        });
    let words = (end - start).div_ceil(8);
    if words > usize::from(MAX_PATCH_WORDS) {
        return None;
    }
    // Whole words may reach past the span's end; where that would be past
    // the frame's, they start earlier instead (the bytes they add on either
    // side are constant).
    let offset = start.min(frame_len.checked_sub(8 * words)?);
    Some((u16::try_from(offset).ok()?, words as u8))
}

/// Renders the patches `placements` give (one per template, as from
/// place_patches for `programs` and `frames`) into the loaded object's
/// patch maps; errors name `subject`.
pub fn write_patches(
    ebpf: &Ebpf,
    programs: &[FieldProgram],
    frames: &[Vec<u8>],
    placements: &[Option<PatchPlacement>],
    subject: &str,
) -> Result<()> {
    for words in 1..=MAX_PATCH_WORDS {
        let mut templates = placements
            .iter()
            .enumerate()
            .filter_map(|(template, placement)| Some((template, (*placement)?)))
            .filter(|(_, placement)| placement.words == words)
            .peekable();
        if templates.peek().is_none() {
            continue;
        }
        let mut values = map_patches(ebpf, words, subject)?;
        for (template, placement) in templates {
            render_patches(
                &programs[template],
                &frames[template],
                &placement,
                &mut values[placement.bytes()],
            );
        }
    }
    Ok(())
}

/// Variant k's bytes of the placement's span, for k = 0..period in turn,
/// into `patches`; `base` is the frame the program's variants are of.
fn render_patches(
    program: &FieldProgram,
    base: &[u8],
    placement: &PatchPlacement,
    patches: &mut [u8],
) {
    let span = placement.span();
    let mut frame = base.to_vec();
    let mut cursor = program.cursor(0);
    for patch in patches.chunks_exact_mut(placement.patch_len()) {
        cursor.write(program, &mut frame);
        cursor.advance(program);
        patch.copy_from_slice(&frame[span.clone()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::{range, udp4};
    use crate::fields::{FieldOp, FieldSpec};

    fn compile(frame: &[u8], specs: &[FieldSpec], flows: Option<u64>) -> FieldProgram {
        FieldProgram::compile(frame, specs, flows).unwrap().0
    }

    fn chained(spec: FieldSpec) -> FieldSpec {
        FieldSpec {
            chain: true,
            ..spec
        }
    }

    #[test]
    fn an_address_and_a_port_are_patched_from_the_ip_checksum_to_the_udp_one() {
        // udp4: IPv4 checksum at 24, source address at 26, source port at
        // 34, UDP checksum at 40: bytes 24..42, three words from 24.
        let program = compile(
            &udp4(),
            &[
                range(26, 4, FieldOp::Inc, 0x0a00_0001, 0x0a00_03e8),
                chained(range(34, 2, FieldOp::Inc, 1, 1000)),
            ],
            None,
        );
        assert_eq!(
            place_patches(&[program], &[udp4()], None),
            [Some(PatchPlacement {
                base: 0,
                period: 1_000_000,
                offset: 24,
                words: 3,
            })]
        );
    }

    #[test]
    fn a_span_is_what_the_fields_change_in_whole_words_within_the_frame() {
        let span = |specs: &[FieldSpec]| patch_span(&compile(&udp4(), specs, None), 60);
        // A port changes the UDP checksum, not the IPv4 one: 34..42.
        assert_eq!(span(&[range(34, 2, FieldOp::Inc, 1, 10)]), Some((34, 1)));
        // The payload's last bytes and the checksum, 40..60: the words end
        // at the frame's end.
        assert_eq!(span(&[range(58, 2, FieldOp::Dec, 1, 10)]), Some((36, 3)));
        // A MAC address and the payload's end, 0..60: 8 words, which a
        // frame of 64 bytes holds and one of 60 does not.
        let ends = [
            range(0, 6, FieldOp::Inc, 1, 10),
            range(56, 4, FieldOp::Inc, 1, 10),
        ];
        let mut longer = udp4();
        longer.resize(64, 0);
        assert_eq!(patch_span(&compile(&longer, &ends, None), 64), Some((0, 8)));
        assert_eq!(span(&ends), None);
        // Past 64 bytes: none.
        longer.resize(100, 0);
        let ends = [
            range(0, 6, FieldOp::Inc, 1, 10),
            range(90, 4, FieldOp::Inc, 1, 10),
        ];
        assert_eq!(patch_span(&compile(&longer, &ends, None), 100), None);
    }

    #[test]
    fn templates_without_a_period_or_past_the_cap_are_computed() {
        let port = range(34, 2, FieldOp::Inc, 1, 1000);
        let random = FieldSpec {
            seed: Some(1),
            ..range(36, 2, FieldOp::Random, 1, 1000)
        };
        let addresses = |count| chained(range(26, 4, FieldOp::Inc, 1, count));
        let frame = udp4();
        let templates = [
            FieldProgram::none(),
            compile(&frame, &[port.clone(), random.clone()], None),
            // A flow limit gives a random field a period.
            compile(&frame, &[port.clone(), random], Some(5)),
            // More than the cap alone.
            compile(&frame, &[port.clone(), addresses(4195)], None),
            // 4 194 000, then 305 more than the cap leaves, then 299 it does.
            compile(&frame, &[port.clone(), addresses(4194)], None),
            compile(&frame, std::slice::from_ref(&port), Some(305)),
            compile(&frame, &[port], Some(299)),
        ];
        let frames = vec![frame; templates.len()];
        let placed: Vec<Option<(u32, u32)>> = place_patches(&templates, &frames, None)
            .iter()
            .map(|placement| placement.map(|p| (p.base, p.period)))
            .collect();
        assert_eq!(
            placed,
            [
                None,
                None,
                Some((0, 5)),
                None,
                Some((0, 4_194_000)),
                None,
                Some((5, 299))
            ]
        );
    }
}
