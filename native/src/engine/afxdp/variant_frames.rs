//! The frame source of a plan whose templates vary per packet: a pool of
//! UMEM frames, each rewritten with its packet's variant just before it
//! goes into the TX ring and given back by the completion ring. The
//! packets' positions are claimed from the session's sequence, so the
//! threads send disjoint parts of every template's variants.
//!
//! A frame keeps the last template written to it, so reusing it for the
//! same template rewrites only the varied bytes and their checksums; the
//! pool is a stack, so the frames just completed, still in cache, are the
//! next ones written.

use xdpilone::xdp::XdpDesc;

use crate::engine::afxdp::tx_loop::{FrameSource, TxQueue};
use crate::fields::FieldProgram;
use crate::kernel::xsk::RING_SIZE;
use crate::plan::{Stamping, MAX_BATCH};
use crate::schedule::Schedule;
use crate::stats::QueueCounters;
use crate::variants::{SequenceClaims, TemplateCounts, VariantWriter};

/// Enough frames for a full TX ring and a batch being prepared.
pub const POOL_FRAMES: u32 = RING_SIZE + MAX_BATCH;

/// The frame holds no template yet.
const UNWRITTEN: u32 = u32::MAX;

pub struct VariantFrames<'a> {
    frames: &'a [Vec<u8>],
    schedule: &'a Schedule,
    claims: &'a SequenceClaims,
    writer: VariantWriter<'a>,
    sent: TemplateCounts,
    /// log2 of the UMEM frame size (a power of two): a frame's index is
    /// its address shifted by it.
    frame_shift: u32,
    /// Frames neither in the ring nor prepared.
    free: Vec<u32>,
    /// Template each frame holds a variant of.
    holds: Vec<u32>,
    /// Prepared and not yet taken by the ring, in sequence order.
    prepared: Vec<XdpDesc>,
}

impl<'a> VariantFrames<'a> {
    /// `frames` are the templates' base frames, `programs` their field
    /// programs; `stamping`, in a stamped run, where their stamps go.
    pub fn new(
        frames: &'a [Vec<u8>],
        programs: &'a [FieldProgram],
        stamping: Option<&'a Stamping>,
        schedule: &'a Schedule,
        claims: &'a SequenceClaims,
        frame_size: u32,
    ) -> VariantFrames<'a> {
        debug_assert!(frame_size.is_power_of_two());
        VariantFrames {
            frames,
            schedule,
            claims,
            writer: VariantWriter::new(programs, stamping),
            sent: TemplateCounts::new(frames.len()),
            frame_shift: frame_size.trailing_zeros(),
            free: (0..POOL_FRAMES).rev().collect(),
            holds: vec![UNWRITTEN; POOL_FRAMES as usize],
            prepared: Vec::with_capacity(MAX_BATCH as usize),
        }
    }
}

impl FrameSource for VariantFrames<'_> {
    #[inline]
    fn prepare<Q: TxQueue>(&mut self, queue: &mut Q, want: u32) -> &[XdpDesc] {
        let want = want as usize;
        let new = want
            .saturating_sub(self.prepared.len())
            .min(self.free.len());
        if new > 0 {
            self.writer.read_stamp_clock();
            let start = self.claims.claim(new as u32);
            for (template, variant) in self.schedule.walk_from(start).take(new) {
                let Some(frame) = self.free.pop() else { break };
                let base = &self.frames[template as usize];
                let umem_frame = &mut queue.frame_mut(frame)[..base.len()];
                if self.holds[frame as usize] != template {
                    umem_frame.copy_from_slice(base);
                    self.holds[frame as usize] = template;
                }
                self.writer.apply(template, variant, umem_frame);
                self.prepared.push(XdpDesc {
                    addr: u64::from(frame) << self.frame_shift,
                    len: base.len() as u32,
                    options: 0,
                });
            }
        }
        &self.prepared[..want.min(self.prepared.len())]
    }

    #[inline]
    fn taken(&mut self, taken: u32) {
        for descriptor in self.prepared.drain(..taken as usize) {
            let frame = (descriptor.addr >> self.frame_shift) as usize;
            self.sent.count(self.holds[frame]);
        }
    }

    #[inline]
    fn completed(&mut self, addr: u64) {
        self.free.push((addr >> self.frame_shift) as u32);
    }

    fn publish(&self, counters: &QueueCounters) {
        self.sent.publish(counters);
    }
}
