//! A BPF array map of u64 made with BPF_F_MMAPABLE, mapped into this
//! process: its values read and written in place, as atomics, while BPF
//! programs add to them (the receive counter's latency histograms). One
//! mmap instead of a syscall per value.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

use crate::error::{Error, Result};

pub struct MappedArray {
    values: NonNull<AtomicU64>,
    len: usize,
}

// SAFETY: the mapping is shared memory that every user (BPF programs, other
// processes, this one's threads) reaches only through atomic operations, and
// it stays mapped until the MappedArray is dropped.
unsafe impl Send for MappedArray {}
// SAFETY: as for Send: &MappedArray hands out only &[AtomicU64].
unsafe impl Sync for MappedArray {}

impl MappedArray {
    /// Maps the `len` u64 values of the array map `fd` (created with
    /// BPF_F_MMAPABLE, value size 8, `len` entries); errors name `subject`.
    pub fn map(fd: BorrowedFd<'_>, len: usize, subject: &str) -> Result<MappedArray> {
        let bytes = len
            .checked_mul(std::mem::size_of::<u64>())
            .filter(|&bytes| bytes > 0)
            .ok_or_else(|| Error::invalid(format!("{subject}: cannot map {len} values")))?;
        // SAFETY: a fresh shared mapping of the map's fd at offset 0, as
        // BPF_F_MMAPABLE arrays allow (the kernel refuses more bytes than the
        // map holds); it aliases no Rust object.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if address == libc::MAP_FAILED {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Err(Error::from_errno(&format!("{subject}: mmap"), errno));
        }
        let values = NonNull::new(address.cast::<AtomicU64>())
            .ok_or_else(|| Error::invalid(format!("{subject}: mmap returned null")))?;
        Ok(MappedArray { values, len })
    }

    /// The map's values.
    pub fn values(&self) -> &[AtomicU64] {
        // SAFETY: `values` is a page-aligned mapping of `len` u64s, live
        // while self is; AtomicU64 has u64's size and its alignment (8,
        // which page alignment meets), and all access goes through it.
        unsafe { std::slice::from_raw_parts(self.values.as_ptr(), self.len) }
    }
}

impl Drop for MappedArray {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`; no reference into
        // it outlives self (values() borrows self).
        unsafe {
            libc::munmap(
                self.values.as_ptr().cast(),
                self.len * std::mem::size_of::<u64>(),
            );
        }
    }
}
