//! The system clocks by id, as the kernel's BPF helpers read them
//! (bpf_ktime_get_ns is CLOCK_MONOTONIC, bpf_ktime_get_tai_ns CLOCK_TAI), so
//! times taken here and in a BPF program compare. `Instant` hides which
//! clock it uses and from what origin, so it cannot serve.

/// The clock `id`'s time, in ns since its epoch.
pub fn now_ns(id: libc::clockid_t) -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec the call writes; the call has no
    // other effect.
    let rc = unsafe { libc::clock_gettime(id, &mut now) };
    // CLOCK_MONOTONIC and CLOCK_TAI exist on every kernel with AF_XDP.
    assert_eq!(rc, 0, "clock_gettime({id}) failed");
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}
