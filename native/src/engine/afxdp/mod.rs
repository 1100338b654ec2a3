//! The AF_XDP engine: one socket and thread per queue (kernel/xsk.rs), and
//! the loop that writes descriptors (tx_loop.rs). Templates that do not
//! vary are written into UMEM once (frames.rs); so are all the variants of
//! templates with field programs when they fit (prerendered_frames.rs);
//! else each packet's variant is written into a recycled pool of frames
//! (variant_frames.rs).

pub mod frames;
pub mod prerendered_frames;
pub mod tx_loop;
pub mod variant_frames;

use crate::engine::{LoopContext, ThreadSender, TxEngine};
use crate::error::Result;
use crate::gate::LoopEnd;
use crate::kernel::umem::UmemArea;
use crate::kernel::xsk::XskTx;
use crate::plan::TxPlan;
use crate::schedule::Schedule;
use frames::{umem_frame_size, FixedFrames, FrameLayout};
use prerendered_frames::{PrerenderedFrames, VariantLayout};
use tx_loop::XskLoop;
use variant_frames::{VariantFrames, POOL_FRAMES};

pub struct AfxdpEngine {
    layout: FrameLayout,
    variants: Variants,
}

/// How the packets of a plan with field programs get their variants.
enum Variants {
    /// No template has a field program.
    None,
    /// Every variant written into UMEM once.
    Prerendered(VariantLayout),
    /// Each packet's variant and stamp written into a recycled frame.
    Rewritten,
}

impl AfxdpEngine {
    pub fn new(plan: &TxPlan, schedule: &Schedule) -> AfxdpEngine {
        let frame_lengths = plan.frame_lengths();
        AfxdpEngine {
            layout: FrameLayout::new(
                schedule,
                &frame_lengths,
                umem_frame_size(&frame_lengths),
                plan.batch as usize,
            ),
            variants: if !plan.writes_each_packet() {
                Variants::None
            } else if plan.stamping.is_some() {
                Variants::Rewritten
            } else if let Some(layout) = VariantLayout::fitting(&plan.programs) {
                Variants::Prerendered(layout)
            } else {
                Variants::Rewritten
            },
        }
    }
}

impl TxEngine for AfxdpEngine {
    fn open_sender(&self, plan: &TxPlan, index: usize) -> Result<Box<dyn ThreadSender + '_>> {
        let layout = &self.layout;
        let area = match &self.variants {
            Variants::None => {
                let mut area = UmemArea::new(layout.frame_templates().len(), layout.frame_size())?;
                for (frame, &template) in layout.frame_templates().iter().enumerate() {
                    area.write_frame(frame, &plan.frames[template as usize]);
                }
                area
            }
            Variants::Prerendered(variants) => {
                let mut area = UmemArea::new(variants.frames() as usize, layout.frame_size())?;
                for (frame, variant) in variants.variants(&plan.frames, &plan.programs).enumerate()
                {
                    area.write_frame(frame, &variant);
                }
                area
            }
            Variants::Rewritten => UmemArea::new(POOL_FRAMES as usize, layout.frame_size())?,
        };
        let socket = XskTx::open(
            &plan.ifname,
            plan.ifindex,
            plan.queues[index],
            area,
            layout.frame_size(),
            plan.mode,
            plan.batch,
        )?;
        Ok(Box::new(AfxdpSender {
            socket,
            layout,
            variants: &self.variants,
        }))
    }

    fn counts_templates(&self) -> bool {
        !matches!(self.variants, Variants::None)
    }
}

struct AfxdpSender<'a> {
    socket: XskTx,
    layout: &'a FrameLayout,
    variants: &'a Variants,
}

impl ThreadSender for AfxdpSender<'_> {
    fn mode(&self) -> &'static str {
        if self.socket.is_zero_copy() {
            "zerocopy"
        } else {
            "copy"
        }
    }

    fn run(self: Box<Self>, context: LoopContext<'_>) -> LoopEnd {
        let frame_size = self.layout.frame_size();
        match self.variants {
            Variants::None => run_loop(self.socket, FixedFrames::new(self.layout), context),
            Variants::Prerendered(variants) => {
                let frames = PrerenderedFrames::new(
                    variants,
                    &context.plan.frames,
                    context.schedule,
                    context.sequence,
                    frame_size,
                );
                run_loop(self.socket, frames, context)
            }
            Variants::Rewritten => {
                let frames = VariantFrames::new(
                    &context.plan.frames,
                    &context.plan.programs,
                    context.plan.stamping.as_ref(),
                    context.schedule,
                    context.sequence,
                    frame_size,
                );
                run_loop(self.socket, frames, context)
            }
        }
    }
}

fn run_loop<S: tx_loop::FrameSource>(
    socket: XskTx,
    frames: S,
    context: LoopContext<'_>,
) -> LoopEnd {
    XskLoop {
        socket,
        frames,
        batch: context.plan.batch,
        gate: context.gate,
        counters: context.counters,
    }
    .run()
}
