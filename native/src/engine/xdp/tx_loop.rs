//! The xdp engine's transmit loop: one BPF_PROG_RUN call per pacer grant,
//! each a run of copies of one template, following the schedule run by run
//! (see the module above for why), with the count claimed per template.
//! A template with fields, or any template in a stamped run, goes with the
//! metadata its variants and stamps follow from.

use std::sync::atomic::Ordering;

use aya::programs::{TestRun, TestRunAttrs, TestRunOptions, Xdp};

use crate::error::errno_in;
use crate::fields::FieldProgram;
use crate::gate::{Admit, Gate, LoopEnd};
use crate::kernel::field_maps::MetaFrame;
use crate::pacer::Clock;
use crate::schedule::Schedule;
use crate::stats::{LocalCounters, QueueCounters};

use super::LiveTransmitter;

/// Runs `program` on `repeat` live copies of `data` (with `context`, the
/// xdp_md, when it holds metadata), `batch_size` at a time; the errno if
/// the kernel refused.
#[inline]
pub fn run_live_frames(
    program: &Xdp,
    data: &[u8],
    context: Option<&[u8]>,
    repeat: u32,
    batch_size: u32,
) -> std::result::Result<(), i32> {
    let options = TestRunOptions {
        data_in: Some(data),
        ctx_in: context,
        repeat,
        attrs: TestRunAttrs::new().xdp_live_frames(batch_size),
        ..TestRunOptions::new()
    };
    program
        .test_run(options)
        .map(drop)
        .map_err(|err| errno_in(&err).unwrap_or(libc::EIO))
}

/// What a call hands the kernel for one template.
enum TemplateInput<'a> {
    /// A template without fields, unstamped: its frame as is.
    Fixed(&'a [u8]),
    /// A template with fields or stamps: its frame behind this thread's
    /// metadata.
    Varied(MetaFrame),
}

/// Everything one xdp transmit thread needs.
pub struct LiveLoop<'a, C: Clock> {
    pub transmitter: &'a LiveTransmitter,
    /// The thread's sender slot in the program's maps.
    pub slot: u32,
    pub frames: &'a [Vec<u8>],
    /// One per template, as `frames`.
    pub programs: &'a [FieldProgram],
    pub schedule: &'a Schedule,
    /// Every frame is stamped.
    pub stamped: bool,
    pub batch_size: u32,
    /// Stop, deadline and pacer (the count is in the transmitter's quotas).
    pub gate: Gate<'a, C>,
    pub counters: &'a QueueCounters,
}

impl<'a, C: Clock> LiveLoop<'a, C> {
    /// What this thread's calls of template `index` hand the kernel.
    fn input(&self, index: usize) -> TemplateInput<'a> {
        let frame = &self.frames[index];
        let template = index as u32;
        if !self.programs[index].is_empty() {
            let patches = self.transmitter.patches[index].as_ref();
            TemplateInput::Varied(MetaFrame::new(frame, template, patches, self.slot))
        } else if self.stamped {
            TemplateInput::Varied(MetaFrame::stamp_only(frame, template, self.slot))
        } else {
            TemplateInput::Fixed(frame)
        }
    }

    pub fn run(mut self) -> LoopEnd {
        let program = self.transmitter.program();
        let run = self.transmitter.run;
        let templates = self.frames.len();
        let mut local = LocalCounters::default();
        let mut per_template = vec![0u64; templates];
        // Templates whose share of the count is sent.
        let mut used_up = vec![false; templates];
        let mut used_up_count = 0;
        let mut position = 0u64;
        let mut inputs: Vec<TemplateInput> =
            (0..templates).map(|index| self.input(index)).collect();
        // Numbers this thread's calls for the program, which counts the
        // frames of each call from its first.
        let mut call = 0u32;
        let end = loop {
            let (template, left_in_run) = self.schedule.run_at(position, run);
            let template = template as usize;
            if !used_up[template]
                && self
                    .transmitter
                    .quotas
                    .as_ref()
                    .is_some_and(|quotas| quotas.is_spent(template))
            {
                // Known before the pacer's next gap, not after it.
                used_up[template] = true;
                used_up_count += 1;
                if used_up_count == templates {
                    break LoopEnd::Finished;
                }
            }
            if used_up[template] {
                position += left_in_run;
                continue;
            }
            match self.gate.poll(left_in_run as u32) {
                Admit::End => break LoopEnd::Finished,
                Admit::Wait(ns) => {
                    local.publish(self.counters, self.gate.lag());
                    self.gate.pause(ns);
                    continue;
                }
                Admit::Send(want) => {
                    let repeat = match &self.transmitter.quotas {
                        Some(quotas) => quotas.claim(template, want),
                        None => want,
                    };
                    if repeat == 0 {
                        used_up[template] = true;
                        used_up_count += 1;
                        if used_up_count == templates {
                            break LoopEnd::Finished;
                        }
                        position += left_in_run;
                        continue;
                    }
                    local.kicks += 1;
                    self.counters.per_template[template].store(
                        per_template[template] + u64::from(repeat),
                        Ordering::Relaxed,
                    );
                    local.publish_ahead(self.counters, repeat);
                    let (data, context) = match &mut inputs[template] {
                        TemplateInput::Fixed(frame) => (*frame, None),
                        TemplateInput::Varied(meta_frame) => {
                            call = call.wrapping_add(1);
                            let base = self.transmitter.claim_variants(template, repeat);
                            meta_frame.set_call(call, base);
                            (meta_frame.data(), Some(meta_frame.context()))
                        }
                    };
                    if let Err(errno) =
                        run_live_frames(program, data, context, repeat, self.batch_size)
                    {
                        local.errors += 1;
                        self.counters.per_template[template]
                            .store(per_template[template], Ordering::Relaxed);
                        break LoopEnd::Failed {
                            action: "BPF_PROG_RUN",
                            errno,
                        };
                    }
                    position += u64::from(repeat);
                    local.packets += u64::from(repeat);
                    local.batches += 1;
                    per_template[template] += u64::from(repeat);
                    self.gate.sent(repeat);
                }
            }
            local.publish(self.counters, self.gate.lag());
        };
        local.publish(self.counters, self.gate.lag());
        end
    }
}
