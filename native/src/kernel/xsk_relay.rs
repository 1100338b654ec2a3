//! The lab router's AF_XDP sockets: one receiving socket on every queue of
//! the ingress interface and one sending socket on the egress interface,
//! all in copy mode on one UMEM, so a frame is sent from the UMEM frame it
//! was received into and goes back to a fill ring once the kernel has sent
//! it. Also the wait for frames (ppoll, to the nanosecond, which a delay of
//! a few milliseconds needs) and the sockets' own drop counters.

use std::num::NonZeroU32;
use std::os::fd::RawFd;
use std::time::Duration;

use xdpilone::xdp::XdpDesc;
use xdpilone::{DeviceQueue, IfInfo, RingRx, RingTx, Socket, SocketConfig, Umem, UmemConfig};

use crate::error::{Error, Result};
use crate::kernel::umem::UmemArea;
use crate::kernel::xsk::{kick_socket, reap_completions, Kick};

/// Descriptors of the receiving sockets' RX and fill rings, together: 20 ms
/// at 200,000 packets/s, for when the forwarder is not scheduled for a while.
const RX_RINGS_SIZE: u32 = 4096;
/// The least each receiving socket's rings get, however many queues.
const MIN_RX_RING_SIZE: u32 = 256;
/// Descriptors of the sending socket's TX and completion rings.
pub const TX_RING_SIZE: u32 = 1024;
/// A power of two that holds the kernel's 256 bytes of headroom and a
/// 1514-byte frame.
pub const FRAME_SIZE: u32 = 2048;

/// A frame in the UMEM: where the packet starts and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub addr: u64,
    pub len: u32,
}

impl Frame {
    /// The start of the UMEM frame the packet lies in.
    pub fn start(self) -> u64 {
        frame_start(self.addr)
    }
}

struct Receiver {
    ring: RingRx,
    fill: DeviceQueue,
}

/// The bound sockets and their UMEM.
pub struct XskRelay {
    // Field order is drop order: the rings and sockets go before the memory
    // the kernel has registered.
    receivers: Vec<Receiver>,
    tx: RingTx,
    completions: DeviceQueue,
    area: UmemArea,
    frames: u32,
}

/// Frames the kernel could not give the relay, by its own counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketDrops {
    /// Received frames dropped: no fill-ring frame, or the RX ring full.
    pub rx: u64,
    /// TX descriptors the kernel refused.
    pub tx_invalid: u64,
}

impl XskRelay {
    /// Binds a receiving socket to each of `ingress_queues` queues of
    /// interface `ingress_index` and a sending socket to queue 0 of
    /// `egress_index`, in the calling thread's network namespace, sharing a
    /// UMEM with frames for the rings and `spare_frames` more.
    /// `ingress` and `egress` name them in errors.
    pub fn open(
        (ingress, ingress_index, ingress_queues): (&str, u32, u32),
        (egress, egress_index): (&str, u32),
        spare_frames: u32,
    ) -> Result<XskRelay> {
        let rx_ring_size =
            (RX_RINGS_SIZE / ingress_queues.next_power_of_two()).max(MIN_RX_RING_SIZE);
        let frames = ingress_queues * rx_ring_size + TX_RING_SIZE + spare_frames;
        let area = UmemArea::new(frames as usize, FRAME_SIZE)?;
        let config = UmemConfig {
            fill_size: rx_ring_size,
            complete_size: TX_RING_SIZE,
            frame_size: FRAME_SIZE,
            headroom: 0,
            flags: 0,
        };
        // SAFETY: the area is a page-aligned mapping of whole frames that
        // outlives the sockets: XskRelay owns it and drops it after them.
        let umem = unsafe { Umem::new(config, area.as_slice_ptr()) }
            .map_err(|err| Error::from_errno("AF_XDP UMEM", err.get_raw()))?;
        let mut receivers = Vec::with_capacity(ingress_queues as usize);
        for queue in 0..ingress_queues {
            let subject = format!("AF_XDP socket on {ingress} queue {queue}");
            let fail = |err: xdpilone::Errno| Error::from_errno(&subject, err.get_raw());
            let info = interface(ingress_index, queue).map_err(fail)?;
            // The first socket is the UMEM's own, which the kernel wants bound
            // before any other shares it; the others take its copy mode and
            // may not name one.
            let (socket, bind_flags) = if queue == 0 {
                (
                    Socket::with_shared(&info, &umem),
                    SocketConfig::XDP_BIND_COPY,
                )
            } else {
                (Socket::new(&info), 0)
            };
            let socket = socket.map_err(fail)?;
            let fill = umem.fq_cq(&socket).map_err(fail)?;
            let user = umem
                .rx_tx(
                    &socket,
                    &SocketConfig {
                        rx_size: NonZeroU32::new(rx_ring_size),
                        tx_size: None,
                        bind_flags,
                    },
                )
                .map_err(fail)?;
            let ring = user.map_rx().map_err(fail)?;
            umem.bind(&user).map_err(fail)?;
            receivers.push(Receiver { ring, fill });
        }
        let subject = format!("AF_XDP socket on {egress} queue 0");
        let fail = |err: xdpilone::Errno| Error::from_errno(&subject, err.get_raw());
        let info = interface(egress_index, 0).map_err(fail)?;
        let socket = Socket::new(&info).map_err(fail)?;
        // The kernel refuses a bind without fill and completion rings, even
        // for sending only; this fill ring stays empty.
        let completions = umem.fq_cq(&socket).map_err(fail)?;
        let user = umem
            .rx_tx(
                &socket,
                &SocketConfig {
                    rx_size: None,
                    tx_size: NonZeroU32::new(TX_RING_SIZE),
                    bind_flags: 0,
                },
            )
            .map_err(fail)?;
        let tx = user.map_tx().map_err(fail)?;
        umem.bind(&user).map_err(fail)?;
        Ok(XskRelay {
            receivers,
            tx,
            completions,
            area,
            frames,
        })
    }

    /// The receiving sockets' descriptors by queue, for the steering map.
    pub fn receiving_sockets(&self) -> impl Iterator<Item = (u32, RawFd)> + '_ {
        (0u32..)
            .zip(&self.receivers)
            .map(|(queue, receiver)| (queue, receiver.ring.as_raw_fd()))
    }

    /// The start of every UMEM frame.
    pub fn frame_addresses(&self) -> impl Iterator<Item = u64> {
        (0..u64::from(self.frames)).map(|index| index * u64::from(FRAME_SIZE))
    }

    /// Gives `free` frames to the fill rings, each up to its size; what the
    /// rings do not take stays in `free`.
    pub fn refill(&mut self, free: &mut Vec<u64>) {
        for receiver in &mut self.receivers {
            if free.is_empty() {
                return;
            }
            let mut writer = receiver.fill.fill(free.len() as u32);
            let taken = writer.insert(free.iter().rev().copied());
            writer.commit();
            free.truncate(free.len() - taken as usize);
        }
    }

    /// Hands every frame received (up to `max` per socket) to `received`.
    pub fn receive(&mut self, max: u32, mut received: impl FnMut(Frame)) {
        for receiver in &mut self.receivers {
            let mut reader = receiver.ring.receive(max);
            while let Some(desc) = reader.read() {
                received(Frame {
                    addr: desc.addr,
                    len: desc.len,
                });
            }
            reader.release();
        }
    }

    /// The packet bytes of `frame`, to rewrite before sending.
    pub fn packet_mut(&mut self, frame: Frame) -> &mut [u8] {
        let (index, offset) = locate(frame.addr);
        &mut self.area.frame_mut(index)[offset..offset + frame.len as usize]
    }

    /// Copies `frame`'s packet to the start of the frame at `into` (a frame
    /// the kernel does not own); the copy.
    pub fn copy(&mut self, frame: Frame, into: u64) -> Frame {
        let mut bytes = [0u8; FRAME_SIZE as usize];
        let len = frame.len as usize;
        bytes[..len].copy_from_slice(self.packet_mut(frame));
        let copy = Frame {
            addr: into,
            len: frame.len,
        };
        self.packet_mut(copy).copy_from_slice(&bytes[..len]);
        copy
    }

    /// Puts as many of `frames` as fit into the TX ring; returns how many.
    pub fn submit(&mut self, frames: &[Frame]) -> u32 {
        let mut writer = self.tx.transmit(frames.len() as u32);
        let written = writer.insert(frames.iter().map(|frame| XdpDesc {
            addr: frame.addr,
            len: frame.len,
            options: 0,
        }));
        writer.commit();
        written
    }

    /// Descriptors in the TX ring the kernel has not taken yet.
    pub fn unsent(&self) -> u32 {
        self.tx.pending()
    }

    /// Makes the kernel send what the TX ring holds (copy mode sends only
    /// from sendto), non-blocking.
    pub fn kick(&self) -> Kick {
        kick_socket(self.tx.as_raw_fd())
    }

    /// Gives the start of every frame the kernel has finished sending to
    /// `completed`; returns how many.
    pub fn reap(&mut self, mut completed: impl FnMut(u64)) -> u32 {
        reap_completions(&mut self.completions, TX_RING_SIZE, |addr| {
            completed(frame_start(addr))
        })
    }

    /// Waits until a frame arrives or `timeout` passes. Interrupted by a
    /// signal counts as a wake.
    pub fn wait(&self, timeout: Duration) -> Result<()> {
        let mut fds: Vec<libc::pollfd> = self
            .receivers
            .iter()
            .map(|receiver| libc::pollfd {
                fd: receiver.ring.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let timeout = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: ppoll reads `fds.len()` pollfds from `fds` (writing their
        // revents) and one timespec; both live for the call; no signal mask.
        let rc = unsafe {
            libc::ppoll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                &timeout,
                std::ptr::null(),
            )
        };
        if rc < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            if errno != libc::EINTR {
                return Err(Error::from_errno("AF_XDP sockets: ppoll", errno));
            }
        }
        Ok(())
    }

    /// The kernel's drop counters of the sockets, summed.
    pub fn socket_drops(&self) -> Result<SocketDrops> {
        let mut drops = SocketDrops::default();
        for receiver in &self.receivers {
            let stats = receiver
                .fill
                .statistics_v2()
                .map_err(|err| Error::from_errno("AF_XDP statistics", err.get_raw()))?;
            drops.rx += stats.rx_dropped + stats.rx_ring_full;
        }
        let stats = self
            .completions
            .statistics_v2()
            .map_err(|err| Error::from_errno("AF_XDP statistics", err.get_raw()))?;
        drops.tx_invalid = stats.tx_invalid_descs;
        Ok(drops)
    }
}

fn interface(ifindex: u32, queue: u32) -> std::result::Result<IfInfo, xdpilone::Errno> {
    let mut info = IfInfo::invalid();
    info.from_ifindex(ifindex)?;
    info.set_queue(queue);
    Ok(info)
}

fn frame_start(addr: u64) -> u64 {
    addr - addr % u64::from(FRAME_SIZE)
}

/// The UMEM frame an address lies in and its offset there (the kernel puts
/// received packets after its headroom).
fn locate(addr: u64) -> (u32, usize) {
    (
        (addr / u64::from(FRAME_SIZE)) as u32,
        (addr % u64::from(FRAME_SIZE)) as usize,
    )
}
