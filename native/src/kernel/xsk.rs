//! One TX-only AF_XDP socket: UMEM registration, the TX and completion rings
//! (through xdpilone), the bind with zero-copy or copy mode, and the kick.

use std::os::fd::RawFd;

use xdpilone::xdp::XdpDesc;
use xdpilone::{DeviceQueue, IfInfo, RingTx, Socket, SocketConfig, Umem, UmemConfig};

use crate::error::{describe_errno, Error, ErrorKind, Result, Setting};
use crate::kernel::umem::UmemArea;

/// Entries of the TX and completion rings. The transmit loop keeps at most
/// this many descriptors in flight, so the completion ring cannot overflow.
pub const RING_SIZE: u32 = 2048;

/// `SOL_XDP` socket options from <linux/if_xdp.h>.
const SOL_XDP: libc::c_int = 283;
const XDP_OPTIONS: libc::c_int = 8;
const XDP_OPTIONS_ZEROCOPY: u32 = 1;
/// Copy-mode frames the kernel sends per sendto (Linux ≥ 6.17; default 32).
const XDP_MAX_TX_SKB_BUDGET: libc::c_int = 9;

/// The mode the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeRequest {
    /// Zero-copy where the driver supports it, copy otherwise.
    Auto,
    ZeroCopy,
    Copy,
}

impl ModeRequest {
    pub fn name(self) -> &'static str {
        match self {
            ModeRequest::Auto => "auto",
            ModeRequest::ZeroCopy => "zerocopy",
            ModeRequest::Copy => "copy",
        }
    }
}

/// Result of waking the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kick {
    /// The kernel took descriptors (or had nothing to do).
    Done,
    /// The kernel is busy (budget used up, device queue full); try again.
    Busy,
    /// The kernel refused: errno.
    Failed(i32),
}

/// A bound TX-only AF_XDP socket with its UMEM.
pub struct XskTx {
    // Field order is drop order: the rings and the socket go before the
    // memory the kernel has registered.
    tx: RingTx,
    completions: DeviceQueue,
    fd: RawFd,
    zero_copy: bool,
    area: UmemArea,
}

impl XskTx {
    /// Registers `area` (frames of `frame_size`) and binds a socket to
    /// `ifname`'s `queue`; `Auto` tries zero-copy first and falls back to copy.
    /// In copy mode one kick sends up to `batch` frames where the kernel
    /// allows raising its per-sendto budget.
    pub fn open(
        ifname: &str,
        ifindex: u32,
        queue: u32,
        area: UmemArea,
        frame_size: u32,
        request: ModeRequest,
        batch: u32,
    ) -> Result<XskTx> {
        let subject = format!("AF_XDP socket on {ifname} queue {queue}");
        let attempt = |copy_flag: u16| bind(ifindex, queue, &area, frame_size, copy_flag);
        let bound = match request {
            ModeRequest::Copy => attempt(SocketConfig::XDP_BIND_COPY),
            ModeRequest::ZeroCopy => attempt(SocketConfig::XDP_BIND_ZEROCOPY),
            ModeRequest::Auto => attempt(SocketConfig::XDP_BIND_ZEROCOPY)
                .or_else(|_| attempt(SocketConfig::XDP_BIND_COPY)),
        };
        let (tx, completions) = bound.map_err(|errno| match (request, errno) {
            (ModeRequest::ZeroCopy, libc::EOPNOTSUPP) => Error::new(
                ErrorKind::Unsupported,
                format!("{subject}: zero-copy is not supported by this driver"),
            )
            .instead(Setting::XdpMode, &["auto", "copy"]),
            // The kernel counts a UMEM against RLIMIT_MEMLOCK unless the
            // process has CAP_IPC_LOCK, and says ENOBUFS when it does not fit.
            (_, libc::ENOBUFS) => Error::new(
                ErrorKind::Kernel,
                format!(
                    "{subject}: the UMEM exceeds the locked-memory limit (raise it: ulimit -l unlimited, or grant CAP_IPC_LOCK)"
                ),
            ),
            (_, libc::EINVAL) => Error::new(
                ErrorKind::Kernel,
                format!(
                    "{subject}: the kernel refused the bind ({})",
                    describe_errno(errno)
                ),
            ),
            _ => Error::from_errno(&subject, errno),
        })?;
        let fd = tx.as_raw_fd();
        let zero_copy = query_zero_copy(fd).map_err(|errno| Error::from_errno(&subject, errno))?;
        if !zero_copy {
            raise_copy_budget(fd, batch);
        }
        Ok(XskTx {
            tx,
            completions,
            fd,
            zero_copy,
            area,
        })
    }

    pub fn is_zero_copy(&self) -> bool {
        self.zero_copy
    }

    /// Puts as many of `descriptors` as fit into the TX ring; returns how many.
    #[inline]
    pub fn submit(&mut self, descriptors: &[XdpDesc]) -> u32 {
        let written = self.write(descriptors);
        if written as usize == descriptors.len() {
            return written;
        }
        // xdpilone reserves from its cached view of the kernel's consumer and
        // re-reads it only once that view shows no room: ask again for the rest.
        written + self.write(&descriptors[written as usize..])
    }

    #[inline]
    fn write(&mut self, descriptors: &[XdpDesc]) -> u32 {
        let mut writer = self.tx.transmit(descriptors.len() as u32);
        let written = writer.insert(descriptors.iter().copied());
        writer.commit();
        written
    }

    /// Releases every completed descriptor, giving each frame's address to
    /// `completed`; returns how many.
    #[inline]
    pub fn reap(&mut self, completed: impl FnMut(u64)) -> u32 {
        reap_completions(&mut self.completions, RING_SIZE, completed)
    }

    /// UMEM frame `index` (see [`UmemArea::frame_mut`]).
    #[inline]
    pub fn frame_mut(&mut self, index: u32) -> &mut [u8] {
        self.area.frame_mut(index)
    }

    /// Whether the kernel must be woken for the TX ring to progress: copy
    /// mode sends only from sendto, so whenever descriptors wait; zero-copy
    /// only when the driver sets the need-wakeup flag.
    #[inline]
    pub fn wants_kick(&self) -> bool {
        if self.zero_copy {
            self.tx.needs_wakeup()
        } else {
            self.tx.pending() > 0
        }
    }

    /// Wakes the kernel's transmit path (sendto, non-blocking).
    #[inline]
    pub fn kick(&self) -> Kick {
        kick_socket(self.fd)
    }
}

/// Releases up to `max` completed descriptors of `completions`, giving
/// each frame's address to `completed`; returns how many.
#[inline]
pub fn reap_completions(
    completions: &mut DeviceQueue,
    max: u32,
    mut completed: impl FnMut(u64),
) -> u32 {
    let mut reader = completions.complete(max);
    let mut count = 0;
    for addr in reader.by_ref() {
        completed(addr);
        count += 1;
    }
    reader.release();
    count
}

/// Wakes the transmit path of AF_XDP socket `fd` with a zero-length,
/// non-blocking sendto.
#[inline]
pub fn kick_socket(fd: RawFd) -> Kick {
    // SAFETY: a zero-length sendto on an open AF_XDP socket of the caller's;
    // the kernel reads no buffer.
    let rc = unsafe {
        libc::sendto(
            fd,
            std::ptr::null(),
            0,
            libc::MSG_DONTWAIT,
            std::ptr::null(),
            0,
        )
    };
    if rc >= 0 {
        return Kick::Done;
    }
    match std::io::Error::last_os_error().raw_os_error().unwrap_or(0) {
        libc::EAGAIN | libc::EBUSY | libc::ENOBUFS | libc::EINTR => Kick::Busy,
        errno => Kick::Failed(errno),
    }
}

/// UMEM of a probing bind: small, as the bind tests the mode, not the size.
const PROBE_FRAMES: usize = 64;
const PROBE_FRAME_SIZE: u32 = 2048;

/// Whether `queue` of interface `ifindex` takes a TX-only AF_XDP bind in
/// zero-copy (or copy) mode: binds a socket on a small UMEM and closes it.
/// The errno if the kernel refused.
pub fn try_bind(ifindex: u32, queue: u32, zero_copy: bool) -> std::result::Result<(), i32> {
    let area = UmemArea::new(PROBE_FRAMES, PROBE_FRAME_SIZE).map_err(|_| libc::ENOMEM)?;
    let flag = if zero_copy {
        SocketConfig::XDP_BIND_ZEROCOPY
    } else {
        SocketConfig::XDP_BIND_COPY
    };
    // The rings (and the socket) close here, before the UMEM is unmapped.
    bind(ifindex, queue, &area, PROBE_FRAME_SIZE, flag).map(drop)
}

/// Creates the socket, registers the UMEM and binds with `copy_flag`
/// (XDP_COPY or XDP_ZEROCOPY) plus need-wakeup. Returns the errno on failure.
fn bind(
    ifindex: u32,
    queue: u32,
    area: &UmemArea,
    frame_size: u32,
    copy_flag: u16,
) -> std::result::Result<(RingTx, DeviceQueue), i32> {
    let config = UmemConfig {
        fill_size: RING_SIZE,
        complete_size: RING_SIZE,
        frame_size,
        headroom: 0,
        flags: 0,
    };
    // SAFETY: the area is a page-aligned mapping of whole frames that
    // outlives the socket: XskTx owns it and drops it after the rings.
    let umem = unsafe { Umem::new(config, area.as_slice_ptr()) }.map_err(|e| e.get_raw())?;
    let mut info = IfInfo::invalid();
    info.from_ifindex(ifindex).map_err(|e| e.get_raw())?;
    info.set_queue(queue);
    let socket = Socket::with_shared(&info, &umem).map_err(|e| e.get_raw())?;
    // The kernel refuses a bind without fill and completion rings, even for TX only.
    let completions = umem.fq_cq(&socket).map_err(|e| e.get_raw())?;
    let user = umem
        .rx_tx(
            &socket,
            &SocketConfig {
                rx_size: None,
                tx_size: std::num::NonZeroU32::new(RING_SIZE),
                bind_flags: copy_flag | SocketConfig::XDP_BIND_NEED_WAKEUP,
            },
        )
        .map_err(|e| e.get_raw())?;
    let tx = user.map_tx().map_err(|e| e.get_raw())?;
    umem.bind(&user).map_err(|e| e.get_raw())?;
    Ok((tx, completions))
}

fn query_zero_copy(fd: RawFd) -> std::result::Result<bool, i32> {
    let mut options: u32 = 0;
    let mut len = std::mem::size_of::<u32>() as libc::socklen_t;
    // SAFETY: XDP_OPTIONS writes one `struct xdp_options` (a u32) into
    // `options`, whose size we pass.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            SOL_XDP,
            XDP_OPTIONS,
            (&mut options as *mut u32).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    Ok(options & XDP_OPTIONS_ZEROCOPY != 0)
}

/// Lets one copy-mode sendto send `batch` frames instead of the kernel's
/// default 32, halving the kicks for batches of 64. Older kernels lack the
/// option; they keep the default, which costs only speed.
fn raise_copy_budget(fd: RawFd, batch: u32) {
    let budget = batch as libc::c_int;
    // SAFETY: XDP_MAX_TX_SKB_BUDGET reads one int from `budget`, whose size we pass.
    unsafe {
        libc::setsockopt(
            fd,
            SOL_XDP,
            XDP_MAX_TX_SKB_BUDGET,
            (&budget as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
