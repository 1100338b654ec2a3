//! The frame source of a plan whose variants all fit in UMEM: every
//! template's variants, one period of each, written once before the first
//! packet, so the hot loop only picks descriptors, as for fixed templates.
//! The packets' positions are claimed from the session's sequence, as with
//! rewritten frames, so threads still send disjoint parts of it.

use xdpilone::xdp::XdpDesc;

use crate::engine::afxdp::tx_loop::{FrameSource, TxQueue};
use crate::fields::FieldProgram;
use crate::plan::MAX_BATCH;
use crate::schedule::Schedule;
use crate::stats::QueueCounters;
use crate::variants::{SequenceClaims, TemplateCounts};

/// UMEM frames the variants may take, all templates together: enough for
/// a few thousand flows, small enough (8 MiB of 2 KiB frames a socket) to
/// stay a modest share of the cache's reach.
pub const MAX_PRERENDERED_FRAMES: u64 = 4096;

/// Where each template's variants lie in UMEM.
#[derive(Debug, Clone)]
pub struct VariantLayout {
    /// First UMEM frame of each template's variants.
    first_frames: Vec<u32>,
    /// Variants of each template (its period; 1 without fields).
    periods: Vec<u64>,
    frames: u32,
}

impl VariantLayout {
    /// The layout if every template repeats within a period and all the
    /// periods fit [`MAX_PRERENDERED_FRAMES`].
    pub fn fitting(programs: &[FieldProgram]) -> Option<VariantLayout> {
        let mut first_frames = Vec::with_capacity(programs.len());
        let mut periods = Vec::with_capacity(programs.len());
        let mut frames = 0u64;
        for program in programs {
            let period = program.period()?;
            first_frames.push(frames as u32);
            periods.push(period);
            frames = frames.checked_add(period)?;
            if frames > MAX_PRERENDERED_FRAMES {
                return None;
            }
        }
        Some(VariantLayout {
            first_frames,
            periods,
            frames: frames as u32,
        })
    }

    /// UMEM frames the layout takes.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Every variant of every template, in UMEM frame order.
    pub fn variants<'a>(
        &'a self,
        frames: &'a [Vec<u8>],
        programs: &'a [FieldProgram],
    ) -> impl Iterator<Item = Vec<u8>> + 'a {
        frames
            .iter()
            .zip(programs)
            .zip(&self.periods)
            .flat_map(|((base, program), &period)| program.render(base, 0, period as usize))
    }
}

pub struct PrerenderedFrames<'a> {
    layout: &'a VariantLayout,
    lengths: Vec<u32>,
    schedule: &'a Schedule,
    claims: &'a SequenceClaims,
    frame_shift: u32,
    /// Per template: the variant index expected next and its place in the
    /// period, so consecutive variants take no division.
    next: Vec<(u64, u64)>,
    sent: TemplateCounts,
    /// Per prepared descriptor, its template.
    prepared_templates: Vec<u32>,
    prepared: Vec<XdpDesc>,
}

impl<'a> PrerenderedFrames<'a> {
    pub fn new(
        layout: &'a VariantLayout,
        frames: &[Vec<u8>],
        schedule: &'a Schedule,
        claims: &'a SequenceClaims,
        frame_size: u32,
    ) -> PrerenderedFrames<'a> {
        debug_assert!(frame_size.is_power_of_two());
        PrerenderedFrames {
            layout,
            lengths: frames.iter().map(|frame| frame.len() as u32).collect(),
            schedule,
            claims,
            frame_shift: frame_size.trailing_zeros(),
            next: vec![(0, 0); frames.len()],
            sent: TemplateCounts::new(frames.len()),
            prepared_templates: Vec::with_capacity(MAX_BATCH as usize),
            prepared: Vec::with_capacity(MAX_BATCH as usize),
        }
    }
}

impl FrameSource for PrerenderedFrames<'_> {
    #[inline]
    fn prepare<Q: TxQueue>(&mut self, _queue: &mut Q, want: u32) -> &[XdpDesc] {
        let want = want as usize;
        let new = want.saturating_sub(self.prepared.len());
        if new > 0 {
            let start = self.claims.claim(new as u32);
            for (template, variant) in self.schedule.walk_from(start).take(new) {
                let index = template as usize;
                let period = self.layout.periods[index];
                let (expected, place) = &mut self.next[index];
                if *expected != variant {
                    *place = variant % period;
                }
                let frame = self.layout.first_frames[index] as u64 + *place;
                *expected = variant + 1;
                *place += 1;
                if *place == period {
                    *place = 0;
                }
                self.prepared.push(XdpDesc {
                    addr: frame << self.frame_shift,
                    len: self.lengths[index],
                    options: 0,
                });
                self.prepared_templates.push(template);
            }
        }
        &self.prepared[..want.min(self.prepared.len())]
    }

    #[inline]
    fn taken(&mut self, taken: u32) {
        self.prepared.drain(..taken as usize);
        for template in self.prepared_templates.drain(..taken as usize) {
            self.sent.count(template);
        }
    }

    #[inline]
    fn completed(&mut self, _addr: u64) {}

    fn publish(&self, counters: &QueueCounters) {
        self.sent.publish(counters);
    }
}
