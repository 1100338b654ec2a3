//! A transmit session: one thread per entry of the plan's `queues`, each
//! with its engine's sender (engine/: an AF_XDP socket, XDP live-frame
//! calls, or an AF_PACKET TX ring), started together, stopped by count,
//! duration, request or its watchdog, and summed into stats. The engines
//! share everything but the sending: plan, schedule, pacer, packet budget
//! (gate.rs) and counters.
//!
//! Each thread sets itself up (CPU pinning, its sender on its own NUMA node)
//! and reports back; only when every thread is ready do they all start from
//! the same instant, so a failing thread leaves nothing half-running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::engine::{self, LoopContext, ThreadSender, TxEngine};
use crate::error::{Error, ErrorKind, Result};
use crate::gate::{Gate, LoopEnd, PacketBudget};
use crate::kernel::cpu;
use crate::kernel::device::{link_state, DeviceInfo};
use crate::link_watch::{verdict_of, LinkWatch, Progress, WATCH_INTERVAL};
use crate::pacer::{Clock, MonotonicClock, Pacer};
use crate::plan::{validate, Engine, PlanRequest, TxPlan};
use crate::schedule::Schedule;
use crate::stats::{sum, QueueCounters, TxStats};
use crate::variants::SequenceClaims;

/// State the threads and `stats()` share.
struct Shared {
    plan: TxPlan,
    schedule: Schedule,
    frame_lengths: Vec<u32>,
    /// The packet count, when the engine shares it as one budget.
    budget: Option<PacketBudget>,
    counters: Vec<QueueCounters>,
    stop: AtomicBool,
    start: OnceLock<Instant>,
    engine: Box<dyn TxEngine>,
    /// Why the watchdog ended the run, if it did.
    watchdog_verdict: Mutex<Option<Error>>,
    sequence: SequenceClaims,
}

struct Completion {
    threads: Vec<JoinHandle<LoopEnd>>,
    watchdog: Option<JoinHandle<()>>,
    outcome: Option<Result<TxStats>>,
    /// Given back once the transmit threads ended.
    others_off: Option<cpu::OtherThreadsOff>,
}

/// A running (or finished) transmit session.
pub struct TxSession {
    shared: Arc<Shared>,
    completion: Mutex<Completion>,
    mode: &'static str,
}

/// What a transmit thread reports once set up: its sender's mode, or why
/// it could not set up.
type ThreadReport = (usize, Result<&'static str>);

impl TxSession {
    /// Validates `request` for `device` (as the controller read it, once
    /// for the run), sets up every thread's sender and starts sending.
    pub fn start(request: PlanRequest, device: &DeviceInfo) -> Result<TxSession> {
        let shared = Arc::new(Shared::new(request, device)?);
        let mut others_off = shared
            .plan
            .cpus
            .as_deref()
            .and_then(cpu::move_other_threads_off);
        let ready = match spawn_threads(&shared) {
            Ok(ready) => ready,
            Err(err) => {
                if let Some(others_off) = others_off.take() {
                    others_off.restore();
                }
                return Err(err);
            }
        };
        // The threads wait for the start, so a stop still ends them at once.
        shared
            .start
            .set(start_instant(shared.plan.start_at))
            .expect("the start is set once, here");
        for go in &ready.go {
            // A thread that has already exited cannot be started; its join reports it.
            let _ = go.send(());
        }
        let watched = shared.clone();
        // Without its watchdog a session still runs and stops as asked.
        let watchdog = std::thread::Builder::new()
            .name("xdperf-watchdog".into())
            .spawn(move || watch_link(&watched))
            .ok();
        Ok(TxSession {
            mode: session_mode(&ready.modes),
            shared,
            completion: Mutex::new(Completion {
                threads: ready.threads,
                watchdog,
                outcome: None,
                others_off,
            }),
        })
    }

    pub fn engine(&self) -> &'static str {
        self.shared.plan.engine.name()
    }

    /// "zerocopy" or "copy" (afxdp), "live-frames" (xdp), "tx-ring" (packet).
    pub fn mode(&self) -> &'static str {
        self.mode
    }

    /// Current totals (a few atomic loads per thread; for the xdp engine
    /// also one read of the driver's counts).
    pub fn stats(&self) -> TxStats {
        self.shared.stats()
    }

    /// Asks every thread to stop; they drain what is in flight and end.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Blocks until every thread ended and every in-flight frame completed;
    /// the final stats, or the first thread's transmit failure.
    pub fn wait(&self) -> Result<TxStats> {
        let mut completion = self
            .completion
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(outcome) = &completion.outcome {
            return outcome.clone();
        }
        let threads = std::mem::take(&mut completion.threads);
        let mut failure = None;
        for (index, handle) in threads.into_iter().enumerate() {
            let subject = thread_subject(&self.shared.plan, index);
            let error = match handle.join() {
                Ok(LoopEnd::Finished) => None,
                Ok(LoopEnd::Failed { action, errno }) => {
                    Some(Error::from_errno(&format!("{subject}: {action}"), errno))
                }
                Err(_) => Some(Error::new(
                    ErrorKind::Kernel,
                    format!("{subject}: the transmit thread panicked"),
                )),
            };
            if failure.is_none() {
                failure = error;
            }
        }
        if let Some(watchdog) = completion.watchdog.take() {
            let _ = watchdog.join();
        }
        if let Some(others_off) = completion.others_off.take() {
            others_off.restore();
        }
        let watchdog_verdict = self
            .shared
            .watchdog_verdict
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(verdict) = watchdog_verdict {
            failure = Some(verdict);
        } else if failure.is_some() {
            // A send that failed because the interface went is worded as such.
            if let Some(verdict) = verdict_of(&link_state(self.shared.plan.ifindex)) {
                failure = Some(verdict.into_error(&self.shared.plan.ifname));
            }
        }
        let outcome = match failure {
            Some(err) => Err(err),
            None => Ok(self.stats()),
        };
        completion.outcome = Some(outcome.clone());
        outcome
    }
}

impl Drop for TxSession {
    fn drop(&mut self) {
        // A session dropped by the garbage collector must not send forever.
        self.stop();
    }
}

impl Shared {
    fn new(request: PlanRequest, device: &DeviceInfo) -> Result<Shared> {
        let plan = validate(request, device)?;
        let schedule = Schedule::new(&plan.weights)?;
        let engine = engine::for_plan(&plan, &schedule)?;
        let budget = plan
            .count
            .filter(|_| engine.shares_packet_budget())
            .map(PacketBudget::new);
        let counters = plan
            .queues
            .iter()
            .map(|_| {
                if engine.counts_templates() {
                    QueueCounters::counting_templates(plan.frames.len())
                } else {
                    QueueCounters::default()
                }
            })
            .collect();
        Ok(Shared {
            frame_lengths: plan.frame_lengths(),
            budget,
            counters,
            stop: AtomicBool::new(false),
            start: OnceLock::new(),
            watchdog_verdict: Mutex::new(None),
            sequence: SequenceClaims::default(),
            plan,
            schedule,
            engine,
        })
    }

    fn stats(&self) -> TxStats {
        let start = *self
            .start
            .get()
            .expect("set before the session is returned");
        let counters: Vec<&QueueCounters> = self.counters.iter().collect();
        let mut stats = sum(
            &counters,
            &self.plan.queues,
            &self.schedule,
            &self.frame_lengths,
            start.elapsed().as_nanos() as u64,
        );
        self.engine.complete_stats(&mut stats);
        stats
    }

    fn any_thread_running(&self) -> bool {
        self.counters
            .iter()
            .any(|counters| counters.running.load(Ordering::Relaxed))
    }
}

/// The transmit threads, each set up and waiting for its go.
struct ReadyThreads {
    threads: Vec<JoinHandle<LoopEnd>>,
    go: Vec<mpsc::Sender<()>>,
    modes: Vec<Option<&'static str>>,
}

/// Starts a thread per queue and waits until each has set up its sender;
/// if any could not, ends them all and returns the first one's error.
fn spawn_threads(shared: &Arc<Shared>) -> Result<ReadyThreads> {
    let (report_tx, report_rx) = mpsc::channel::<ThreadReport>();
    let mut go_senders = Vec::new();
    let mut threads = Vec::new();
    for index in 0..shared.plan.queues.len() {
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let shared_for_thread = shared.clone();
        let report = report_tx.clone();
        shared.counters[index]
            .running
            .store(true, Ordering::Relaxed);
        let spawned = std::thread::Builder::new()
            .name(thread_name(&shared.plan, index))
            .spawn(move || transmit_thread(&shared_for_thread, index, report, go_rx));
        match spawned {
            Ok(handle) => {
                threads.push(handle);
                go_senders.push(go_tx);
            }
            Err(err) => {
                shared.counters[index]
                    .running
                    .store(false, Ordering::Relaxed);
                // Dropping the go senders makes the started threads exit.
                drop(go_senders);
                join_all(threads);
                return Err(Error::new(
                    ErrorKind::Kernel,
                    format!("cannot start a transmit thread: {err}"),
                ));
            }
        }
    }
    drop(report_tx);

    let mut modes = vec![None; threads.len()];
    let mut first_error: Option<(usize, Error)> = None;
    for (index, report) in report_rx.iter() {
        match report {
            Ok(mode) => modes[index] = Some(mode),
            Err(err) => {
                if first_error.as_ref().is_none_or(|(i, _)| index < *i) {
                    first_error = Some((index, err));
                }
            }
        }
    }
    if let Some((_, err)) = first_error {
        drop(go_senders);
        join_all(threads);
        return Err(err);
    }
    Ok(ReadyThreads {
        threads,
        go: go_senders,
        modes,
    })
}

/// Body of the watchdog thread: looks at the interface and the counters
/// until every transmit thread ended, and stops the session on a verdict.
fn watch_link(shared: &Shared) {
    let start = *shared.start.get().expect("set before the watchdog starts");
    let mut watch = LinkWatch::default();
    while shared.any_thread_running() {
        std::thread::sleep(WATCH_INTERVAL);
        let stats = shared.stats();
        let progress = Progress {
            delivered: stats.completions,
            errors: stats.errors,
        };
        let now_ns = start.elapsed().as_nanos() as u64;
        if let Some(verdict) = watch.observe(now_ns, &link_state(shared.plan.ifindex), progress) {
            *shared
                .watchdog_verdict
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some(verdict.into_error(&shared.plan.ifname));
            shared.stop.store(true, Ordering::Relaxed);
            return;
        }
    }
}

/// AF_XDP queues are all zero-copy or the session counts as copy; the other
/// engines have one mode.
fn session_mode(thread_modes: &[Option<&'static str>]) -> &'static str {
    let first = thread_modes.first().copied().flatten().unwrap_or("copy");
    if thread_modes.iter().all(|mode| *mode == Some(first)) {
        first
    } else {
        "copy"
    }
}

/// AF_XDP threads are their queue's; the other engines' threads send
/// through whichever queue the driver picks for their CPU.
fn thread_subject(plan: &TxPlan, index: usize) -> String {
    match plan.engine {
        Engine::Afxdp => format!("interface {} queue {}", plan.ifname, plan.queues[index]),
        _ => format!(
            "interface {} {} thread {index}",
            plan.ifname,
            plan.engine.name()
        ),
    }
}

fn thread_name(plan: &TxPlan, index: usize) -> String {
    match plan.engine {
        Engine::Afxdp => format!("xdperf-tx-q{}", plan.queues[index]),
        engine => format!("xdperf-{}-{index}", engine.name()),
    }
}

/// Body of transmit thread number `index`: set up, report, wait for the go,
/// send, then say it ended.
fn transmit_thread(
    shared: &Shared,
    index: usize,
    report: mpsc::Sender<ThreadReport>,
    go: mpsc::Receiver<()>,
) -> LoopEnd {
    let counters = &shared.counters[index];
    let sender = match set_up_thread(shared, index) {
        Ok(sender) => {
            let _ = report.send((index, Ok(sender.mode())));
            sender
        }
        Err(err) => {
            let _ = report.send((index, Err(err)));
            counters.running.store(false, Ordering::Relaxed);
            return LoopEnd::Finished;
        }
    };
    drop(report);
    if go.recv().is_err() {
        counters.running.store(false, Ordering::Relaxed);
        return LoopEnd::Finished;
    }
    let start = *shared.start.get().expect("set before the go signal");
    let clock = MonotonicClock::new(start);
    wait_for_start(start, &shared.stop);
    counters.began_ns.store(clock.now_ns(), Ordering::Relaxed);
    counters.began.store(true, Ordering::Relaxed);
    let end = sender.run(LoopContext {
        plan: &shared.plan,
        schedule: &shared.schedule,
        sequence: &shared.sequence,
        gate: thread_gate(shared, index, start),
        counters,
    });
    counters
        .finished_ns
        .store(clock.now_ns(), Ordering::Relaxed);
    counters.running.store(false, Ordering::Relaxed);
    // After the finish time: an engine's teardown (removing a program
    // waits for RCU grace periods) is no sending time.
    shared.engine.thread_ended();
    end
}

/// The session's start on the monotonic clock: now, or the wall-clock
/// instant `--start-at` asked for, as far ahead of now as that is.
fn start_instant(start_at: Option<SystemTime>) -> Instant {
    let now = Instant::now();
    match start_at.and_then(|at| at.duration_since(SystemTime::now()).ok()) {
        Some(ahead) => now + ahead,
        None => now,
    }
}

/// Sleeps until shortly before `start`, then spins to it, so the first
/// packet leaves no earlier and as soon after as a spin can tell; a stop
/// ends the wait within a sleep.
fn wait_for_start(start: Instant, stop: &AtomicBool) {
    const SPIN: Duration = Duration::from_micros(200);
    const SLEEP_AT_MOST: Duration = Duration::from_millis(20);
    loop {
        let now = Instant::now();
        if now >= start || stop.load(Ordering::Relaxed) {
            return;
        }
        let left = start - now;
        if left > SPIN {
            std::thread::sleep((left - SPIN).min(SLEEP_AT_MOST));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Thread `index`'s view of the session's limits: its pacer (its share of
/// the rate, in grants the engine can send at once), the packet budget,
/// the deadline and the stop flag.
fn thread_gate(shared: &Shared, index: usize, start: Instant) -> Gate<'_, MonotonicClock> {
    let plan = &shared.plan;
    let clock = MonotonicClock::new(start);
    let max_quantum = shared.engine.max_quantum(plan);
    let pacer = plan
        .thread_rates
        .as_ref()
        .map(|rates| Pacer::new(rates[index], max_quantum, clock.now_ns()));
    Gate::new(
        clock,
        pacer,
        shared.budget.as_ref(),
        plan.deadline_ns,
        &shared.stop,
    )
}

fn set_up_thread(shared: &Shared, index: usize) -> Result<Box<dyn ThreadSender + '_>> {
    let plan = &shared.plan;
    cpu::block_signals();
    if let Some(cpus) = &plan.cpus {
        cpu::pin_current_thread(cpus[index])?;
    }
    cpu::tighten_timer_slack();
    shared.engine.open_sender(plan, index)
}

fn join_all(threads: Vec<JoinHandle<LoopEnd>>) {
    for thread in threads {
        let _ = thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn afxdp_is_zero_copy_only_when_every_queue_is() {
        assert_eq!(
            session_mode(&[Some("zerocopy"), Some("zerocopy")]),
            "zerocopy"
        );
        assert_eq!(session_mode(&[Some("zerocopy"), Some("copy")]), "copy");
        assert_eq!(session_mode(&[Some("live-frames")]), "live-frames");
    }
}
