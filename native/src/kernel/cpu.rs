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
    if let Err(error) = set_affinity(0, &set) {
        let errno = error.raw_os_error().unwrap_or(0);
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
    let original = affinity_of(0).ok()?;
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

/// A CPU given to the calling thread for a while: the thread pinned to it,
/// every other thread of the process moved off it. For the raw engine,
/// whose pacer runs on Node's main thread, as [`move_other_threads_off`] is
/// for the native transmit threads.
pub struct ReservedCpu {
    others: Option<OtherThreadsOff>,
    original: libc::cpu_set_t,
}

/// Reserves `cpu` for the calling thread (see [`ReservedCpu`]); fails when
/// the CPU is not one this process may use.
pub fn reserve_for_current_thread(cpu: u32) -> Result<ReservedCpu> {
    let original = affinity_of(0)
        .map_err(|error| Error::from_errno("cpu affinity", error.raw_os_error().unwrap_or(0)))?;
    let others = move_other_threads_off(&[cpu]);
    if let Err(error) = pin_current_thread(cpu) {
        if let Some(others) = others {
            others.restore();
        }
        return Err(error);
    }
    Ok(ReservedCpu { others, original })
}

impl ReservedCpu {
    /// Gives every thread, the calling one included, its CPUs back.
    pub fn release(self) {
        match self.others {
            Some(others) => others.restore(),
            // The thread keeps the one CPU if the kernel refuses: nothing to report it to.
            None => {
                let _ = set_affinity(0, &self.original);
            }
        }
    }
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
        // A thread that ended meanwhile only makes the call fail with ESRCH.
        let _ = set_affinity(tid, set);
    }
}

/// The CPUs thread `tid` may run on (0: the calling thread).
fn affinity_of(tid: libc::pid_t) -> std::io::Result<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is a plain bit set; sched_getaffinity fills the one we
    // own, of the size passed.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(set)
    }
}

/// Lets thread `tid` (0: the calling thread) run on `set` only.
fn set_affinity(tid: libc::pid_t, set: &libc::cpu_set_t) -> std::io::Result<()> {
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    if unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), set) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Reserving sets the affinity of every thread of the test process, so
    /// these tests must not overlap.
    static AFFINITY: Mutex<()> = Mutex::new(());

    fn mask_of(tid: libc::pid_t) -> Vec<usize> {
        let set = affinity_of(tid).unwrap();
        // SAFETY: CPU_ISSET only reads the set, at indexes inside it.
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
            .collect()
    }

    #[test]
    fn a_reserved_cpu_is_the_callers_alone_until_released() {
        let _serial = AFFINITY.lock().unwrap();
        let before = mask_of(0);
        let cpu = before[0];
        // A second thread of the process, alive across the reservation.
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            tid_tx.send(unsafe { libc::gettid() }).unwrap();
            done_rx.recv().unwrap();
        });
        let other_tid = tid_rx.recv().unwrap();

        let reserved = reserve_for_current_thread(cpu as u32).unwrap();
        assert_eq!(mask_of(0), vec![cpu]);
        if before.len() > 1 {
            assert!(
                !mask_of(other_tid).contains(&cpu),
                "the other thread left it"
            );
        }
        reserved.release();
        assert_eq!(mask_of(0), before);
        assert_eq!(mask_of(other_tid), before);

        done_tx.send(()).unwrap();
        other.join().unwrap();
    }

    #[test]
    fn a_cpu_the_process_may_not_use_cannot_be_reserved() {
        let _serial = AFFINITY.lock().unwrap();
        let error = reserve_for_current_thread(libc::CPU_SETSIZE as u32 - 1)
            .err()
            .expect("the last CPU of the set is not on this machine");
        assert!(
            error.message.contains("not available to this process"),
            "{}",
            error.message
        );
    }
}
