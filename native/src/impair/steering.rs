//! The router's steering program (bpf/xdp_impair_steer.c), attached to its
//! ingress interface and pinned with its socket map, so it stays while the
//! lab does; the forwarder puts its sockets into the pinned map.

use std::fs;
use std::net::Ipv4Addr;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use aya::maps::{Map, MapData, XskMap};
use aya::programs::links::FdLink;
use aya::programs::XdpMode;
use aya::EbpfLoader;

use crate::error::{Error, ErrorKind, Result};
use crate::kernel::bpf::{self, load_xdp};
use crate::kernel::netns;

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_impair_steer.o"));
const PROGRAM: &str = "xdperf_impair_steer";
const SOCKETS_MAP: &str = "xdperf_impair_sockets";
const RECEIVER_IP_GLOBAL: &str = "receiver_ip";
/// Pin names under the pin directory.
const PINNED_SOCKETS: &str = "sockets";
const PINNED_LINK: &str = "xdp_link";

/// Attaches the steering program natively to `ifname` (in namespace
/// `netns`), steering IPv4 UDP to `receiver`, and pins it under `pin_dir`.
pub fn attach(
    ifname: &str,
    receiver: Ipv4Addr,
    netns: Option<String>,
    pin_dir: PathBuf,
) -> Result<()> {
    let subject = format!("interface {ifname}: impairment steering");
    if pin_dir.join(PINNED_SOCKETS).exists() {
        return Err(Error::new(
            ErrorKind::Busy,
            format!(
                "{subject}: {} already holds a steering program",
                pin_dir.display()
            ),
        ));
    }
    let ifname = ifname.to_string();
    netns::run_in(netns.as_deref(), move || {
        // The address in network byte order, as the program compares it.
        let receiver_ip = u32::from_ne_bytes(receiver.octets());
        let mut ebpf = EbpfLoader::new()
            .override_global(RECEIVER_IP_GLOBAL, &receiver_ip, true)
            .load(OBJECT)
            .map_err(|err| bpf::load_error(&subject, &err))?;
        let program = load_xdp(&mut ebpf, PROGRAM, &subject)?;
        let link_id = program
            .attach(&ifname, XdpMode::Driver)
            .map_err(|err| Error::from_source_chain(&format!("{subject}: attach"), &err))?;
        let link = program
            .take_link(link_id)
            .map_err(|err| Error::from_source_chain(&subject, &err))?;
        let map = ebpf
            .take_map(SOCKETS_MAP)
            .ok_or_else(|| Error::new(ErrorKind::Kernel, format!("{subject}: map missing")))?;
        let pinning = format!("{subject}: pin under {}", pin_dir.display());
        fs::create_dir_all(&pin_dir)
            .map_err(|err| Error::from_errno(&pinning, err.raw_os_error().unwrap_or(libc::EIO)))?;
        map.pin(pin_dir.join(PINNED_SOCKETS))
            .map_err(|err| Error::from_source_chain(&pinning, &err))?;
        FdLink::try_from(link)
            .map_err(|err| Error::from_source_chain(&pinning, &err))?
            .pin(pin_dir.join(PINNED_LINK))
            .map_err(|err| Error::from_source_chain(&pinning, &err))?;
        Ok(())
    })
}

/// The socket map pinned under `pin_dir`.
pub struct SteeringSockets {
    map: XskMap<MapData>,
}

impl SteeringSockets {
    pub fn open(pin_dir: &Path) -> Result<SteeringSockets> {
        let path = pin_dir.join(PINNED_SOCKETS);
        let subject = format!("impairment steering {}", pin_dir.display());
        if !path.exists() {
            return Err(Error::new(
                ErrorKind::NotPinned,
                format!("{subject}: not found (no {})", path.display()),
            ));
        }
        let map =
            MapData::from_pin(&path).map_err(|err| Error::from_source_chain(&subject, &err))?;
        let map =
            Map::from_map_data(map).map_err(|err| Error::from_source_chain(&subject, &err))?;
        let map = XskMap::try_from(map).map_err(|err| Error::from_source_chain(&subject, &err))?;
        Ok(SteeringSockets { map })
    }

    /// Steers the frames arriving on `queue` to `socket`; the kernel takes
    /// the socket out of the map again when it closes.
    pub fn steer(&mut self, queue: u32, socket: RawFd) -> Result<()> {
        self.map.set(queue, socket, 0).map_err(|err| {
            Error::from_source_chain(&format!("impairment steering: queue {queue}"), &err)
        })
    }
}
