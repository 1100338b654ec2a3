//! Per-packet variants for the engines that fill frames packet by packet
//! (afxdp, packet): the session-wide sequence the threads claim positions
//! from, and the writer that turns a packet's template and variant index
//! into its bytes with the template's field program.
//!
//! One shared sequence, claimed batch by batch, is what makes N threads
//! send the same flows as one thread, each as often: the union of the
//! claimed ranges is the sequence's start, whoever sent which part.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fields::{FieldCursor, FieldProgram};
use crate::plan::Stamping;
use crate::stamp::Stamp;
use crate::stats::QueueCounters;

/// The next unclaimed position of the session's packet sequence.
#[derive(Debug, Default)]
pub struct SequenceClaims {
    next: AtomicU64,
}

impl SequenceClaims {
    /// Claims `count` consecutive positions; the first one.
    #[inline]
    pub fn claim(&self, count: u32) -> u64 {
        self.next.fetch_add(u64::from(count), Ordering::Relaxed)
    }
}

/// One thread's writer of varied or stamped frames.
pub struct VariantWriter<'a> {
    programs: &'a [FieldProgram],
    /// Per template: a cursor and the variant it is at. A thread's claims
    /// are runs of consecutive variants, so the cursor steps without
    /// divisions and seeks only when another thread claimed in between.
    cursors: Vec<Option<(FieldCursor, u64)>>,
    stamping: Option<&'a Stamping>,
    /// The transmit time the stamps written now carry.
    stamp_time_ns: u64,
}

impl<'a> VariantWriter<'a> {
    pub fn new(programs: &'a [FieldProgram], stamping: Option<&'a Stamping>) -> VariantWriter<'a> {
        VariantWriter {
            programs,
            cursors: programs.iter().map(|_| None).collect(),
            stamping,
            stamp_time_ns: 0,
        }
    }

    /// Reads the stamps' clock: the frames written until the next reading
    /// carry this transmit time. Once a batch, just before it is handed to
    /// the kernel: a reading per frame would cost more than the frame.
    #[inline]
    pub fn read_stamp_clock(&mut self) {
        if let Some(stamping) = self.stamping {
            self.stamp_time_ns = stamping.clock.now_ns();
        }
    }

    /// Writes variant `variant` of `template` into `frame`, which holds the
    /// template's base frame or another of its variants, and, in a stamped
    /// run, the stamp: the variant index is the packet's number in its
    /// template's stream.
    #[inline]
    pub fn apply(&mut self, template: u32, variant: u64, frame: &mut [u8]) {
        let program = &self.programs[template as usize];
        if !program.is_empty() {
            let slot = &mut self.cursors[template as usize];
            if !matches!(slot, Some((_, at)) if *at == variant) {
                *slot = Some((program.cursor(variant), variant));
            }
            if let Some((cursor, at)) = slot {
                cursor.write(program, frame);
                cursor.advance(program);
                *at = variant + 1;
            }
        }
        if let Some(stamping) = self.stamping {
            stamping.sites[template as usize].write(
                frame,
                &Stamp {
                    stream: template as u16,
                    clock: stamping.clock,
                    seq: variant,
                    tx_ns: self.stamp_time_ns,
                },
            );
        }
    }
}

/// Packets per template one thread handed to the kernel: a thread that
/// claims from the sequence does not replay the schedule from its start,
/// so it counts them.
pub struct TemplateCounts(Vec<u64>);

impl TemplateCounts {
    pub fn new(templates: usize) -> TemplateCounts {
        TemplateCounts(vec![0; templates])
    }

    #[inline]
    pub fn count(&mut self, template: u32) {
        self.0[template as usize] += 1;
    }

    pub fn publish(&self, counters: &QueueCounters) {
        for (shared, &sent) in counters.per_template.iter().zip(&self.0) {
            shared.store(sent, Ordering::Relaxed);
        }
    }
}
