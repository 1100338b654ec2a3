//! The packet engine: AF_PACKET with a TX ring (kernel/packet_ring.rs) and
//! its loop (tx_loop.rs).

pub mod tx_loop;

use crate::engine::{LoopContext, ThreadSender, TxEngine};
use crate::error::Result;
use crate::gate::LoopEnd;
use crate::kernel::packet_ring::{RingGeometry, TxRing};
use crate::plan::TxPlan;
use crate::schedule::Schedule;
use tx_loop::PacketLoop;

pub struct PacketEngine {
    geometry: RingGeometry,
}

impl PacketEngine {
    pub fn new(plan: &TxPlan, schedule: &Schedule) -> PacketEngine {
        let largest = plan.frames.iter().map(Vec::len).max().unwrap_or(0);
        PacketEngine {
            geometry: RingGeometry::new(largest, schedule.period(), plan.batch),
        }
    }
}

impl TxEngine for PacketEngine {
    fn open_sender(&self, plan: &TxPlan, _index: usize) -> Result<Box<dyn ThreadSender + '_>> {
        Ok(Box::new(PacketSender(TxRing::open(
            &plan.ifname,
            plan.ifindex,
            self.geometry,
        )?)))
    }
}

struct PacketSender(TxRing);

impl ThreadSender for PacketSender {
    fn mode(&self) -> &'static str {
        "tx-ring"
    }

    fn run(self: Box<Self>, context: LoopContext<'_>) -> LoopEnd {
        PacketLoop {
            ring: self.0,
            frames: &context.plan.frames,
            order: context.schedule.order(),
            batch: context.plan.batch,
            gate: context.gate,
            counters: context.counters,
        }
        .run()
    }
}
