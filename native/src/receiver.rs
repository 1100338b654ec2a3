//! The receive counter: bpf/xdp_count.c loaded with aya and attached to an
//! interface's XDP hook, counting packets and bytes in a per-CPU array and
//! dropping or passing them, and keeping per-stream counts and latency of
//! stamped frames (stamps.rs), unless attached to count only. Optionally
//! pinned under bpffs so the counter outlives the process (the lab keeps one
//! on its receiving veth).

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use aya::maps::{Map, MapData, PerCpuArray};
use aya::programs::links::{FdLink, PinnedLink};
use aya::programs::xdp::XdpLink;
use aya::programs::{ProgramError, XdpMode};
use aya::{Ebpf, EbpfLoader};

use crate::error::{Error, ErrorKind, Result};
use crate::kernel::bpf::{self, load_xdp, CountsValue};
use crate::kernel::netns;

#[cfg(test)]
mod stamp_tests;
mod stamps;

pub use stamps::{LatencyStats, StampCounts, StreamStamps};
use stamps::{StampMaps, LATENCY_MAP, OUT_OF_RANGE_MAP, STREAMS_MAP};

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_count.o"));
const PROGRAM: &str = "xdperf_count";
const MAP: &str = "xdperf_counts";
const VERDICT_GLOBAL: &str = "verdict";
const TRACK_STAMPS_GLOBAL: &str = "track_stamps";
/// Pin names under a pin directory; the link's name records its mode, and
/// ends in [`COUNT_ONLY_LINK_SUFFIX`] for a count-only counter.
const PINNED_MAP: &str = "counts";
/// The stamp maps: (name in xdp_count.c, pin name), in [`Maps::stamps`]'
/// order.
const STAMP_MAPS: [(&str, &str); 3] = [
    (STREAMS_MAP, "stamp_streams"),
    (LATENCY_MAP, "stamp_latency"),
    (OUT_OF_RANGE_MAP, "stamp_out_of_range"),
];
const PINNED_LINK_PREFIX: &str = "xdp_link_";
/// A count-only counter pins no stamp maps; this suffix of its link's pin
/// tells it from one pinned by an xdperf without stamps (which has none
/// either), and an xdperf of either kind removes the pin by its prefix.
const COUNT_ONLY_LINK_SUFFIX: &str = "_count_only";
/// statfs f_type of a BPF filesystem.
const XDP_DROP: u32 = 1;
const XDP_PASS: u32 = 2;

/// What the counter does with a frame after counting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Drop,
    Pass,
}

impl Verdict {
    pub fn parse(action: &str) -> Result<Verdict> {
        match action {
            "drop" => Ok(Verdict::Drop),
            "pass" => Ok(Verdict::Pass),
            other => Err(Error::invalid(format!(
                "action {other:?}: must be \"drop\" or \"pass\""
            ))),
        }
    }
}

/// What the counter keeps of a frame besides counting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// Its stamp, if it has one: per-stream counts and latency.
    Stamps,
    /// Nothing: the cheapest counter, for a sender's raw rate.
    CountOnly,
}

/// Where the XDP program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachMode {
    /// In the driver (veth, most NICs).
    Native,
    /// In the generic skb path, for drivers without XDP support.
    Generic,
}

impl AttachMode {
    pub fn name(self) -> &'static str {
        match self {
            AttachMode::Native => "native",
            AttachMode::Generic => "generic",
        }
    }

    fn from_name(name: &str) -> Option<AttachMode> {
        match name {
            "native" => Some(AttachMode::Native),
            "generic" => Some(AttachMode::Generic),
            _ => None,
        }
    }
}

/// Totals over all CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub packets: u64,
    pub bytes: u64,
}

enum Attachment {
    /// Attached by this process; detaching drops the link.
    Link {
        link: XdpLink,
        netns: Option<String>,
    },
    /// Pinned under `dir`; detaching removes the pins.
    Pinned {
        dir: PathBuf,
        _link: Option<PinnedLink>,
    },
    Detached,
}

/// An attached (or pinned) counter.
pub struct Counter {
    counts: PerCpuArray<MapData, CountsValue>,
    stamps: Stamps,
    mode: Option<AttachMode>,
    attachment: Attachment,
    /// Names the counter in errors, e.g. "interface xdperf1: XDP counter".
    subject: String,
}

/// What a counter has of stamps.
enum Stamps {
    Tracked(Box<StampMaps>),
    /// Attached with [`Tracking::CountOnly`].
    CountOnly,
    /// Pinned by an xdperf without stamps.
    NotSupported,
}

/// The counter's maps, as the loaded object has them.
struct Maps {
    counts: Map,
    /// In [`STAMP_MAPS`]' order; None for a count-only counter.
    stamps: Option<[Map; 3]>,
}

impl Counter {
    /// Loads the counter and attaches it to `ifname` (in namespace `netns`),
    /// natively if the driver allows, else in generic mode. With `pin_dir`,
    /// pins the maps and the link there so they survive this process.
    pub fn attach(
        ifname: &str,
        verdict: Verdict,
        tracking: Tracking,
        netns: Option<String>,
        pin_dir: Option<PathBuf>,
    ) -> Result<Counter> {
        let subject = format!("interface {ifname}: XDP counter");
        if let Some(dir) = &pin_dir {
            check_pin_dir(dir)?;
        }
        let ifname = ifname.to_string();
        let in_netns = netns.clone();
        netns::run_in(netns.as_deref(), move || {
            let (link, maps, mode) = load_and_attach(&ifname, verdict, tracking, &subject)?;
            let attachment = match pin_dir {
                Some(dir) => Attachment::Pinned {
                    _link: Some(pin(&dir, link, &maps, mode, tracking)?),
                    dir,
                },
                None => Attachment::Link {
                    link,
                    netns: in_netns,
                },
            };
            Counter::new(maps, Some(mode), attachment, &subject)
        })
    }

    fn new(
        maps: Maps,
        mode: Option<AttachMode>,
        attachment: Attachment,
        subject: &str,
    ) -> Result<Counter> {
        let counts = PerCpuArray::try_from(maps.counts)
            .map_err(|err| Error::from_source_chain(&format!("{subject}: map"), &err))?;
        let stamps =
            match maps.stamps {
                Some([streams, latency, out_of_range]) => Stamps::Tracked(Box::new(
                    StampMaps::new(streams, latency, out_of_range, subject)?,
                )),
                None => Stamps::CountOnly,
            };
        Ok(Counter {
            counts,
            stamps,
            mode,
            attachment,
            subject: subject.to_string(),
        })
    }

    /// Opens the counter pinned under `dir`.
    pub fn open_pinned(dir: &Path) -> Result<Counter> {
        let subject = format!("pinned counter {}", dir.display());
        let map_path = dir.join(PINNED_MAP);
        if !map_path.exists() {
            return Err(Error::new(
                ErrorKind::NotPinned,
                format!("{subject}: not found (no {})", map_path.display()),
            ));
        }
        let open = |path: &Path| -> Result<Map> {
            let map =
                MapData::from_pin(path).map_err(|err| Error::from_source_chain(&subject, &err))?;
            Map::from_map_data(map).map_err(|err| Error::from_source_chain(&subject, &err))
        };
        let counts = PerCpuArray::try_from(open(&map_path)?)
            .map_err(|err| Error::from_source_chain(&subject, &err))?;
        let link = pinned_link(dir);
        // A count-only counter, and one pinned by an xdperf without
        // stamps, have only their counts; the link's pin tells them apart.
        let stamps = if dir.join(STAMP_MAPS[0].1).exists() {
            let [streams, latency, out_of_range] = STAMP_MAPS.map(|(_, pinned)| dir.join(pinned));
            Stamps::Tracked(Box::new(StampMaps::new(
                open(&streams)?,
                open(&latency)?,
                open(&out_of_range)?,
                &subject,
            )?))
        } else if link.is_some_and(|(_, tracking)| tracking == Tracking::CountOnly) {
            Stamps::CountOnly
        } else {
            Stamps::NotSupported
        };
        Ok(Counter {
            counts,
            stamps,
            mode: link.map(|(mode, _)| mode),
            attachment: Attachment::Pinned {
                dir: dir.to_path_buf(),
                _link: None,
            },
            subject,
        })
    }

    /// "native" or "generic" (None for a pin whose link is gone).
    pub fn mode(&self) -> Option<AttachMode> {
        self.mode
    }

    /// Whether [`Counter::stamps`] can be read: false for a count-only
    /// counter and for one pinned by an xdperf without stamps.
    pub fn tracks_stamps(&self) -> bool {
        matches!(self.stamps, Stamps::Tracked(_))
    }

    /// Attached (or pinned) with [`Tracking::CountOnly`].
    pub fn count_only(&self) -> bool {
        matches!(self.stamps, Stamps::CountOnly)
    }

    /// Sums the per-CPU counters.
    pub fn counts(&self) -> Result<Counts> {
        let values = self
            .counts
            .get(&0, 0)
            .map_err(|err| Error::from_source_chain("XDP counter: reading counts", &err))?;
        Ok(values.iter().fold(Counts::default(), |sum, v| Counts {
            packets: sum.packets + v.packets,
            bytes: sum.bytes + v.bytes,
        }))
    }

    /// Every stream below `below` (all, without it) that received a
    /// stamped frame, with its counts and latency and their latency over
    /// all, since the counter was attached or its stamps reset.
    pub fn stamps(&self, below: Option<usize>) -> Result<StampCounts> {
        self.stamp_maps()?.read(below)
    }

    /// Zeroes what the counter keeps of stamps (every stream's state and
    /// histogram, the out-of-range count), for a new run; the frame counts
    /// stay.
    pub fn reset_stamps(&mut self) -> Result<()> {
        match &mut self.stamps {
            Stamps::Tracked(stamps) => stamps.reset(),
            _ => Err(self.no_stamps()),
        }
    }

    fn stamp_maps(&self) -> Result<&StampMaps> {
        match &self.stamps {
            Stamps::Tracked(stamps) => Ok(stamps),
            _ => Err(self.no_stamps()),
        }
    }

    /// Why a counter without stamp maps has no stamps to read.
    fn no_stamps(&self) -> Error {
        let pinned = matches!(self.attachment, Attachment::Pinned { .. });
        let (how, what_to_do) = if pinned {
            ("pinned", "remove it and pin one")
        } else {
            ("attached", "detach it and attach one")
        };
        let subject = &self.subject;
        let message = match self.stamps {
            Stamps::CountOnly => format!(
                "{subject} counts frames only ({how} count-only): {what_to_do} that tracks stamps to read them"
            ),
            _ => format!(
                "{subject} has no stamp counts (an older xdperf pinned it): remove it and pin it again"
            ),
        };
        Error::new(ErrorKind::Unsupported, message)
    }

    /// Detaches the program (removing its pins, if pinned). Idempotent;
    /// the counts stay readable.
    pub fn detach(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.attachment, Attachment::Detached) {
            Attachment::Link { link, netns } => {
                // A netlink-attached program is detached through the
                // namespace's netlink socket, so drop the link in there.
                netns::run_in(netns.as_deref(), move || {
                    drop(link);
                    Ok(())
                })
            }
            Attachment::Pinned { dir, _link } => remove_pinned(&dir).map(|_| ()),
            Attachment::Detached => Ok(()),
        }
    }
}

/// Removes the counter pinned under `dir` (which detaches it once no
/// process holds it) and the directory. False when there was nothing.
pub fn remove_pinned(dir: &Path) -> Result<bool> {
    let subject = format!("pinned counter {}", dir.display());
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(io_error(&subject, &err)),
    };
    for entry in entries {
        let entry = entry.map_err(|err| io_error(&subject, &err))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == PINNED_MAP
            || STAMP_MAPS.iter().any(|(_, pinned)| name == *pinned)
            || name.starts_with(PINNED_LINK_PREFIX)
        {
            fs::remove_file(entry.path()).map_err(|err| io_error(&subject, &err))?;
        }
    }
    fs::remove_dir(dir).map_err(|err| io_error(&subject, &err))?;
    Ok(true)
}

/// The counter's object with `verdict` and `tracking` set: its maps made,
/// its program not yet loaded.
fn open_object(verdict: Verdict, tracking: Tracking, subject: &str) -> Result<Ebpf> {
    let verdict_code = match verdict {
        Verdict::Drop => XDP_DROP,
        Verdict::Pass => XDP_PASS,
    };
    let track_stamps = u32::from(tracking == Tracking::Stamps);
    let mut loader = EbpfLoader::new();
    loader
        .override_global(VERDICT_GLOBAL, &verdict_code, true)
        .override_global(TRACK_STAMPS_GLOBAL, &track_stamps, true);
    if tracking == Tracking::CountOnly {
        // The program never reaches them: one entry each, not the 8 MiB of
        // histograms.
        for (name, _) in STAMP_MAPS {
            loader.map_max_entries(name, 1);
        }
    }
    loader
        .load(OBJECT)
        .map_err(|err| bpf::load_error(subject, &err))
}

fn take_maps(ebpf: &mut Ebpf, tracking: Tracking, subject: &str) -> Result<Maps> {
    let mut take = |name: &str| {
        ebpf.take_map(name)
            .ok_or_else(|| Error::new(ErrorKind::Kernel, format!("{subject}: map {name} missing")))
    };
    let counts = take(MAP)?;
    let stamps = match tracking {
        Tracking::Stamps => Some([
            take(STAMP_MAPS[0].0)?,
            take(STAMP_MAPS[1].0)?,
            take(STAMP_MAPS[2].0)?,
        ]),
        Tracking::CountOnly => None,
    };
    Ok(Maps { counts, stamps })
}

fn load_and_attach(
    ifname: &str,
    verdict: Verdict,
    tracking: Tracking,
    subject: &str,
) -> Result<(XdpLink, Maps, AttachMode)> {
    let mut ebpf = open_object(verdict, tracking, subject)?;
    let program = load_xdp(&mut ebpf, PROGRAM, subject)?;
    let (link_id, mode) = match program.attach(ifname, XdpMode::Driver) {
        Ok(id) => (id, AttachMode::Native),
        Err(ProgramError::UnknownInterface { .. }) => {
            return Err(Error::new(
                ErrorKind::NoSuchInterface,
                format!("interface {ifname}: no such interface"),
            ))
        }
        Err(native_error) => match program.attach(ifname, XdpMode::Skb) {
            Ok(id) => (id, AttachMode::Generic),
            Err(_) => {
                return Err(Error::from_source_chain(
                    &format!("{subject}: attach"),
                    &native_error,
                ))
            }
        },
    };
    let link = program
        .take_link(link_id)
        .map_err(|err| Error::from_source_chain(subject, &err))?;
    let maps = take_maps(&mut ebpf, tracking, subject)?;
    Ok((link, maps, mode))
}

fn pin(
    dir: &Path,
    link: XdpLink,
    maps: &Maps,
    mode: AttachMode,
    tracking: Tracking,
) -> Result<PinnedLink> {
    let subject = format!("pinned counter {}", dir.display());
    pin_maps(dir, maps)?;
    let link = FdLink::try_from(link).map_err(|err| Error::from_source_chain(&subject, &err))?;
    link.pin(dir.join(link_pin_name(mode, tracking)))
        .map_err(|err| Error::from_source_chain(&subject, &err))
}

/// The name of a counter's link pin: `xdp_link_<mode>`, with
/// [`COUNT_ONLY_LINK_SUFFIX`] for a count-only counter.
fn link_pin_name(mode: AttachMode, tracking: Tracking) -> String {
    let suffix = match tracking {
        Tracking::Stamps => "",
        Tracking::CountOnly => COUNT_ONLY_LINK_SUFFIX,
    };
    format!("{PINNED_LINK_PREFIX}{}{suffix}", mode.name())
}

/// Pins the maps under `dir` (made if missing), where
/// [`Counter::open_pinned`] finds them and [`remove_pinned`] removes them.
fn pin_maps(dir: &Path, maps: &Maps) -> Result<()> {
    let subject = format!("pinned counter {}", dir.display());
    fs::create_dir_all(dir).map_err(|err| io_error(&subject, &err))?;
    let pins = std::iter::once((&maps.counts, PINNED_MAP)).chain(
        maps.stamps
            .iter()
            .flatten()
            .zip(STAMP_MAPS.iter().map(|(_, pinned)| *pinned)),
    );
    for (map, name) in pins {
        map.pin(dir.join(name))
            .map_err(|err| Error::from_source_chain(&subject, &err))?;
    }
    Ok(())
}

/// Refuses a pin directory outside bpffs or one that already holds a counter.
fn check_pin_dir(dir: &Path) -> Result<()> {
    let subject = format!("pin directory {}", dir.display());
    if dir.join(PINNED_MAP).exists() {
        return Err(Error::new(
            ErrorKind::Busy,
            format!("{subject}: already holds a counter (remove it first)"),
        ));
    }
    let existing = dir
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    let on_bpffs = bpf::on_bpf_filesystem(existing)
        .map_err(|_| Error::invalid(format!("{subject}: path contains a NUL byte")))?;
    if !on_bpffs {
        return Err(Error::invalid(format!(
            "{subject}: not on a BPF filesystem (mount one with: mount -t bpf bpf /sys/fs/bpf)"
        )));
    }
    // bpffs refuses names with a dot (they are reserved for its own files).
    let to_create = dir.strip_prefix(existing).unwrap_or(dir);
    if to_create
        .components()
        .any(|c| c.as_os_str().as_bytes().contains(&b'.'))
    {
        return Err(Error::invalid(format!(
            "{subject}: bpffs does not allow \".\" in names"
        )));
    }
    Ok(())
}

/// The mode and tracking of the link pinned under `dir`, by its pin's name
/// (None when there is none).
fn pinned_link(dir: &Path) -> Option<(AttachMode, Tracking)> {
    fs::read_dir(dir).ok()?.find_map(|entry| {
        let name = entry.ok()?.file_name();
        let name = name.to_str()?.strip_prefix(PINNED_LINK_PREFIX)?;
        match name.strip_suffix(COUNT_ONLY_LINK_SUFFIX) {
            Some(mode) => Some((AttachMode::from_name(mode)?, Tracking::CountOnly)),
            None => Some((AttachMode::from_name(name)?, Tracking::Stamps)),
        }
    })
}

fn io_error(subject: &str, err: &io::Error) -> Error {
    match err.raw_os_error() {
        Some(errno) => Error::from_errno(subject, errno),
        None => Error::new(ErrorKind::Kernel, format!("{subject}: {err}")),
    }
}
