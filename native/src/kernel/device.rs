//! What the kernel says about a network interface: index, MAC, MTU, state,
//! queue counts and driver. Reads interface ioctls (which work for every
//! driver, veth included, which has no /sys/class/net/X/device link) and the
//! sysfs queue directories (the real number of queues in use).

use std::ffi::CStr;
use std::fs;
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{describe_errno, Error, ErrorKind, Result};

/// A network interface as xdperf needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub ifindex: u32,
    pub mac: [u8; 6],
    pub mtu: u32,
    /// IFF_UP: administratively up.
    pub admin_up: bool,
    /// IFF_UP and IFF_RUNNING: up with carrier (RFC 2863 "up").
    pub oper_up: bool,
    pub rx_queues: u32,
    pub tx_queues: u32,
    pub driver: String,
}

impl DeviceInfo {
    /// "aa:bb:cc:dd:ee:ff".
    pub fn mac_string(&self) -> String {
        self.mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// `SIOCETHTOOL` command that returns `struct ethtool_drvinfo`.
const ETHTOOL_GDRVINFO: u32 = 0x0000_0003;
/// `SIOCETHTOOL` command that returns `struct ethtool_channels`.
const ETHTOOL_GCHANNELS: u32 = 0x0000_003c;

/// `struct ethtool_channels` from <linux/ethtool.h>.
#[repr(C)]
struct EthtoolChannels {
    cmd: u32,
    max_rx: u32,
    max_tx: u32,
    max_other: u32,
    max_combined: u32,
    rx_count: u32,
    tx_count: u32,
    other_count: u32,
    combined_count: u32,
}

/// `struct ethtool_drvinfo` from <linux/ethtool.h>.
#[repr(C)]
struct EthtoolDrvinfo {
    cmd: u32,
    driver: [u8; 32],
    version: [u8; 32],
    fw_version: [u8; 32],
    bus_info: [u8; 32],
    erom_version: [u8; 32],
    reserved2: [u8; 12],
    n_priv_flags: u32,
    n_stats: u32,
    testinfo_len: u32,
    eedump_len: u32,
    regdump_len: u32,
}

/// Looks up `name` in the calling thread's network namespace.
pub fn device_info(name: &str) -> Result<DeviceInfo> {
    validate_name(name)?;
    let socket = ioctl_socket(name)?;
    let ifindex = ioctl_ifreq(&socket, name, libc::SIOCGIFINDEX)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member of the union.
    let ifindex = unsafe { ifindex.ifr_ifru.ifru_ifindex } as u32;
    let flags = ioctl_ifreq(&socket, name, libc::SIOCGIFFLAGS)?;
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
    let flags = i32::from(unsafe { flags.ifr_ifru.ifru_flags });
    let mtu = ioctl_ifreq(&socket, name, libc::SIOCGIFMTU)?;
    // SAFETY: SIOCGIFMTU filled the mtu member of the union.
    let mtu = unsafe { mtu.ifr_ifru.ifru_mtu } as u32;
    let hwaddr = ioctl_ifreq(&socket, name, libc::SIOCGIFHWADDR)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member of the union.
    let hwaddr = unsafe { hwaddr.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (dst, src) in mac.iter_mut().zip(hwaddr.sa_data.iter()) {
        *dst = *src as u8;
    }
    let admin_up = flags & libc::IFF_UP != 0;
    Ok(DeviceInfo {
        name: name.to_string(),
        ifindex,
        mac,
        mtu,
        admin_up,
        oper_up: admin_up && flags & libc::IFF_RUNNING != 0,
        rx_queues: count_queues(name, "rx-")?,
        tx_queues: count_queues(name, "tx-")?,
        driver: driver_name(&socket, name)?,
    })
}

/// An interface's index, MAC and receive queues, learnt by ioctl alone: all
/// a thread that entered another network namespace can learn, as sysfs
/// (which `device_info` reads for queue counts) still shows the namespace
/// it was mounted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub ifindex: u32,
    pub mac: [u8; 6],
    pub rx_queues: u32,
}

/// Looks up `name` in the calling thread's network namespace; the queues
/// are the driver's channels (ETHTOOL_GCHANNELS, which veth answers).
pub fn endpoint(name: &str) -> Result<Endpoint> {
    validate_name(name)?;
    let socket = ioctl_socket(name)?;
    let ifindex = ioctl_ifreq(&socket, name, libc::SIOCGIFINDEX)?;
    // SAFETY: SIOCGIFINDEX filled the ifindex member of the union.
    let ifindex = unsafe { ifindex.ifr_ifru.ifru_ifindex } as u32;
    let hwaddr = ioctl_ifreq(&socket, name, libc::SIOCGIFHWADDR)?;
    // SAFETY: SIOCGIFHWADDR filled the hwaddr member of the union.
    let hwaddr = unsafe { hwaddr.ifr_ifru.ifru_hwaddr };
    let mut mac = [0u8; 6];
    for (dst, src) in mac.iter_mut().zip(hwaddr.sa_data.iter()) {
        *dst = *src as u8;
    }
    // SAFETY: EthtoolChannels is plain old data; all-zero is a valid value.
    let mut channels: EthtoolChannels = unsafe { mem::zeroed() };
    channels.cmd = ETHTOOL_GCHANNELS;
    let mut request = ifreq_for(name);
    request.ifr_ifru.ifru_data = (&mut channels as *mut EthtoolChannels).cast();
    // SAFETY: SIOCETHTOOL with ETHTOOL_GCHANNELS writes one ethtool_channels
    // through ifru_data, which points at `channels`, alive for the call.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCETHTOOL, &mut request) };
    if rc < 0 {
        return Err(Error::from_errno(
            &format!("interface {name}: channel query"),
            last_errno(),
        ));
    }
    Ok(Endpoint {
        ifindex,
        mac,
        rx_queues: channels.rx_count.max(channels.combined_count).max(1),
    })
}

/// Whether an interface a session sends on is still usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Up,
    /// Administratively up, but no carrier.
    NoCarrier,
    /// Set down (by name: the one it has now).
    AdminDown(String),
    /// No interface has the index any more: deleted, or moved to another
    /// network namespace.
    Gone,
}

/// The state of the interface with `ifindex`, looked up by index so that
/// an interface renamed stays itself and a new one given the old name is
/// not taken for it.
pub fn link_state(ifindex: u32) -> LinkState {
    let mut name_buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: if_indextoname writes at most IF_NAMESIZE bytes, NUL
    // included, into `name_buf`, which has that size.
    let named = unsafe { libc::if_indextoname(ifindex, name_buf.as_mut_ptr()) };
    if named.is_null() {
        return LinkState::Gone;
    }
    // SAFETY: if_indextoname succeeded, so `name_buf` holds a C string.
    let name = unsafe { CStr::from_ptr(name_buf.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    let flags =
        ioctl_socket(&name).and_then(|socket| ioctl_ifreq(&socket, &name, libc::SIOCGIFFLAGS));
    match flags {
        // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
        Ok(flags) => match i32::from(unsafe { flags.ifr_ifru.ifru_flags }) {
            f if f & libc::IFF_UP == 0 => LinkState::AdminDown(name),
            f if f & libc::IFF_RUNNING == 0 => LinkState::NoCarrier,
            _ => LinkState::Up,
        },
        Err(err) if err.kind == ErrorKind::NoSuchInterface => LinkState::Gone,
        // Not knowing is not a verdict: the next look decides.
        Err(_) => LinkState::Up,
    }
}

fn validate_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() < libc::IFNAMSIZ
        && !name
            .bytes()
            .any(|b| b == b'/' || b == 0 || b.is_ascii_whitespace() || b == b':');
    if valid {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::NoSuchInterface,
            format!("interface {name:?}: not a valid interface name"),
        ))
    }
}

fn ioctl_socket(name: &str) -> Result<OwnedFd> {
    // SAFETY: plain socket(2) call; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(Error::from_errno(
            &format!("interface {name}"),
            last_errno(),
        ));
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn ifreq_for(name: &str) -> libc::ifreq {
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut request: libc::ifreq = unsafe { mem::zeroed() };
    for (dst, src) in request.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    request
}

fn ioctl_ifreq(socket: &OwnedFd, name: &str, request_code: libc::Ioctl) -> Result<libc::ifreq> {
    let mut request = ifreq_for(name);
    // SAFETY: every SIOCGIF* request used here reads ifr_name and writes
    // within `struct ifreq`, which `request` is.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), request_code, &mut request) };
    if rc < 0 {
        let errno = last_errno();
        return Err(match errno {
            libc::ENODEV | libc::ENXIO => Error::new(
                ErrorKind::NoSuchInterface,
                format!("interface {name}: no such interface"),
            ),
            _ => Error::from_errno(&format!("interface {name}"), errno),
        });
    }
    Ok(request)
}

fn driver_name(socket: &OwnedFd, name: &str) -> Result<String> {
    // SAFETY: EthtoolDrvinfo is plain old data; all-zero is a valid value.
    let mut info: EthtoolDrvinfo = unsafe { mem::zeroed() };
    info.cmd = ETHTOOL_GDRVINFO;
    let mut request = ifreq_for(name);
    request.ifr_ifru.ifru_data = (&mut info as *mut EthtoolDrvinfo).cast();
    // SAFETY: SIOCETHTOOL with ETHTOOL_GDRVINFO writes one ethtool_drvinfo
    // through ifru_data, which points at `info`, alive for the call.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCETHTOOL, &mut request) };
    if rc < 0 {
        let errno = last_errno();
        // Drivers without ethtool support (e.g. some tunnels) have no name to give.
        if errno == libc::EOPNOTSUPP {
            return Ok(String::new());
        }
        return Err(Error::from_errno(
            &format!("interface {name}: driver query"),
            errno,
        ));
    }
    Ok(CStr::from_bytes_until_nul(&info.driver)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// Counts /sys/class/net/NAME/queues/{rx,tx}-N: the queues the device
/// really uses (veth's `numtxqueues`, a NIC's active channels).
fn count_queues(name: &str, prefix: &str) -> Result<u32> {
    let dir = format!("/sys/class/net/{name}/queues");
    let entries = fs::read_dir(&dir).map_err(|err| {
        Error::new(
            ErrorKind::Kernel,
            format!(
                "interface {name}: cannot list {dir}: {}",
                describe_errno(err.raw_os_error().unwrap_or(0))
            ),
        )
    })?;
    let count = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(prefix))
        .count();
    Ok(count as u32)
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_described() {
        let info = device_info("lo").expect("lo exists in every namespace");
        assert_eq!(info.name, "lo");
        assert!(info.ifindex > 0);
        assert!(info.tx_queues >= 1);
        assert_eq!(info.mac_string(), "00:00:00:00:00:00");
    }

    #[test]
    fn missing_interface_is_named() {
        let err = device_info("eth9xdperf").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoSuchInterface);
        assert_eq!(err.message, "interface eth9xdperf: no such interface");
    }

    #[test]
    fn bad_names_are_refused_before_any_ioctl() {
        let err = device_info("a/b").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NoSuchInterface);
    }
}
