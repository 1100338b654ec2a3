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

/// The CPUs the process's other threads were allowed before a session moved
/// them off its transmit CPUs; [`OtherThreadsOff::restore`] gives them back.
pub struct OtherThreadsOff {
    original: libc::cpu_set_t,
}

/// Moves every thread of this process off `cpus`, so the controller's own
/// threads (Node's main thread, libuv and V8 workers) do not take time slices
/// from a transmit thread that spins its pacer gaps on one of them: a lost
/// slice is a stall of milliseconds, a hole in a 10 ms window. Threads
/// created afterwards inherit their creator's mask; transmit threads pin
/// themselves explicitly. None when that would leave no CPU (e.g. --cpus
/// naming every CPU), or when the kernel refuses: pacing then only loses
/// some smoothness, so this never fails a run.
pub fn move_other_threads_off(cpus: &[u32]) -> Option<OtherThreadsOff> {
    // SAFETY: cpu_set_t is a plain bit set; sched_getaffinity fills the one we own.
    let original = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) < 0 {
            return None;
        }
        set
    };
    let mut reduced = original;
    for &cpu in cpus {
        if (cpu as usize) < libc::CPU_SETSIZE as usize {
            // SAFETY: the index is inside the set (checked above).
            unsafe { libc::CPU_CLR(cpu as usize, &mut reduced) };
        }
    }
    // SAFETY: CPU_COUNT only reads the set.
    if unsafe { libc::CPU_COUNT(&reduced) } == 0 {
        return None;
    }
    set_all_threads(&reduced);
    Some(OtherThreadsOff { original })
}

impl OtherThreadsOff {
    /// Lets every thread of the process use its original CPUs again.
    pub fn restore(self) {
        set_all_threads(&self.original);
    }
}

fn set_all_threads(set: &libc::cpu_set_t) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for tid in tasks
        .flatten()
        .filter_map(|t| t.file_name().to_str()?.parse::<libc::pid_t>().ok())
    {
        // SAFETY: `set` is a valid cpu_set_t of the size passed; a thread that
        // ended meanwhile only makes the call fail with ESRCH, which is ignored.
        unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), set) };
    }
}
