//! The packet engine: AF_PACKET with a TX ring (kernel/packet_ring.rs) and
//! its loop (tx_loop.rs).

pub mod tx_loop;

use crate::engine::{LoopContext, ThreadSender, TxEngine};
use crate::error::Result;
use crate::gate::LoopEnd;
use crate::kernel::packet_ring::{RingGeometry, TxRing};
use crate::plan::TxPlan;
use crate::schedule::Schedule;
use crate::variants::{TemplateCounts, VariantWriter};
use tx_loop::{PacketLoop, PacketVariants};

pub struct PacketEngine {
    geometry: RingGeometry,
    /// Some template has a field program, or the run stamps.
    varies: bool,
}

impl PacketEngine {
    pub fn new(plan: &TxPlan, schedule: &Schedule) -> PacketEngine {
        let largest = plan.frames.iter().map(Vec::len).max().unwrap_or(0);
        PacketEngine {
            geometry: RingGeometry::new(largest, schedule.period(), plan.batch),
            varies: plan.writes_each_packet(),
        }
    }
}

impl TxEngine for PacketEngine {
    fn open_sender(&self, plan: &TxPlan, _index: usize) -> Result<Box<dyn ThreadSender + '_>> {
        Ok(Box::new(PacketSender {
            ring: TxRing::open(&plan.ifname, plan.ifindex, self.geometry)?,
            varies: self.varies,
        }))
    }

    fn counts_templates(&self) -> bool {
        self.varies
    }
}

struct PacketSender {
    ring: TxRing,
    varies: bool,
}

impl ThreadSender for PacketSender {
    fn mode(&self) -> &'static str {
        "tx-ring"
    }

    fn run(self: Box<Self>, context: LoopContext<'_>) -> LoopEnd {
        let variants = self.varies.then(|| PacketVariants {
            claims: context.sequence,
            writer: VariantWriter::new(&context.plan.programs, context.plan.stamping.as_ref()),
            sent: TemplateCounts::new(context.plan.frames.len()),
        });
        PacketLoop {
            ring: self.ring,
            frames: &context.plan.frames,
            schedule: context.schedule,
            variants,
            batch: context.plan.batch,
            gate: context.gate,
            counters: context.counters,
        }
        .run()
    }
}
