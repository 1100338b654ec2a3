//! The receive counter: bpf/xdp_count.c loaded with aya and attached to an
//! interface's XDP hook, counting packets and bytes in a per-CPU array and
//! dropping or passing them. Optionally pinned under bpffs so the counter
//! outlives the process (the lab keeps one on its receiving veth).

use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use aya::maps::{Map, MapData, PerCpuArray};
use aya::programs::links::{FdLink, PinnedLink};
use aya::programs::xdp::XdpLink;
use aya::programs::{ProgramError, XdpMode};
use aya::EbpfLoader;

use crate::error::{Error, ErrorKind, Result};
use crate::kernel::bpf::{self, load_xdp, CountsValue};
use crate::kernel::netns;

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_count.o"));
const PROGRAM: &str = "xdperf_count";
const MAP: &str = "xdperf_counts";
const VERDICT_GLOBAL: &str = "verdict";
/// Pin names under a pin directory; the link's name records its mode.
const PINNED_MAP: &str = "counts";
const PINNED_LINK_PREFIX: &str = "xdp_link_";
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
    mode: Option<AttachMode>,
    attachment: Attachment,
}

impl Counter {
    /// Loads the counter and attaches it to `ifname` (in namespace `netns`),
    /// natively if the driver allows, else in generic mode. With `pin_dir`,
    /// pins the map and the link there so they survive this process.
    pub fn attach(
        ifname: &str,
        verdict: Verdict,
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
            let (link, map, mode) = load_and_attach(&ifname, verdict, &subject)?;
            let attachment = match pin_dir {
                Some(dir) => Attachment::Pinned {
                    _link: Some(pin(&dir, link, &map, mode)?),
                    dir,
                },
                None => Attachment::Link {
                    link,
                    netns: in_netns,
                },
            };
            let counts = PerCpuArray::try_from(map)
                .map_err(|err| Error::from_source_chain(&format!("{subject}: map"), &err))?;
            Ok(Counter {
                counts,
                mode: Some(mode),
                attachment,
            })
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
        let map =
            MapData::from_pin(&map_path).map_err(|err| Error::from_source_chain(&subject, &err))?;
        let map =
            Map::from_map_data(map).map_err(|err| Error::from_source_chain(&subject, &err))?;
        let counts =
            PerCpuArray::try_from(map).map_err(|err| Error::from_source_chain(&subject, &err))?;
        Ok(Counter {
            counts,
            mode: pinned_mode(dir),
            attachment: Attachment::Pinned {
                dir: dir.to_path_buf(),
                _link: None,
            },
        })
    }

    /// "native" or "generic" (None for a pin whose link is gone).
    pub fn mode(&self) -> Option<AttachMode> {
        self.mode
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
        if name == PINNED_MAP || name.starts_with(PINNED_LINK_PREFIX) {
            fs::remove_file(entry.path()).map_err(|err| io_error(&subject, &err))?;
        }
    }
    fs::remove_dir(dir).map_err(|err| io_error(&subject, &err))?;
    Ok(true)
}

fn load_and_attach(
    ifname: &str,
    verdict: Verdict,
    subject: &str,
) -> Result<(XdpLink, Map, AttachMode)> {
    let verdict_code = match verdict {
        Verdict::Drop => XDP_DROP,
        Verdict::Pass => XDP_PASS,
    };
    let mut ebpf = EbpfLoader::new()
        .override_global(VERDICT_GLOBAL, &verdict_code, true)
        .load(OBJECT)
        .map_err(|err| Error::from_source_chain(&format!("{subject}: load"), &err))?;
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
    let map = ebpf
        .take_map(MAP)
        .ok_or_else(|| Error::new(ErrorKind::Kernel, format!("{subject}: map missing")))?;
    Ok((link, map, mode))
}

fn pin(dir: &Path, link: XdpLink, map: &Map, mode: AttachMode) -> Result<PinnedLink> {
    let subject = format!("pinned counter {}", dir.display());
    fs::create_dir_all(dir).map_err(|err| io_error(&subject, &err))?;
    map.pin(dir.join(PINNED_MAP))
        .map_err(|err| Error::from_source_chain(&subject, &err))?;
    let link = FdLink::try_from(link).map_err(|err| Error::from_source_chain(&subject, &err))?;
    link.pin(dir.join(format!("{PINNED_LINK_PREFIX}{}", mode.name())))
        .map_err(|err| Error::from_source_chain(&subject, &err))
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

fn pinned_mode(dir: &Path) -> Option<AttachMode> {
    fs::read_dir(dir).ok()?.find_map(|entry| {
        let name = entry.ok()?.file_name();
        let name = name.to_str()?;
        AttachMode::from_name(name.strip_prefix(PINNED_LINK_PREFIX)?)
    })
}

fn io_error(subject: &str, err: &io::Error) -> Error {
    match err.raw_os_error() {
        Some(errno) => Error::from_errno(subject, errno),
        None => Error::new(ErrorKind::Kernel, format!("{subject}: {err}")),
    }
}
