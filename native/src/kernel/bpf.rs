//! What the BPF programs share with userspace: loading an XDP program out
//! of an embedded BPF object (the step the receive counter, the live-frames
//! engine and the prober share), the layout of their map values, and
//! whether a path is on a BPF filesystem. mapped_array.rs maps the values of
//! an mmapable array into the process.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use aya::programs::Xdp;
use aya::{Ebpf, Pod};

use crate::error::{Error, ErrorKind, Result, BPF_CAPABILITIES};

/// Finds the XDP program `name` in `ebpf` and loads it into the kernel;
/// errors name `subject`.
pub fn load_xdp<'a>(ebpf: &'a mut Ebpf, name: &str, subject: &str) -> Result<&'a mut Xdp> {
    let program: &mut Xdp = ebpf
        .program_mut(name)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Kernel,
                format!("{subject}: program {name} missing"),
            )
        })?
        .try_into()
        .map_err(|err| Error::from_source_chain(subject, &err))?;
    program.load().map_err(|err| load_error(subject, &err))?;
    Ok(program)
}

/// A BPF object or program that the kernel would not load: a permission
/// error names the capabilities loading needs.
pub fn load_error(subject: &str, err: &(dyn std::error::Error + 'static)) -> Error {
    Error::from_source_chain(&format!("{subject}: load"), err).needing(BPF_CAPABILITIES)
}

/// `struct counts` in xdp_count.c.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct CountsValue {
    pub packets: u64,
    pub bytes: u64,
}

// SAFETY: CountsValue is repr(C), two u64s with no padding, and every bit
// pattern is a valid value, as aya requires of map values.
unsafe impl Pod for CountsValue {}

/// Sequence-number words of a stream's duplicate bitmap (SEQ_WORDS in
/// xdp_count.c): 64 x 64 sequence numbers.
pub const SEQ_WORDS: usize = 64;

/// `struct stream_state` in xdp_count.c: one stream's stamp counts. The
/// kernel copies it without its spin lock (`lock` reads 0, and writing it
/// has no effect).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct StampStreamValue {
    pub lock: u32,
    /// STREAM_* bits of xdp_count.c.
    pub flags: u32,
    pub packets: u64,
    pub bytes: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub beyond_window: u64,
    pub clock_ahead: u64,
    pub highest_seq: u64,
    pub latency_count: u64,
    pub latency_sum: u64,
    pub latency_min: u64,
    pub latency_max: u64,
    pub last_transit: u64,
    /// RFC 3550 jitter in ns, times 16.
    pub jitter16: u64,
    pub seen: [u64; SEQ_WORDS],
}

impl StampStreamValue {
    /// The stream's last stamp was on CLOCK_TAI.
    pub const TAI: u32 = 2;

    pub const ZERO: StampStreamValue = StampStreamValue {
        lock: 0,
        flags: 0,
        packets: 0,
        bytes: 0,
        duplicated: 0,
        reordered: 0,
        beyond_window: 0,
        clock_ahead: 0,
        highest_seq: 0,
        latency_count: 0,
        latency_sum: 0,
        latency_min: 0,
        latency_max: 0,
        last_transit: 0,
        jitter16: 0,
        seen: [0; SEQ_WORDS],
    };
}

// SAFETY: StampStreamValue is repr(C): two u32s, then u64s only, so no
// padding, and every bit pattern is a valid value, as aya requires.
unsafe impl Pod for StampStreamValue {}

/// BPF_F_LOCK: a map lookup or update of a value with a spin lock copies it
/// under that lock.
pub const BPF_F_LOCK: u64 = 4;

/// `struct xmit_counts` in xdp_live_tx.c.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct XmitCountsValue {
    pub sent: u64,
    pub dropped: u64,
    pub redirect_errors: u64,
}

// SAFETY: XmitCountsValue is repr(C), three u64s with no padding, and every
// bit pattern is a valid value, as aya requires of map values.
unsafe impl Pod for XmitCountsValue {}

/// Whether the process runs as root, as tests that load BPF programs need.
#[cfg(test)]
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Whether tests that load BPF programs can run: as root, and not under
/// `make unit`; if not, a line says that `tests` are skipped and why.
#[cfg(test)]
pub fn can_load_bpf(tests: &str) -> bool {
    let skipped = if std::env::var_os("XDPERF_UNIT").is_some_and(|unit| unit == "1") {
        Some("make unit runs no test that needs root")
    } else if !running_as_root() {
        Some("needs root to load the BPF program")
    } else {
        None
    };
    if let Some(reason) = skipped {
        eprintln!("{tests} skipped: {reason}");
    }
    skipped.is_none()
}

const BPF_FS_MAGIC: libc::c_long = 0xcafe_4a11;

/// Whether `path` (which exists) is on a BPF filesystem; Err if the path
/// holds a NUL byte.
pub fn on_bpf_filesystem(path: &Path) -> std::result::Result<bool, std::ffi::NulError> {
    let path = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: statfs fills the zeroed struct we pass; `path` is a valid C string.
    let (rc, fs_type) = unsafe {
        let mut stat: libc::statfs = std::mem::zeroed();
        let rc = libc::statfs(path.as_ptr(), &mut stat);
        (rc, stat.f_type)
    };
    Ok(rc == 0 && fs_type == BPF_FS_MAGIC)
}
