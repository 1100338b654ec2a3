//! A transmit session: one AF_XDP socket and one thread per queue, started
//! together, stopped by count, duration or request, and summed into stats.
//!
//! Each thread sets itself up (CPU pinning, UMEM on its own NUMA node, socket
//! bind) and reports back; only when every queue is ready do they all start
//! from the same instant, so a failing queue leaves nothing half-running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::cpu;
use crate::device::device_info;
use crate::error::{Error, ErrorKind, Result};
use crate::frames::FrameLayout;
use crate::pacer::{Clock, MonotonicClock, Pacer};
use crate::plan::{validate, PlanRequest, TxPlan};
use crate::schedule::Schedule;
use crate::stats::{sum, QueueCounters, TxStats};
use crate::tx_loop::{LoopEnd, PacketBudget, TxLoop};
use crate::umem::UmemArea;
use crate::xsk::XskTx;

/// State the threads and `stats()` share.
struct Shared {
    plan: TxPlan,
    schedule: Schedule,
    layout: FrameLayout,
    frame_lengths: Vec<u32>,
    budget: Option<PacketBudget>,
    counters: Vec<QueueCounters>,
    stop: AtomicBool,
    start: OnceLock<Instant>,
}

struct Completion {
    threads: Vec<JoinHandle<LoopEnd>>,
    outcome: Option<Result<TxStats>>,
}

/// A running (or finished) transmit session.
pub struct TxSession {
    shared: Arc<Shared>,
    completion: Mutex<Completion>,
    zero_copy: bool,
}

impl TxSession {
    /// Validates `request`, sets up every queue and starts sending.
    pub fn start(request: PlanRequest) -> Result<TxSession> {
        let device = device_info(&request.ifname)?;
        let plan = validate(request, &device)?;
        let schedule = Schedule::new(&plan.weights)?;
        let frame_lengths = plan.frame_lengths();
        let layout = FrameLayout::new(
            &schedule,
            &frame_lengths,
            plan.frame_size,
            plan.batch as usize,
        );
        let shared = Arc::new(Shared {
            budget: plan.count.map(PacketBudget::new),
            counters: plan
                .queues
                .iter()
                .map(|_| QueueCounters::default())
                .collect(),
            stop: AtomicBool::new(false),
            start: OnceLock::new(),
            plan,
            schedule,
            layout,
            frame_lengths,
        });

        let (report_tx, report_rx) = mpsc::channel::<(usize, Result<bool>)>();
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
                .name(format!("xdperf-tx-q{}", shared.plan.queues[index]))
                .spawn(move || queue_thread(&shared_for_thread, index, report, go_rx));
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
                Ok(zero_copy) => modes[index] = Some(zero_copy),
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
        shared
            .start
            .set(Instant::now())
            .expect("the start is set once, here");
        for go in &go_senders {
            // A thread that has already exited cannot be started; its join reports it.
            let _ = go.send(());
        }
        Ok(TxSession {
            zero_copy: modes.iter().all(|m| *m == Some(true)),
            shared,
            completion: Mutex::new(Completion {
                threads,
                outcome: None,
            }),
        })
    }

    /// "zerocopy" or "copy": the mode the sockets were bound in.
    pub fn mode(&self) -> &'static str {
        if self.zero_copy {
            "zerocopy"
        } else {
            "copy"
        }
    }

    /// Current totals (a few atomic loads per thread).
    pub fn stats(&self) -> TxStats {
        let start = *self
            .shared
            .start
            .get()
            .expect("set before the session is returned");
        let counters: Vec<&QueueCounters> = self.shared.counters.iter().collect();
        sum(
            &counters,
            &self.shared.schedule,
            &self.shared.frame_lengths,
            start.elapsed().as_nanos() as u64,
        )
    }

    /// Asks every thread to stop; they drain their completions and end.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }

    /// Blocks until every thread ended and every in-flight frame completed;
    /// the final stats, or the first queue's transmit failure.
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
            let queue = self.shared.plan.queues[index];
            let subject = format!("interface {} queue {queue}", self.shared.plan.ifname);
            let error = match handle.join() {
                Ok(LoopEnd::Finished) => None,
                Ok(LoopEnd::KickFailed(errno)) => {
                    Some(Error::from_errno(&format!("{subject}: transmit"), errno))
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

/// Body of the thread for queue number `index` of the plan.
fn queue_thread(
    shared: &Shared,
    index: usize,
    report: mpsc::Sender<(usize, Result<bool>)>,
    go: mpsc::Receiver<()>,
) -> LoopEnd {
    let counters = &shared.counters[index];
    let socket = match set_up_queue(shared, index) {
        Ok(socket) => {
            let _ = report.send((index, Ok(socket.is_zero_copy())));
            socket
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
    let plan = &shared.plan;
    let pacer = plan
        .thread_rates
        .as_ref()
        .map(|rates| Pacer::new(rates[index], plan.batch, clock.now_ns()));
    let end = TxLoop {
        socket,
        layout: &shared.layout,
        batch: plan.batch,
        pacer,
        budget: shared.budget.as_ref(),
        deadline_ns: plan.duration_ns,
        stop: &shared.stop,
        counters,
        clock: MonotonicClock::new(start),
    }
    .run();
    counters
        .finished_ns
        .store(clock.now_ns(), Ordering::Relaxed);
    counters.running.store(false, Ordering::Relaxed);
    end
}

fn set_up_queue(shared: &Shared, index: usize) -> Result<XskTx> {
    let plan = &shared.plan;
    let queue = plan.queues[index];
    if let Some(cpus) = &plan.cpus {
        cpu::pin_current_thread(cpus[index])?;
    }
    cpu::tighten_timer_slack();
    let layout = &shared.layout;
    let mut area = UmemArea::new(layout.frame_templates().len(), layout.frame_size())?;
    for (frame, &template) in layout.frame_templates().iter().enumerate() {
        area.write_frame(frame, &plan.frames[template as usize]);
    }
    XskTx::open(
        &plan.ifname,
        plan.ifindex,
        queue,
        area,
        layout.frame_size(),
        plan.mode,
        plan.batch,
    )
}

fn join_all(threads: Vec<JoinHandle<LoopEnd>>) {
    for thread in threads {
        let _ = thread.join();
    }
}
