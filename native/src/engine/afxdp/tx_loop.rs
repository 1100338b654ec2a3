//! The AF_XDP engine's transmit loop. Each pass reaps the completion ring,
//! asks the gate how many may go, writes that many prepared descriptors
//! into the TX ring, and kicks the kernel only when the ring needs it. No
//! allocation, no lock, no syscall but the kick.

use crate::engine::afxdp::frames::FrameLayout;
use crate::gate::{Admit, Gate, LoopEnd};
use crate::kernel::xsk::{Kick, XskTx, RING_SIZE};
use crate::pacer::Clock;
use crate::stats::{LocalCounters, QueueCounters};

/// Time to wait for the last completions once sending stopped: the kernel
/// completes copy-mode frames within microseconds, so this is reached only
/// if the device went away, and short, so that a run still ends within a
/// second of its interface going.
const DRAIN_TIMEOUT_NS: u64 = 250_000_000;

/// Everything one AF_XDP transmit thread needs.
pub struct XskLoop<'a, C: Clock> {
    pub socket: XskTx,
    pub layout: &'a FrameLayout,
    pub batch: u32,
    pub gate: Gate<'a, C>,
    pub counters: &'a QueueCounters,
}

impl<C: Clock> XskLoop<'_, C> {
    pub fn run(mut self) -> LoopEnd {
        let mut local = LocalCounters::default();
        let mut position = 0usize;
        let mut in_flight = 0u32;
        let cycle = self.layout.cycle();
        let mut end = LoopEnd::Finished;

        loop {
            let completed = self.socket.reap();
            in_flight -= completed;
            local.completions += u64::from(completed);

            let room = self.batch.min(RING_SIZE - in_flight);
            if room == 0 {
                local.ring_full += 1;
            }
            match self.gate.poll(room) {
                Admit::End => break,
                Admit::Wait(ns) => {
                    if let Err(errno) = self.kick_if_needed(&mut local) {
                        end = LoopEnd::Failed {
                            action: "transmit",
                            errno,
                        };
                        break;
                    }
                    local.publish(self.counters, self.gate.lag());
                    self.gate.pause(ns);
                    continue;
                }
                Admit::Send(0) => {}
                Admit::Send(want) => {
                    // A zero-copy driver may send as soon as the ring's
                    // producer moves.
                    local.publish_ahead(self.counters, want);
                    let sent = self
                        .socket
                        .submit(self.layout.descriptors(position, want as usize));
                    if sent < want {
                        local.ring_full += 1;
                    }
                    if sent > 0 {
                        position += sent as usize;
                        if position >= cycle {
                            position -= cycle;
                        }
                        in_flight += sent;
                        local.packets += u64::from(sent);
                        local.batches += 1;
                        self.gate.sent(sent);
                    }
                }
            }
            if let Err(errno) = self.kick_if_needed(&mut local) {
                end = LoopEnd::Failed {
                    action: "transmit",
                    errno,
                };
                break;
            }
            local.publish(self.counters, self.gate.lag());
        }

        if end == LoopEnd::Finished {
            self.drain(&mut local, in_flight);
        }
        local.publish(self.counters, self.gate.lag());
        end
    }

    /// Waits until every submitted frame completed (or the drain timeout).
    fn drain(&mut self, local: &mut LocalCounters, mut in_flight: u32) {
        let started = self.gate.clock.now_ns();
        while in_flight > 0 && self.gate.clock.now_ns() - started < DRAIN_TIMEOUT_NS {
            let completed = self.socket.reap();
            in_flight -= completed;
            local.completions += u64::from(completed);
            if self.kick_if_needed(local).is_err() {
                return;
            }
            if completed == 0 {
                std::hint::spin_loop();
            }
        }
    }

    #[inline]
    fn kick_if_needed(&mut self, local: &mut LocalCounters) -> Result<(), i32> {
        if !self.socket.wants_kick() {
            return Ok(());
        }
        local.kicks += 1;
        match self.socket.kick() {
            Kick::Done | Kick::Busy => Ok(()),
            Kick::Failed(errno) => {
                local.errors += 1;
                Err(errno)
            }
        }
    }
}
