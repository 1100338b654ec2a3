//! Where a template's stamp goes — the first [`STAMP_LEN`] bytes of its L4
//! payload — and writing one there with the L4 checksum kept valid by an
//! RFC 1624 update from the bytes the frame held (a recycled frame holds
//! an earlier packet's stamp, a fresh one the template's payload).

use crate::fields::checksum;
use crate::fields::headers::{FrameChecksums, L4Protocol};
use crate::fields::FieldProgram;

use super::format::{Stamp, STAMP_LEN};

/// Bytes before an ICMP/ICMPv6 message's data: the echo header.
const ICMP_HEADER_LEN: usize = 8;
const TCP_DATA_OFFSET_AT: usize = 12;

/// Where one template's stamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampSite {
    /// Frame offset of the stamp (even, as every header starts at an even
    /// offset and the L4 headers are whole words).
    pub at: u16,
    /// Frame offset of the L4 checksum to update; None when the frame has
    /// none the core keeps (an IPv4 UDP checksum of 0 means none).
    pub l4_checksum: Option<u16>,
    /// UDP sends a computed 0 as 0xffff.
    pub l4_is_udp: bool,
}

impl StampSite {
    /// The site in `frame` (a template's base frame), or a one-line reason
    /// it has none; `program` is the template's, whose fields the stamp
    /// must not overlap.
    pub fn find(frame: &[u8], program: &FieldProgram) -> Result<StampSite, String> {
        let checksums = FrameChecksums::find(frame);
        let Some(transport) = checksums.transport else {
            return Err(
                "--stamp needs an IPv4 or IPv6 frame carrying TCP, UDP or ICMP; this one has none the core can place a stamp in"
                    .into(),
            );
        };
        let segment = transport.segment;
        let header_len = match transport.protocol {
            L4Protocol::Tcp => frame
                .get(segment.start + TCP_DATA_OFFSET_AT)
                .map_or(usize::MAX, |byte| usize::from(byte >> 4) * 4),
            L4Protocol::Udp => transport.protocol.checksum_and_header_len().1,
            L4Protocol::Icmp | L4Protocol::Icmpv6 => ICMP_HEADER_LEN,
        };
        let payload = segment.len().saturating_sub(header_len);
        if payload < STAMP_LEN {
            return Err(format!(
                "--stamp needs {STAMP_LEN} bytes of {} payload; this frame has {payload} (make it {} bytes longer)",
                transport.protocol.name(),
                STAMP_LEN - payload
            ));
        }
        let at = segment.start + header_len;
        let stamp = at..at + STAMP_LEN;
        for (index, field) in program.fields().iter().enumerate() {
            let start = usize::from(field.offset);
            let end = start + usize::from(field.width);
            if start < stamp.end && stamp.start < end {
                return Err(format!(
                    "field {index} (bytes {start}..{end}) overlaps the stamp (bytes {}..{}), the start of the {} payload",
                    stamp.start,
                    stamp.end,
                    transport.protocol.name()
                ));
            }
        }
        Ok(StampSite {
            at: at as u16,
            l4_checksum: checksums.l4.map(|l4| l4.at as u16),
            l4_is_udp: transport.protocol == L4Protocol::Udp,
        })
    }

    /// Writes `stamp` into `frame`, updating the L4 checksum.
    #[inline]
    pub fn write(&self, frame: &mut [u8], stamp: &Stamp) {
        let at = usize::from(self.at);
        let bytes = stamp.encode();
        let place = &mut frame[at..at + STAMP_LEN];
        let Some(checksum_at) = self.l4_checksum else {
            place.copy_from_slice(&bytes);
            return;
        };
        let old = checksum::fold(checksum::add_bytes(0, place, at));
        place.copy_from_slice(&bytes);
        let new = checksum::fold(checksum::add_bytes(0, &bytes, at));
        let checksum_at = usize::from(checksum_at);
        let held = u16::from_be_bytes([frame[checksum_at], frame[checksum_at + 1]]);
        let mut updated = checksum::update(held, checksum::change(old, new));
        if updated == 0 && self.l4_is_udp {
            updated = 0xffff;
        }
        frame[checksum_at..checksum_at + 2].copy_from_slice(&updated.to_be_bytes());
    }
}

/// Checks that `sent` is `unstamped` with the stamp of packet `seq` of
/// `stream` written at `site` (checksum included), stamped within the
/// last minute; panics naming `what` otherwise.
#[cfg(test)]
pub(crate) fn assert_stamped(
    sent: &[u8],
    unstamped: &[u8],
    site: &StampSite,
    stream: u16,
    seq: u64,
    what: &str,
) {
    use super::format::StampClock;
    let stamp =
        Stamp::decode(&sent[usize::from(site.at)..]).unwrap_or_else(|| panic!("{what}: no stamp"));
    assert_eq!(
        (stamp.stream, stamp.seq),
        (stream, seq),
        "{what}: stream and seq"
    );
    let now = (StampClock::Monotonic.now_ns()) & ((1 << 48) - 1);
    assert!(
        now.wrapping_sub(stamp.tx_ns) & ((1 << 48) - 1) < 60_000_000_000,
        "{what}: tx_ns {} is not recent (now {now})",
        stamp.tx_ns
    );
    let mut want = unstamped.to_vec();
    site.write(&mut want, &stamp);
    assert_eq!(sent, &want[..], "{what}");
}

/// Checks a frame a simulated engine sent: `want` as it is, or in a
/// stamped run with its stamp (stream `template`, seq `variant`).
#[cfg(test)]
pub(crate) fn assert_sent(
    sent: &[u8],
    want: &[u8],
    stamping: Option<&crate::plan::Stamping>,
    (template, variant): (u32, u64),
    what: &str,
) {
    match stamping {
        Some(stamping) => assert_stamped(
            sent,
            want,
            &stamping.sites[template as usize],
            template as u16,
            variant,
            what,
        ),
        None => assert_eq!(sent, want, "{what}"),
    }
}

/// Stamping for simulated runs of `frames`.
#[cfg(test)]
pub(crate) fn test_stamping(
    frames: &[Vec<u8>],
    programs: &[FieldProgram],
) -> crate::plan::Stamping {
    crate::plan::Stamping {
        clock: super::format::StampClock::Monotonic,
        sites: frames
            .iter()
            .zip(programs)
            .map(|(frame, program)| StampSite::find(frame, program).unwrap())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::headers::FrameChecksums;
    use crate::fields::tests::{range, udp4};
    use crate::fields::FieldOp;
    use crate::stamp::format::StampClock;

    /// A template without fields comes back from compile as given, so
    /// its checksums are made right here first.
    fn compiled(frame: &[u8]) -> (FieldProgram, Vec<u8>) {
        FieldProgram::compile(&recomputed(frame), &[], None).unwrap()
    }

    fn stamp(seq: u64) -> Stamp {
        Stamp {
            stream: 3,
            clock: StampClock::Monotonic,
            seq,
            tx_ns: seq.wrapping_mul(0x1234_5678_9abc) & ((1 << 48) - 1),
        }
    }

    /// `frame` with every checksum recomputed from scratch.
    fn recomputed(frame: &[u8]) -> Vec<u8> {
        let mut copy = frame.to_vec();
        FrameChecksums::find(&copy).recompute(&mut copy);
        copy
    }

    #[test]
    fn stamps_written_over_each_other_keep_the_udp_checksum_exact() {
        let (program, mut frame) = compiled(&udp4());
        let site = StampSite::find(&frame, &program).unwrap();
        assert_eq!(
            site,
            StampSite {
                at: 42,
                l4_checksum: Some(40),
                l4_is_udp: true
            }
        );
        for seq in 0..5_000 {
            site.write(&mut frame, &stamp(seq));
            assert_eq!(frame, recomputed(&frame), "seq {seq}");
            assert_eq!(Stamp::decode(&frame[42..]), Some(stamp(seq)));
        }
    }

    #[test]
    fn an_ipv4_udp_checksum_of_zero_stays_zero() {
        let mut frame = recomputed(&udp4());
        frame[40..42].fill(0);
        let (program, mut frame) = compiled(&frame);
        let site = StampSite::find(&frame, &program).unwrap();
        assert_eq!(site.l4_checksum, None);
        site.write(&mut frame, &stamp(7));
        assert_eq!(&frame[40..42], &[0, 0]);
        assert_eq!(Stamp::decode(&frame[42..]), Some(stamp(7)));
    }

    #[test]
    fn short_payloads_other_protocols_and_overlapping_fields_are_refused() {
        let mut short = udp4();
        short[16..18].copy_from_slice(&40u16.to_be_bytes());
        short[38..40].copy_from_slice(&20u16.to_be_bytes());
        let (program, short) = compiled(&short);
        assert_eq!(
            StampSite::find(&short, &program).unwrap_err(),
            "--stamp needs 18 bytes of UDP payload; this frame has 12 (make it 6 bytes longer)"
        );
        let mut arp = udp4();
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(StampSite::find(&arp, &FieldProgram::none())
            .unwrap_err()
            .starts_with("--stamp needs an IPv4 or IPv6 frame"));
        let (program, frame) =
            FieldProgram::compile(&udp4(), &[range(58, 2, FieldOp::Inc, 1, 9)], None).unwrap();
        assert_eq!(
            StampSite::find(&frame, &program).unwrap_err(),
            "field 0 (bytes 58..60) overlaps the stamp (bytes 42..60), the start of the UDP payload"
        );
    }

    #[test]
    fn fields_and_stamps_together_keep_every_checksum_exact() {
        let (program, base) = FieldProgram::compile(
            &udp4(),
            &[
                range(30, 4, FieldOp::Inc, 0x0a00_0000, 0x0a00_00ff),
                range(36, 2, FieldOp::Random, 1, 65_535),
            ],
            None,
        )
        .unwrap();
        let site = StampSite::find(&base, &program).unwrap();
        let mut frame = base.clone();
        for k in 0..2_000 {
            program.apply(&mut frame, k);
            site.write(&mut frame, &stamp(k));
            assert_eq!(frame, recomputed(&frame), "k {k}");
        }
    }
}
