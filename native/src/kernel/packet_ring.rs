//! One AF_PACKET socket with a TPACKET_V2 TX ring, bound to an interface and
//! bypassing its qdisc (PACKET_QDISC_BYPASS: straight to the driver, as
//! trafgen does by default). The ring is a shared mapping of equal slots;
//! each starts with a `tpacket2_hdr` whose `tp_status` says who owns it:
//! the user while AVAILABLE, the kernel from SEND_REQUEST until the frame's
//! skb is freed, when it becomes AVAILABLE again.
//!
//! Each frame is preceded by a `virtio_net_hdr` (PACKET_VNET_HDR) whose
//! `hdr_len` tells the kernel how much of it to copy into the skb; the rest
//! it attaches as a fragment of the ring's page. Small frames are copied
//! whole: a fragment of a ring page is a zero-copy fragment, which a veth
//! (or any forwarding) must copy into a fresh page per packet
//! (skb_copy_ubufs) — on the veth lab that page allocation and copy cost
//! more than copying 60 bytes. Large frames keep their payload as a
//! fragment, so a NIC reads it straight from the ring.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::engine::packet::tx_loop::{Flush, FrameRing};
use crate::error::{describe_errno, Error, ErrorKind, Result};

/// <linux/if_packet.h>
const TPACKET_V2: i32 = 1;
const TP_STATUS_AVAILABLE: u32 = 0;
const TP_STATUS_SEND_REQUEST: u32 = 1;
const TP_STATUS_SENDING: u32 = 2;
const TP_STATUS_WRONG_FORMAT: u32 = 4;
const TP_STATUS_OWNED_BY_KERNEL: u32 =
    TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT;
/// Where a TPACKET_V2 TX frame's data starts in its slot:
/// TPACKET_ALIGN(sizeof(struct tpacket2_hdr)), what the kernel uses without
/// PACKET_TX_HAS_OFF.
const DATA_OFFSET: usize = 32;
/// `struct virtio_net_hdr` before each frame (<linux/virtio_net.h>): flags,
/// gso_type, then little-endian hdr_len, gso_size, csum_start, csum_offset.
const VNET_HDR_LEN: usize = 10;
const VNET_HDR_LEN_OFFSET: usize = 2;
/// Frames up to this length are copied into the skb whole (see above).
const COPIED_WHOLE: usize = 256;
/// Bytes of a slot before the frame.
const FRAME_OFFSET: usize = DATA_OFFSET + VNET_HDR_LEN;
/// Offsets of `tp_status` and `tp_len` in `struct tpacket2_hdr`.
const STATUS_OFFSET: usize = 0;
const LEN_OFFSET: usize = 4;
const PAGE_SIZE: u32 = 4096;
/// What an skb costs the send buffer beyond its data (struct sk_buff and
/// skb_shared_info, rounded up).
const SKB_OVERHEAD: usize = 1024;
/// Slots a ring aims for: a few batches, few enough to stay in the cache.
const BASE_SLOTS: u32 = 256;
/// Rings up to this many slots are sized to a whole number of schedule
/// periods, so that every slot keeps the template it was first written with.
const MAX_PERIOD_SLOTS: u32 = 4096;

/// The ring's shape: equal slots, packed into page-multiple blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingGeometry {
    pub slot_size: u32,
    pub block_size: u32,
    pub slots: u32,
}

impl RingGeometry {
    /// A ring for frames up to `max_frame_len` bytes, sent `batch` at a time,
    /// replaying a mix of `period` slots.
    pub fn new(max_frame_len: usize, period: usize, batch: u32) -> RingGeometry {
        let slot_size = (FRAME_OFFSET + max_frame_len).next_power_of_two().max(128) as u32;
        let block_size = slot_size.max(PAGE_SIZE);
        let per_block = block_size / slot_size;
        let wanted = BASE_SLOTS.max(2 * batch);
        // Blocks hold whole slots; whole periods too where they fit.
        let unit = match u32::try_from(period) {
            Ok(period) if period <= MAX_PERIOD_SLOTS => {
                let unit = lcm(period, per_block);
                if unit <= MAX_PERIOD_SLOTS {
                    unit
                } else {
                    per_block
                }
            }
            _ => per_block,
        };
        let slots = wanted.div_ceil(unit) * unit;
        RingGeometry {
            slot_size,
            block_size,
            slots,
        }
    }

    fn blocks(&self) -> u32 {
        self.slots / (self.block_size / self.slot_size)
    }

    fn bytes(&self) -> usize {
        self.blocks() as usize * self.block_size as usize
    }
}

fn lcm(a: u32, b: u32) -> u32 {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

/// A bound AF_PACKET socket and its mapped TX ring.
pub struct TxRing {
    fd: OwnedFd,
    area: NonNull<u8>,
    geometry: RingGeometry,
}

// SAFETY: the mapping is owned by this value and only reached through it;
// the kernel synchronises through the status words (atomics).
unsafe impl Send for TxRing {}

impl TxRing {
    /// Opens the socket, sets up and maps the ring, and binds to `ifindex`.
    pub fn open(ifname: &str, ifindex: u32, geometry: RingGeometry) -> Result<TxRing> {
        let subject = format!("AF_PACKET socket on {ifname}");
        let fail = |what: &str, errno: i32| Error::from_errno(&format!("{subject}: {what}"), errno);
        // Protocol 0: the socket receives nothing; it only sends.
        // SAFETY: plain socket(2); the result is checked before use.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(fail("socket", last_errno()));
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        set_int(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, TPACKET_V2)
            .map_err(|errno| fail("TPACKET_V2", errno))?;
        set_int(&fd, libc::SOL_PACKET, libc::PACKET_QDISC_BYPASS, 1)
            .map_err(|errno| fail("qdisc bypass", errno))?;
        set_int(&fd, libc::SOL_PACKET, libc::PACKET_VNET_HDR, 1)
            .map_err(|errno| fail("virtio-net header", errno))?;
        // Frames in flight are charged to the send buffer (their skb's
        // truesize, some SKB_OVERHEAD over the slot); the default (~200 KiB)
        // holds fewer frames than the ring. Forcing needs CAP_NET_ADMIN;
        // without it a full buffer only means retrying.
        let per_frame = geometry.slot_size as usize + SKB_OVERHEAD;
        let send_buffer = (geometry.slots as usize * per_frame).min(i32::MAX as usize) as i32;
        if set_int(&fd, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, send_buffer).is_err() {
            let _ = set_int(&fd, libc::SOL_SOCKET, libc::SO_SNDBUF, send_buffer);
        }
        let request = libc::tpacket_req {
            tp_block_size: geometry.block_size,
            tp_block_nr: geometry.blocks(),
            tp_frame_size: geometry.slot_size,
            tp_frame_nr: geometry.slots,
        };
        // SAFETY: PACKET_TX_RING reads one tpacket_req from `request`, whose size we pass.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_TX_RING,
                (&request as *const libc::tpacket_req).cast(),
                std::mem::size_of::<libc::tpacket_req>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(fail("TX ring", last_errno()));
        }
        // SAFETY: maps the ring the kernel just allocated for this socket,
        // at no fixed address; the result is checked before use and
        // unmapped in Drop.
        let area = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                geometry.bytes(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        if area == libc::MAP_FAILED {
            return Err(Error::new(
                ErrorKind::Kernel,
                format!(
                    "{subject}: cannot map the TX ring of {} bytes: {}",
                    geometry.bytes(),
                    describe_errno(last_errno())
                ),
            ));
        }
        let ring = TxRing {
            fd,
            area: NonNull::new(area.cast()).expect("mmap never returns NULL on success"),
            geometry,
        };
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_ifindex = ifindex as i32;
        // SAFETY: binds to the sockaddr_ll we pass with its size.
        let rc = unsafe {
            libc::bind(
                ring.fd.as_raw_fd(),
                (&address as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(fail("bind", last_errno()));
        }
        Ok(ring)
    }

    /// The address of byte `offset` of slot `slot`. Slots divide blocks
    /// exactly and the kernel maps the blocks one after the other, so slot
    /// `n` starts `n` slots into the mapping.
    #[inline]
    fn at(&self, slot: u32, offset: usize) -> *mut u8 {
        assert!(slot < self.geometry.slots, "slot out of range");
        // SAFETY: the slot lies inside the mapping (asserted above), and
        // callers pass offsets inside the slot.
        unsafe {
            self.area
                .as_ptr()
                .add(slot as usize * self.geometry.slot_size as usize + offset)
        }
    }

    #[inline]
    fn status(&self, slot: u32) -> &AtomicU32 {
        // SAFETY: tp_status is the 4-byte-aligned first word of the slot
        // header, inside the mapping for as long as `self` lives; the kernel
        // reads and writes it concurrently, hence the atomic.
        unsafe { AtomicU32::from_ptr(self.at(slot, STATUS_OFFSET).cast()) }
    }
}

impl FrameRing for TxRing {
    fn slots(&self) -> u32 {
        self.geometry.slots
    }

    #[inline]
    fn is_free(&self, slot: u32) -> bool {
        self.status(slot).load(Ordering::Acquire) & TP_STATUS_OWNED_BY_KERNEL == TP_STATUS_AVAILABLE
    }

    #[inline]
    fn is_submitted(&self, slot: u32) -> bool {
        self.status(slot).load(Ordering::Acquire) == TP_STATUS_SEND_REQUEST
    }

    #[inline]
    fn write(&mut self, slot: u32, frame: &[u8]) {
        assert!(
            FRAME_OFFSET + frame.len() <= self.geometry.slot_size as usize,
            "frame larger than a ring slot"
        );
        let mut vnet_hdr = [0u8; VNET_HDR_LEN];
        let copied = frame.len().min(COPIED_WHOLE) as u16;
        vnet_hdr[VNET_HDR_LEN_OFFSET..VNET_HDR_LEN_OFFSET + 2]
            .copy_from_slice(&copied.to_le_bytes());
        // SAFETY: the slot is the user's (AVAILABLE, the caller checked);
        // tp_len, the header and the frame lie inside it (asserted above).
        unsafe {
            self.at(slot, LEN_OFFSET)
                .cast::<u32>()
                .write((VNET_HDR_LEN + frame.len()) as u32);
            std::ptr::copy_nonoverlapping(
                vnet_hdr.as_ptr(),
                self.at(slot, DATA_OFFSET),
                VNET_HDR_LEN,
            );
            std::ptr::copy_nonoverlapping(frame.as_ptr(), self.at(slot, FRAME_OFFSET), frame.len());
        }
    }

    #[inline]
    fn frame_mut(&mut self, slot: u32, len: usize) -> &mut [u8] {
        assert!(
            FRAME_OFFSET + len <= self.geometry.slot_size as usize,
            "frame larger than a ring slot"
        );
        // SAFETY: the slot is the user's (AVAILABLE, the caller checked) and
        // `len` bytes from the frame's offset lie inside it (asserted
        // above); `&mut self` makes this the only view of it.
        unsafe { std::slice::from_raw_parts_mut(self.at(slot, FRAME_OFFSET), len) }
    }

    #[inline]
    fn submit(&mut self, slot: u32) {
        // Release: the frame written before is visible to the kernel once
        // it sees the request.
        self.status(slot)
            .store(TP_STATUS_SEND_REQUEST, Ordering::Release);
    }

    #[inline]
    fn flush(&mut self) -> Flush {
        // SAFETY: a zero-length send on our own socket; with a TX ring the
        // kernel sends the submitted slots and reads no buffer of ours.
        let rc =
            unsafe { libc::send(self.fd.as_raw_fd(), std::ptr::null(), 0, libc::MSG_DONTWAIT) };
        if rc >= 0 {
            return Flush::Done;
        }
        match last_errno() {
            // The send buffer is full: the rest stays submitted.
            libc::EAGAIN | libc::ENOBUFS | libc::EINTR => Flush::Done,
            errno => Flush::Failed(errno),
        }
    }
}

impl Drop for TxRing {
    fn drop(&mut self) {
        // SAFETY: exactly the mapping made in `open`; the socket (and with
        // it the ring) closes after this, when `fd` drops.
        unsafe {
            libc::munmap(self.area.as_ptr().cast(), self.geometry.bytes());
        }
    }
}

fn set_int(
    fd: &OwnedFd,
    level: libc::c_int,
    option: libc::c_int,
    value: i32,
) -> std::result::Result<(), i32> {
    // SAFETY: the option reads one int from `value`, whose size we pass.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            option,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(last_errno())
    } else {
        Ok(())
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_frames_get_small_slots_in_page_blocks() {
        let geometry = RingGeometry::new(60, 1, 64);
        assert_eq!(geometry.slot_size, 128);
        assert_eq!(geometry.block_size, 4096);
        assert_eq!(geometry.slots, 256);
        assert_eq!(geometry.bytes(), 256 * 128);
    }

    #[test]
    fn slots_are_a_whole_number_of_periods() {
        // 3:1 mix has a period of 4; 7 templates a period of 7.
        assert_eq!(RingGeometry::new(60, 4, 64).slots % 4, 0);
        let geometry = RingGeometry::new(60, 7, 64);
        assert_eq!(geometry.slots, 448);
        assert_eq!(
            geometry.slots % (geometry.block_size / geometry.slot_size),
            0
        );
    }

    #[test]
    fn large_frames_and_batches_grow_the_ring() {
        let geometry = RingGeometry::new(1514, 1, 512);
        assert_eq!(geometry.slot_size, 2048);
        assert_eq!(geometry.slots, 1024);
        let jumbo = RingGeometry::new(9014, 1, 64);
        assert_eq!(jumbo.slot_size, 16384);
        assert_eq!(jumbo.block_size, 16384);
        assert_eq!(jumbo.blocks(), 256);
    }

    #[test]
    fn a_period_too_long_for_the_ring_is_not_followed() {
        let geometry = RingGeometry::new(60, 10_000, 64);
        assert_eq!(geometry.slots, 256);
    }
}
