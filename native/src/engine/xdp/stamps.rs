//! Stamps in the live-frames program: after a frame's variant is written
//! (computed or copied from a patch), the program writes its stamp and
//! updates the L4 checksum by RFC 1624 from the stamp bytes the checksum
//! was last made for. Computed fields update the checksum from the bytes
//! the frame holds, so for those it is the frame's own stamp bytes (an
//! earlier packet's stamp, or the template's payload in a fresh frame). A
//! patch that holds the L4 checksum writes the one the core rendered for
//! the variant, with the template's payload where the stamp goes — so the
//! update starts from the template's bytes there, whatever the frame holds.
//! A template without fields has every other byte the checksum covers
//! fixed, so its checksum is computed whole from their sum and the stamp's,
//! with no look at what the frame held.
//!
//! The one case neither covers — a patch that writes part of the stamp's
//! bytes but not the L4 checksum, leaving a checksum made for bytes the
//! frame no longer holds all of — is not patched: its template is computed.

use std::ops::Range;

use crate::fields::headers::FrameChecksums;
use crate::fields::FieldProgram;
use crate::kernel::field_maps::PatchPlacement;
use crate::kernel::stamp_maps::{template_sum, ChecksumFrom, StampSiteValue};
use crate::stamp::{StampSite, STAMP_LEN};

fn stamp_bytes(site: &StampSite) -> Range<usize> {
    usize::from(site.at)..usize::from(site.at) + STAMP_LEN
}

fn holds_l4_checksum(span: &Range<usize>, site: &StampSite) -> bool {
    site.l4_checksum.is_some_and(|at| {
        let at = usize::from(at);
        span.start <= at && at + 2 <= span.end
    })
}

/// Whether a template stamped at `site` can have patches over `span`:
/// unless they would write some of the stamp's bytes and not the L4
/// checksum. A span that reaches the stamp holds the checksum but for a
/// field past the L4 segment (in the frame's padding, which no checksum
/// covers), whose whole words may start before it.
pub fn patches_fit(span: &Range<usize>, site: &StampSite) -> bool {
    let stamp = stamp_bytes(site);
    let overlaps = span.start < stamp.end && stamp.start < span.end;
    !overlaps || site.l4_checksum.is_none() || holds_l4_checksum(span, site)
}

/// The sum, as [`template_sum`] adds bytes, of everything the L4 checksum
/// of `frame` covers (pseudo header included) but the stamp at `site` and
/// the checksum itself: what the checksum is computed from, with the
/// stamp's bytes.
fn rest_sum(frame: &[u8], site: &StampSite) -> u32 {
    let mut rest = frame.to_vec();
    rest[stamp_bytes(site)].fill(0);
    FrameChecksums::find(frame).recompute(&mut rest);
    let at = usize::from(site.l4_checksum.expect("a site with an L4 checksum"));
    // The checksum is the complement of the covered words' sum (a UDP 0
    // sent as 0xffff stands for a sum of 0xffff, the same modulo 0xffff).
    let sum = !u16::from_be_bytes([rest[at], rest[at + 1]]);
    template_sum(&sum.to_be_bytes())
}

/// Each template's stamp site as the program reads it, from `sites`, the
/// templates' `programs`, their `frames` (as the program gets them) and
/// where `placements` put their patches (one each, as from place_patches
/// with these sites).
pub fn site_values(
    sites: &[StampSite],
    programs: &[FieldProgram],
    frames: &[Vec<u8>],
    placements: &[Option<PatchPlacement>],
) -> Vec<StampSiteValue> {
    sites
        .iter()
        .zip(programs)
        .zip(frames)
        .zip(placements)
        .map(|(((site, program), frame), placement)| {
            let from = if site.l4_checksum.is_none() {
                ChecksumFrom::Frame
            } else if program.is_empty() {
                ChecksumFrom::Rest(rest_sum(frame, site))
            } else if placement.is_some_and(|p| holds_l4_checksum(&p.span(), site)) {
                ChecksumFrom::Template(template_sum(&frame[stamp_bytes(site)]))
            } else {
                ChecksumFrom::Frame
            };
            StampSiteValue::new(site, from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: StampSite = StampSite {
        at: 42,
        l4_checksum: Some(40),
        l4_is_udp: true,
    };

    #[test]
    fn a_span_onto_the_stamp_must_hold_the_l4_checksum() {
        // A source port and the checksum: 34..42, beside the stamp.
        assert!(patches_fit(&(34..42), &SITE));
        // A destination port and the checksum in a word: 36..44.
        assert!(patches_fit(&(36..44), &SITE));
        // A field after the stamp: from the checksum over all of it.
        assert!(patches_fit(&(40..72), &SITE));
        // A field in the padding, in a word that starts in the stamp.
        assert!(!patches_fit(&(56..64), &SITE));
        // Without an L4 checksum there is nothing to keep.
        let unchecked = StampSite {
            l4_checksum: None,
            ..SITE
        };
        assert!(patches_fit(&(56..64), &unchecked));
    }
}
