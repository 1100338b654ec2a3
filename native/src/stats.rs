//! Transmit counters: one cache-line-aligned block of atomics per thread,
//! written only by that thread (Relaxed stores of its local totals) and
//! summed by `stats()` on the JavaScript thread without any lock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::pacer::Lag;
use crate::schedule::Schedule;

/// The counters of one transmit thread. What a packet, batch, kick and
/// completion is depends on the engine:
///
/// | | afxdp | xdp | packet |
/// |---|---|---|---|
/// | packets | descriptors in the TX ring | frames the program ran on | ring slots handed to the kernel |
/// | batches | TX ring submissions | BPF_PROG_RUN calls | slots filled before a send() |
/// | kicks | sendto() wake-ups | BPF_PROG_RUN calls | send() calls |
/// | ring_full | TX/completion ring full | — | no free ring slot |
/// | completions | completion ring entries | (session-wide: frames the driver took) | slots the kernel handed back |
/// | errors | failed kicks | failed calls (+ session-wide: frames the driver dropped) | failed sends |
///
/// Per-template counts are derived from `packets` for the engines that
/// replay the schedule packet by packet; the xdp engine, whose calls each
/// send one template, counts them in `per_template`.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct QueueCounters {
    pub packets: AtomicU64,
    pub batches: AtomicU64,
    pub kicks: AtomicU64,
    pub ring_full: AtomicU64,
    pub completions: AtomicU64,
    pub errors: AtomicU64,
    /// Times a paced thread fell behind its schedule, and the most (see [`Lag`]).
    pub times_behind: AtomicU64,
    pub most_behind_ns: AtomicU64,
    /// Nanoseconds from the session start to the thread's end.
    pub finished_ns: AtomicU64,
    /// Nanoseconds from the session start (the instant asked for with
    /// `--start-at`) to when the thread began sending; valid once `began`.
    pub began_ns: AtomicU64,
    pub began: AtomicBool,
    pub running: AtomicBool,
    /// Packets per template, when the thread counts them (else empty).
    pub per_template: Box<[AtomicU64]>,
}

impl QueueCounters {
    /// Counters of a thread that counts its packets per template.
    pub fn counting_templates(templates: usize) -> Self {
        QueueCounters {
            per_template: (0..templates).map(|_| AtomicU64::new(0)).collect(),
            ..QueueCounters::default()
        }
    }
}

/// A thread's running totals, kept in registers/stack by the hot loop and
/// published with [`LocalCounters::publish`].
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalCounters {
    pub packets: u64,
    pub batches: u64,
    pub kicks: u64,
    pub ring_full: u64,
    pub completions: u64,
    pub errors: u64,
}

impl LocalCounters {
    #[inline]
    pub fn publish(&self, shared: &QueueCounters, lag: Lag) {
        shared.times_behind.store(lag.times, Ordering::Relaxed);
        shared.most_behind_ns.store(lag.most_ns, Ordering::Relaxed);
        shared.packets.store(self.packets, Ordering::Relaxed);
        shared.batches.store(self.batches, Ordering::Relaxed);
        shared.kicks.store(self.kicks, Ordering::Relaxed);
        shared.ring_full.store(self.ring_full, Ordering::Relaxed);
        shared
            .completions
            .store(self.completions, Ordering::Relaxed);
        shared.errors.store(self.errors, Ordering::Relaxed);
    }

    /// Counts `about_to_send` packets as sent before they are handed to the
    /// kernel, so that a receiver read before `stats()` can never show more
    /// than was sent; the next [`LocalCounters::publish`] puts in what
    /// really went.
    #[inline]
    pub fn publish_ahead(&self, shared: &QueueCounters, about_to_send: u32) {
        shared
            .packets
            .store(self.packets + u64::from(about_to_send), Ordering::Relaxed);
    }
}

/// Totals over all threads of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxStats {
    pub elapsed_ns: u64,
    pub packets: u64,
    /// L2 bytes of the submitted frames (padded to 60, no FCS).
    pub bytes: u64,
    pub batches: u64,
    pub kicks: u64,
    pub ring_full: u64,
    pub completions: u64,
    pub errors: u64,
    /// Times summed over the threads; the most of any thread.
    pub lag: Lag,
    pub per_template: Vec<u64>,
    /// Bytes of each template's packets.
    pub per_template_bytes: Vec<u64>,
    /// Each thread's share, in the order of the plan's queues.
    pub per_queue: Vec<QueueStats>,
    pub running: bool,
    /// When the last thread began sending, in ns after the session start;
    /// None while a thread has still to begin.
    pub began_ns: Option<u64>,
}

/// What one transmit thread sent, on its queue. Its packets, bytes and
/// per-template counts add up to the totals'; its errors are its own
/// failed kernel calls, so the totals' errors are more when the engine
/// also counts errors that belong to no thread (the xdp engine's frames
/// the driver dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    pub queue: u32,
    pub packets: u64,
    pub bytes: u64,
    pub errors: u64,
    pub per_template: Vec<u64>,
    pub per_template_bytes: Vec<u64>,
}

/// Sums the threads' counters; `queues[i]` is the queue of `counters[i]`.
/// A thread that does not count per template replays the schedule from
/// its start, so its per-template counts follow from its packet count;
/// `frame_lengths` (padded) then give the bytes.
pub fn sum(
    counters: &[&QueueCounters],
    queues: &[u32],
    schedule: &Schedule,
    frame_lengths: &[u32],
    now_ns: u64,
) -> TxStats {
    let templates = schedule.template_count();
    let mut stats = TxStats {
        elapsed_ns: 0,
        packets: 0,
        bytes: 0,
        batches: 0,
        kicks: 0,
        ring_full: 0,
        completions: 0,
        errors: 0,
        lag: Lag::default(),
        per_template: vec![0; templates],
        per_template_bytes: vec![0; templates],
        per_queue: Vec::with_capacity(counters.len()),
        running: false,
        began_ns: Some(0),
    };
    for (thread, &queue) in counters.iter().zip(queues) {
        let packets = thread.packets.load(Ordering::Relaxed);
        let errors = thread.errors.load(Ordering::Relaxed);
        stats.packets += packets;
        stats.batches += thread.batches.load(Ordering::Relaxed);
        stats.kicks += thread.kicks.load(Ordering::Relaxed);
        stats.ring_full += thread.ring_full.load(Ordering::Relaxed);
        stats.completions += thread.completions.load(Ordering::Relaxed);
        stats.errors += errors;
        stats.lag.times += thread.times_behind.load(Ordering::Relaxed);
        stats.lag.most_ns = stats
            .lag
            .most_ns
            .max(thread.most_behind_ns.load(Ordering::Relaxed));
        let mut per_template = vec![0; templates];
        if thread.per_template.is_empty() {
            schedule.add_template_counts(packets, &mut per_template);
        } else {
            for (count, counted) in per_template.iter_mut().zip(&thread.per_template) {
                *count = counted.load(Ordering::Relaxed);
            }
        }
        let per_template_bytes = template_bytes(&per_template, frame_lengths);
        for (total, count) in stats.per_template.iter_mut().zip(&per_template) {
            *total += count;
        }
        for (total, bytes) in stats.per_template_bytes.iter_mut().zip(&per_template_bytes) {
            *total += bytes;
        }
        stats.per_queue.push(QueueStats {
            queue,
            packets,
            bytes: per_template_bytes.iter().sum(),
            errors,
            per_template,
            per_template_bytes,
        });
        stats.began_ns = match (stats.began_ns, thread.began.load(Ordering::Relaxed)) {
            (Some(latest), true) => Some(latest.max(thread.began_ns.load(Ordering::Relaxed))),
            _ => None,
        };
        if thread.running.load(Ordering::Relaxed) {
            stats.running = true;
        } else {
            let finished = thread.finished_ns.load(Ordering::Relaxed);
            stats.elapsed_ns = stats.elapsed_ns.max(finished);
        }
    }
    if stats.running {
        stats.elapsed_ns = now_ns;
    }
    stats.bytes = stats.per_template_bytes.iter().sum();
    stats
}

/// The bytes of `counts[k]` packets of template k each.
fn template_bytes(counts: &[u64], frame_lengths: &[u32]) -> Vec<u64> {
    counts
        .iter()
        .zip(frame_lengths)
        .map(|(count, len)| count * u64::from(*len))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_threads_and_derives_templates_and_bytes() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let a = QueueCounters::default();
        let b = QueueCounters::default();
        LocalCounters {
            packets: 4,
            batches: 1,
            kicks: 1,
            completions: 4,
            ..Default::default()
        }
        .publish(&a, Lag::default());
        LocalCounters {
            packets: 3,
            batches: 1,
            kicks: 2,
            completions: 3,
            ..Default::default()
        }
        .publish(&b, Lag::default());
        a.finished_ns.store(1_000, Ordering::Relaxed);
        b.finished_ns.store(2_000, Ordering::Relaxed);
        let stats = sum(&[&a, &b], &[0, 1], &schedule, &[60, 1514], 5_000);
        // thread a: A A B A, thread b: A A B
        assert_eq!(stats.per_template, vec![5, 2]);
        assert_eq!(stats.packets, 7);
        assert_eq!(stats.bytes, 5 * 60 + 2 * 1514);
        assert_eq!(stats.kicks, 3);
        assert_eq!(stats.elapsed_ns, 2_000);
        assert!(!stats.running);

        b.running.store(true, Ordering::Relaxed);
        let stats = sum(&[&a, &b], &[0, 1], &schedule, &[60, 1514], 5_000);
        assert!(stats.running);
        assert_eq!(stats.elapsed_ns, 5_000);
    }

    #[test]
    fn each_queue_gets_its_share_and_the_shares_add_up_to_the_totals() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let derived = QueueCounters::default();
        let counted = QueueCounters::counting_templates(2);
        LocalCounters {
            packets: 6,
            errors: 2,
            ..Default::default()
        }
        .publish(&derived, Lag::default());
        LocalCounters {
            packets: 10,
            errors: 1,
            ..Default::default()
        }
        .publish(&counted, Lag::default());
        counted.per_template[0].store(2, Ordering::Relaxed);
        counted.per_template[1].store(8, Ordering::Relaxed);
        let stats = sum(&[&derived, &counted], &[4, 7], &schedule, &[60, 1514], 0);
        assert_eq!(
            stats.per_queue,
            vec![
                // A A B A A A: derived from the schedule
                QueueStats {
                    queue: 4,
                    packets: 6,
                    bytes: 5 * 60 + 1514,
                    errors: 2,
                    per_template: vec![5, 1],
                    per_template_bytes: vec![5 * 60, 1514],
                },
                QueueStats {
                    queue: 7,
                    packets: 10,
                    bytes: 2 * 60 + 8 * 1514,
                    errors: 1,
                    per_template: vec![2, 8],
                    per_template_bytes: vec![2 * 60, 8 * 1514],
                },
            ]
        );
        assert_eq!(stats.per_template, vec![7, 9]);
        assert_eq!(stats.per_template_bytes, vec![7 * 60, 9 * 1514]);
        assert_eq!(stats.packets, 16);
        assert_eq!(stats.bytes, 7 * 60 + 9 * 1514);
        assert_eq!(stats.errors, 3);
    }

    #[test]
    fn threads_that_count_templates_are_taken_at_their_word() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let thread = QueueCounters::counting_templates(2);
        LocalCounters {
            packets: 8192,
            ..Default::default()
        }
        .publish(&thread, Lag::default());
        thread.per_template[0].store(4096, Ordering::Relaxed);
        thread.per_template[1].store(4096, Ordering::Relaxed);
        let stats = sum(&[&thread], &[3], &schedule, &[60, 100], 0);
        assert_eq!(stats.per_template, vec![4096, 4096]);
        assert_eq!(stats.bytes, 4096 * 160);
    }
}
