//! The memory an AF_XDP socket registers as its UMEM: an anonymous, pre-faulted
//! mapping of equal frames, filled with the templates once before sending.

use std::ptr::NonNull;

use crate::error::{describe_errno, Error, ErrorKind, Result};

/// An anonymous mapping divided into `frame_size` frames.
pub struct UmemArea {
    base: NonNull<u8>,
    len: usize,
    frame_size: usize,
}

impl UmemArea {
    /// Maps `frames` × `frame_size` bytes, populated so that the first
    /// packets do not take page faults.
    pub fn new(frames: usize, frame_size: u32) -> Result<UmemArea> {
        let frame_size = frame_size as usize;
        let len = frames * frame_size;
        // SAFETY: anonymous private mapping with no address hint; the result
        // is checked before use and owned (unmapped) by the returned value.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Err(Error::new(
                ErrorKind::Kernel,
                format!(
                    "UMEM of {len} bytes: cannot map memory: {}",
                    describe_errno(errno)
                ),
            ));
        }
        Ok(UmemArea {
            base: NonNull::new(base.cast()).expect("mmap never returns NULL on success"),
            len,
            frame_size,
        })
    }

    /// Copies `bytes` (≤ frame size) to the start of frame `index`.
    pub fn write_frame(&mut self, index: usize, bytes: &[u8]) {
        assert!(
            bytes.len() <= self.frame_size,
            "template larger than a frame"
        );
        let offset = index * self.frame_size;
        assert!(
            offset + self.frame_size <= self.len,
            "frame index out of range"
        );
        // SAFETY: the range [offset, offset + bytes.len()) lies inside the
        // mapping (asserted above), which `&mut self` lets us write, and the
        // kernel reads the frames only after they are written.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.base.as_ptr().add(offset),
                bytes.len(),
            );
        }
    }

    /// Frame `index`, to write a packet into while the kernel does not own it.
    #[inline]
    pub fn frame_mut(&mut self, index: u32) -> &mut [u8] {
        let offset = index as usize * self.frame_size;
        assert!(
            offset + self.frame_size <= self.len,
            "frame index out of range"
        );
        // SAFETY: the frame lies inside the mapping (asserted above), which
        // lives as long as `self`, and `&mut self` makes this the only Rust
        // view of it. The kernel reads only frames the caller has put in the
        // TX ring and not yet got back, which the caller does not write.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr().add(offset), self.frame_size) }
    }

    /// The whole mapping, for registering it with the kernel.
    pub fn as_slice_ptr(&self) -> NonNull<[u8]> {
        NonNull::slice_from_raw_parts(self.base, self.len)
    }
}

impl Drop for UmemArea {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are exactly the mapping made in `new`, and the
        // socket that registered it is dropped before this (see XskTx).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}
