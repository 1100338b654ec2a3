//! Stamps (`xdperf run --stamp`): 18 bytes at the start of each frame's L4
//! payload — a check, the stream, the packet's number in its stream and its
//! transmit time — from which the receiver counts loss, duplicates and
//! reordering exactly and measures one-way latency. format.rs has the
//! bytes (as bpf/stamp.h), site.rs where a template's go and how the
//! afxdp and packet engines write them; the xdp engine writes them in BPF.
//! histogram.rs has the receiver's latency buckets and percentiles.

pub mod format;
pub mod histogram;
pub mod site;

pub use format::{Stamp, StampClock, MAX_STREAM, STAMP_LEN};
pub use site::StampSite;
