//! The AF_XDP engine's transmit loop. Each pass reaps the completion ring,
//! asks the gate how many may go, writes that many prepared descriptors
//! into the TX ring, and kicks the kernel only when the ring needs it. No
//! allocation, no lock, no syscall but the kick.

use xdpilone::xdp::XdpDesc;

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

/// An AF_XDP socket's TX side as the loop sees it (the kernel's in
/// kernel/xsk.rs, a simulated one in the tests).
pub trait TxQueue {
    /// Puts descriptors in the TX ring; how many it took.
    fn submit(&mut self, descriptors: &[XdpDesc]) -> u32;
    /// Releases completed descriptors; how many.
    fn reap(&mut self) -> u32;
    /// Whether the kernel must be woken for the TX ring to progress.
    fn wants_kick(&self) -> bool;
    fn kick(&mut self) -> Kick;
}

impl TxQueue for XskTx {
    #[inline]
    fn submit(&mut self, descriptors: &[XdpDesc]) -> u32 {
        XskTx::submit(self, descriptors)
    }
    #[inline]
    fn reap(&mut self) -> u32 {
        XskTx::reap(self)
    }
    #[inline]
    fn wants_kick(&self) -> bool {
        XskTx::wants_kick(self)
    }
    #[inline]
    fn kick(&mut self) -> Kick {
        XskTx::kick(self)
    }
}

/// Everything one AF_XDP transmit thread needs.
pub struct XskLoop<'a, Q: TxQueue, C: Clock> {
    pub socket: Q,
    pub layout: &'a FrameLayout,
    pub batch: u32,
    pub gate: Gate<'a, C>,
    pub counters: &'a QueueCounters,
}

impl<Q: TxQueue, C: Clock> XskLoop<'_, Q, C> {
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
            // The kick and the counters go out whether the gate admitted
            // packets or asked to wait; the wait comes after them.
            let mut wait_ns = None;
            match self.gate.poll(room) {
                Admit::End => break,
                Admit::Wait(ns) => wait_ns = Some(ns),
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
            if let Some(ns) = wait_ns {
                self.gate.pause(ns);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Gate, PacketBudget};
    use crate::schedule::Schedule;
    use std::cell::Cell;
    use std::sync::atomic::AtomicBool;

    /// A kernel that sends what is in the ring on each kick, completing it
    /// at once, and fails the kick numbered `fail_kick` with EIO.
    struct SimQueue {
        in_ring: u32,
        completed: u32,
        wire: Vec<u64>,
        kicks: u32,
        fail_kick: Option<u32>,
    }

    impl SimQueue {
        fn new(fail_kick: Option<u32>) -> SimQueue {
            SimQueue {
                in_ring: 0,
                completed: 0,
                wire: Vec::new(),
                kicks: 0,
                fail_kick,
            }
        }
    }

    impl TxQueue for &mut SimQueue {
        fn submit(&mut self, descriptors: &[XdpDesc]) -> u32 {
            let room = RING_SIZE - self.in_ring;
            let taken = (descriptors.len() as u32).min(room);
            self.wire
                .extend(descriptors[..taken as usize].iter().map(|d| d.addr));
            self.in_ring += taken;
            taken
        }
        fn reap(&mut self) -> u32 {
            std::mem::take(&mut self.completed)
        }
        fn wants_kick(&self) -> bool {
            self.in_ring > 0
        }
        fn kick(&mut self) -> Kick {
            self.kicks += 1;
            if self.fail_kick == Some(self.kicks) {
                return Kick::Failed(libc::EIO);
            }
            self.completed += self.in_ring;
            self.in_ring = 0;
            Kick::Done
        }
    }

    /// Advances 1 µs a look, so deadlines and drains end.
    struct TickingClock(Cell<u64>);

    impl Clock for TickingClock {
        fn now_ns(&self) -> u64 {
            self.0.set(self.0.get() + 1_000);
            self.0.get()
        }
        fn sleep_ns(&self, ns: u64) {
            self.0.set(self.0.get() + ns);
        }
    }

    fn run_loop(
        queue: &mut SimQueue,
        layout: &FrameLayout,
        budget: &PacketBudget,
    ) -> (LoopEnd, QueueCounters) {
        let stop = AtomicBool::new(false);
        let counters = QueueCounters::default();
        let gate = Gate::new(TickingClock(Cell::new(0)), None, Some(budget), None, &stop);
        let end = XskLoop {
            socket: queue,
            layout,
            batch: 64,
            gate,
            counters: &counters,
        }
        .run();
        (end, counters)
    }

    #[test]
    fn sends_exactly_the_count_in_the_schedules_order_and_drains() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let layout = FrameLayout::new(&schedule, &[60, 1514], 2048, 64);
        let mut queue = SimQueue::new(None);
        let budget = PacketBudget::new(10_001);
        let (end, counters) = run_loop(&mut queue, &layout, &budget);
        assert_eq!(end, LoopEnd::Finished);
        assert_eq!(queue.wire.len(), 10_001);
        assert_eq!(
            counters.packets.load(std::sync::atomic::Ordering::Relaxed),
            10_001
        );
        // Every frame handed over completed before the loop ended.
        assert_eq!(
            counters
                .completions
                .load(std::sync::atomic::Ordering::Relaxed),
            10_001
        );
        // The wire follows the layout's descriptors: A A B A …
        let expected: Vec<u64> = (0..10_001)
            .map(|i| layout.descriptors(i % layout.cycle(), 1)[0].addr)
            .collect();
        assert_eq!(queue.wire, expected);
    }

    #[test]
    fn a_failed_kick_ends_the_thread_with_its_errno() {
        let schedule = Schedule::new(&[1]).unwrap();
        let layout = FrameLayout::new(&schedule, &[60], 2048, 64);
        let mut queue = SimQueue::new(Some(3));
        let budget = PacketBudget::new(1_000_000);
        let (end, counters) = run_loop(&mut queue, &layout, &budget);
        assert_eq!(
            end,
            LoopEnd::Failed {
                action: "transmit",
                errno: libc::EIO
            }
        );
        assert_eq!(
            counters.errors.load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        // Two batches went before the third kick failed; the third is
        // counted as handed over, not as sent on.
        assert_eq!(
            counters.packets.load(std::sync::atomic::Ordering::Relaxed),
            192
        );
    }
}
