//! Properties of a transmit thread: the CPU it runs on, how precisely its
//! sleeps end, and that signals go to other threads.

use crate::error::{Error, ErrorKind, Result};

/// Timer slack for transmit threads: the default 50 µs would make every
/// pacer sleep end up to 50 µs late.
const TIMER_SLACK_NS: libc::c_ulong = 1_000;

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: u32) -> Result<()> {
    let index = cpu as usize;
    if index >= libc::CPU_SETSIZE as usize {
        return Err(Error::invalid(format!("cpu {cpu}: out of range")));
    }
    // SAFETY: cpu_set_t is a plain bit set; all-zero is the empty set, and
    // CPU_SET writes a bit inside it (index checked above).
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(index, &mut set);
        set
    };
    // SAFETY: pid 0 is the calling thread; `set` is a valid cpu_set_t of the size passed.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(if errno == libc::EINVAL {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("cpu {cpu}: not available to this process"),
            )
        } else {
            Error::from_errno(&format!("cpu {cpu}"), errno)
        });
    }
    Ok(())
}

/// Makes the calling thread's sleeps end close to their deadline.
pub fn tighten_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK takes an integer and affects only the
    // calling thread. Failure only costs pacing precision, so it is ignored.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, TIMER_SLACK_NS, 0, 0, 0);
    }
}

/// Blocks every signal on the calling thread, so the process's signals
/// (Ctrl-C, SIGCHLD, SIGWINCH…) are handled by Node's threads. A signal
/// taken on a transmit thread would cut a BPF_PROG_RUN call short with
/// EINTR after an unknown number of frames.
pub fn block_signals() {
    // SAFETY: sigfillset fills the set we own; pthread_sigmask changes only
    // the calling thread's mask. Failure (EINVAL) cannot happen with
    // SIG_BLOCK and a valid set.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
}
