//! The AF_XDP engine: one socket and thread per queue (kernel/xsk.rs), and
//! the loop that writes descriptors (tx_loop.rs). Templates that do not
//! vary are written into UMEM once (frames.rs); templates with field
//! programs are written packet by packet into a recycled pool of frames
//! (variant_frames.rs).

pub mod frames;
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
use tx_loop::XskLoop;
use variant_frames::{VariantFrames, POOL_FRAMES};

pub struct AfxdpEngine {
    layout: FrameLayout,
    /// Some template has a field program.
    varies: bool,
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
            varies: plan.varies(),
        }
    }
}

impl TxEngine for AfxdpEngine {
    fn open_sender(&self, plan: &TxPlan, index: usize) -> Result<Box<dyn ThreadSender + '_>> {
        let layout = &self.layout;
        let area = if self.varies {
            UmemArea::new(POOL_FRAMES as usize, layout.frame_size())?
        } else {
            let mut area = UmemArea::new(layout.frame_templates().len(), layout.frame_size())?;
            for (frame, &template) in layout.frame_templates().iter().enumerate() {
                area.write_frame(frame, &plan.frames[template as usize]);
            }
            area
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
            varies: self.varies,
        }))
    }

    fn counts_templates(&self) -> bool {
        self.varies
    }
}

struct AfxdpSender<'a> {
    socket: XskTx,
    layout: &'a FrameLayout,
    varies: bool,
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
        if self.varies {
            let frames = VariantFrames::new(
                &context.plan.frames,
                &context.plan.programs,
                context.schedule,
                context.sequence,
                self.layout.frame_size(),
            );
            run_loop(self.socket, frames, context)
        } else {
            run_loop(self.socket, FixedFrames::new(self.layout), context)
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
