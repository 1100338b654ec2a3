//! The transmit engines, one module each (setup and transmit loop), behind
//! one trait: the session (session.rs) shares plan, schedule, pacer, packet
//! budget and counters, and asks the engine only for what differs.

pub mod afxdp;
pub mod packet;
pub mod xdp;

use crate::error::Result;
use crate::gate::{Gate, LoopEnd};
use crate::pacer::MonotonicClock;
use crate::plan::{Engine, TxPlan};
use crate::schedule::Schedule;
use crate::stats::{QueueCounters, TxStats};
use crate::variants::SequenceClaims;

/// What one thread's loop is given besides its sender.
pub struct LoopContext<'a> {
    pub plan: &'a TxPlan,
    pub schedule: &'a Schedule,
    /// The session's packet sequence, for engines that vary packets.
    pub sequence: &'a SequenceClaims,
    pub gate: Gate<'a, MonotonicClock>,
    pub counters: &'a QueueCounters,
}

/// One transmit thread's sender, opened on its thread.
pub trait ThreadSender {
    /// The session's `mode` as this thread sees it.
    fn mode(&self) -> &'static str;
    /// Sends until the gate ends it (or a kernel call fails).
    fn run(self: Box<Self>, context: LoopContext<'_>) -> LoopEnd;
}

/// An engine's state for one session, shared by its threads.
pub trait TxEngine: Send + Sync {
    /// Opens thread `index`'s sender, on that thread: after it is pinned,
    /// so what the sender allocates is on the thread's NUMA node.
    fn open_sender(&self, plan: &TxPlan, index: usize) -> Result<Box<dyn ThreadSender + '_>>;

    /// Whether the plan's packet count is one budget the threads claim
    /// from; an engine that splits it itself says no.
    fn shares_packet_budget(&self) -> bool {
        true
    }

    /// Whether the threads count their packets per template; else the
    /// counts follow from each thread's packet count and the schedule.
    fn counts_templates(&self) -> bool {
        false
    }

    /// The most packets one pacer grant may hold.
    fn max_quantum(&self, plan: &TxPlan) -> u32 {
        plan.batch
    }

    /// Puts in what only the engine knows into the summed counters.
    fn complete_stats(&self, _stats: &mut TxStats) {}

    /// Called by each thread once it stopped sending.
    fn thread_ended(&self) {}
}

/// The engine `plan` asks for, set up for it.
pub fn for_plan(plan: &TxPlan, schedule: &Schedule) -> Result<Box<dyn TxEngine>> {
    Ok(match plan.engine {
        Engine::Afxdp => Box::new(afxdp::AfxdpEngine::new(plan, schedule)),
        Engine::Xdp => Box::new(xdp::LiveTransmitter::start(plan, schedule)?),
        Engine::Packet => Box::new(packet::PacketEngine::new(plan, schedule)),
    })
}
