//! The stamp sites of the xdp engine's BPF program as it reads them
//! (`struct xdperf_stamp_site` in bpf/stamp.h): a `#[repr(C)]` mirror, the
//! maps that hold them and the sender slots' stamp counts, and the
//! read-only global that says whether a run stamps and by which clock.

use aya::maps::Array;
use aya::{Ebpf, EbpfLoader, Pod};

use crate::error::{Error, ErrorKind, Result};
use crate::stamp::{StampClock, StampSite};

/// Each template's stamp site, by template index.
const SITES_MAP: &str = "xdperf_stamp_sites";
/// Each sender slot's stamp count in its current call.
const CURSORS_MAP: &str = "xdperf_stamp_cursors";
/// `stamp_clock`: XDPERF_STAMP_OFF, _MONOTONIC or _TAI.
const CLOCK_GLOBAL: &str = "stamp_clock";
/// `stamp_clock_every`: frames one clock reading stamps.
const CLOCK_EVERY_GLOBAL: &str = "stamp_clock_every";

/// `struct xdperf_stamp_site`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub struct StampSiteValue {
    at: u16,
    l4_checksum: u16,
    l4_is_udp: u8,
    checksum_from: u8,
    pad: [u8; 2],
    sum: u32,
}

/// How the program makes a template's L4 checksum right for its stamp
/// (bpf/stamp.h's XDPERF_SUM_*), with the sum it takes, as
/// [`template_sum`] adds bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumFrom {
    /// Updated from the bytes the frame holds where the stamp goes.
    Frame,
    /// Updated from the template's bytes there (their sum).
    Template(u32),
    /// Computed whole from the sum of every other byte it covers.
    Rest(u32),
}

const _: () = assert!(std::mem::size_of::<StampSiteValue>() == 12);

// SAFETY: StampSiteValue is repr(C) with explicit padding (no bytes the
// compiler leaves undefined), integers only, so every bit pattern is a
// valid value, as aya requires of map values.
unsafe impl Pod for StampSiteValue {}

impl StampSiteValue {
    /// `site` as the program reads it, its L4 checksum made right `from`.
    pub fn new(site: &StampSite, from: ChecksumFrom) -> StampSiteValue {
        let (checksum_from, sum) = match from {
            ChecksumFrom::Frame => (0, 0),
            ChecksumFrom::Template(sum) => (1, sum),
            ChecksumFrom::Rest(sum) => (2, sum),
        };
        StampSiteValue {
            at: site.at,
            l4_checksum: site.l4_checksum.unwrap_or(0),
            l4_is_udp: u8::from(site.l4_is_udp),
            checksum_from,
            pad: [0; 2],
            sum,
        }
    }
}

/// `bytes` summed as the program sums a stamp's bytes: 16-bit words in the
/// host's byte order, not folded (equal to its sum modulo 0xffff).
pub fn template_sum(bytes: &[u8]) -> u32 {
    bytes
        .chunks_exact(2)
        .map(|word| u32::from(u16::from_ne_bytes([word[0], word[1]])))
        .sum()
}

/// Sets the `stamp_clock` global (before the object is loaded), and that
/// one reading of it stamps `clock_every` frames (the live-frames batch:
/// see the program), and sizes the stamp maps for `templates` templates
/// and `slots` sender slots when the run stamps (`clock`), else leaves
/// them at one entry.
pub fn configure_stamps<'a>(
    loader: &mut EbpfLoader<'a>,
    clock: Option<StampClock>,
    clock_every: &'a u32,
    templates: usize,
    slots: usize,
) {
    // The values of bpf/stamp.h's XDPERF_STAMP_*.
    let code: &'static u32 = match clock {
        None => &0,
        Some(StampClock::Monotonic) => &1,
        Some(StampClock::Tai) => &2,
    };
    loader.override_global(CLOCK_GLOBAL, code, true);
    loader.override_global(CLOCK_EVERY_GLOBAL, clock_every, true);
    if clock.is_some() {
        loader
            .map_max_entries(SITES_MAP, templates.max(1) as u32)
            .map_max_entries(CURSORS_MAP, slots.max(1) as u32);
    }
}

/// Writes `sites` (one per template, in template order) into the loaded
/// object's site map; errors name `subject`.
pub fn fill_stamp_sites(ebpf: &mut Ebpf, sites: &[StampSiteValue], subject: &str) -> Result<()> {
    let map = ebpf.map_mut(SITES_MAP).ok_or_else(|| {
        Error::new(
            ErrorKind::Kernel,
            format!("{subject}: map {SITES_MAP} missing"),
        )
    })?;
    let what = format!("{subject}: {SITES_MAP}");
    let mut map: Array<_, StampSiteValue> =
        Array::try_from(map).map_err(|err| Error::from_source_chain(&what, &err))?;
    for (index, site) in sites.iter().enumerate() {
        map.set(index as u32, site, 0)
            .map_err(|err| Error::from_source_chain(&what, &err))?;
    }
    Ok(())
}
