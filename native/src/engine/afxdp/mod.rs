//! The AF_XDP engine: frames written once into UMEM (frames.rs), one
//! socket and thread per queue (kernel/xsk.rs), and the loop that only
//! writes descriptors (tx_loop.rs).

pub mod frames;
pub mod tx_loop;

use crate::engine::{LoopContext, ThreadSender, TxEngine};
use crate::error::Result;
use crate::gate::LoopEnd;
use crate::kernel::umem::UmemArea;
use crate::kernel::xsk::XskTx;
use crate::plan::TxPlan;
use crate::schedule::Schedule;
use frames::{umem_frame_size, FrameLayout};
use tx_loop::XskLoop;

pub struct AfxdpEngine {
    layout: FrameLayout,
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
        }
    }
}

impl TxEngine for AfxdpEngine {
    fn open_sender(&self, plan: &TxPlan, index: usize) -> Result<Box<dyn ThreadSender + '_>> {
        let layout = &self.layout;
        let mut area = UmemArea::new(layout.frame_templates().len(), layout.frame_size())?;
        for (frame, &template) in layout.frame_templates().iter().enumerate() {
            area.write_frame(frame, &plan.frames[template as usize]);
        }
        let socket = XskTx::open(
            &plan.ifname,
            plan.ifindex,
            plan.queues[index],
            area,
            layout.frame_size(),
            plan.mode,
            plan.batch,
        )?;
        Ok(Box::new(AfxdpSender { socket, layout }))
    }
}

struct AfxdpSender<'a> {
    socket: XskTx,
    layout: &'a FrameLayout,
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
        XskLoop {
            socket: self.socket,
            layout: self.layout,
            batch: context.plan.batch,
            gate: context.gate,
            counters: context.counters,
        }
        .run()
    }
}
