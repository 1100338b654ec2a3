//! The per-queue transmit loop. Each pass reaps the completion ring, asks
//! the pacer and the packet budget how many may go, writes that many
//! prepared descriptors into the TX ring, and kicks the kernel only when the
//! ring needs it. No allocation, no lock, no syscall but the kick.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::frames::FrameLayout;
use crate::pacer::{pause, Clock, Grant, Pacer};
use crate::stats::{LocalCounters, QueueCounters};
use crate::xsk::{Kick, XskTx, RING_SIZE};

/// Time to wait for the last completions once sending stopped: the kernel
/// completes copy-mode frames within microseconds, so this is reached only
/// if the device went away.
const DRAIN_TIMEOUT_NS: u64 = 1_000_000_000;

/// The session-wide packet count, claimed batch by batch by all threads so
/// that the total is exact however fast each thread runs.
#[derive(Debug)]
pub struct PacketBudget {
    total: u64,
    claimed: AtomicU64,
}

impl PacketBudget {
    pub fn new(total: u64) -> Self {
        PacketBudget {
            total,
            claimed: AtomicU64::new(0),
        }
    }

    /// Claims up to `want` packets; 0 once the budget is spent.
    #[inline]
    pub fn claim(&self, want: u32) -> u32 {
        if self.claimed.load(Ordering::Relaxed) >= self.total {
            return 0;
        }
        let before = self.claimed.fetch_add(u64::from(want), Ordering::Relaxed);
        self.total.saturating_sub(before).min(u64::from(want)) as u32
    }
}

/// How one thread's sending ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopEnd {
    /// Count, duration or stop request reached; all frames accounted for.
    Finished,
    /// A kick failed with this errno; the thread stopped.
    KickFailed(i32),
}

/// Everything one transmit thread needs.
pub struct TxLoop<'a, C: Clock> {
    pub socket: XskTx,
    pub layout: &'a FrameLayout,
    pub batch: u32,
    pub pacer: Option<Pacer>,
    pub budget: Option<&'a PacketBudget>,
    /// Clock time at which to stop sending.
    pub deadline_ns: Option<u64>,
    pub stop: &'a AtomicBool,
    pub counters: &'a QueueCounters,
    pub clock: C,
}

impl<C: Clock> TxLoop<'_, C> {
    pub fn run(mut self) -> LoopEnd {
        let mut local = LocalCounters::default();
        let mut position = 0usize;
        let mut in_flight = 0u32;
        // Budget claimed but not yet submitted (the ring took less).
        let mut claimed = 0u32;
        let cycle = self.layout.cycle();
        let mut end = LoopEnd::Finished;

        loop {
            let completed = self.socket.reap();
            in_flight -= completed;
            local.completions += u64::from(completed);

            let now = self.clock.now_ns();
            if self.stop.load(Ordering::Relaxed) || self.deadline_ns.is_some_and(|d| now >= d) {
                break;
            }

            let mut want = self.batch.min(RING_SIZE - in_flight);
            if want == 0 {
                local.ring_full += 1;
            }
            if want > 0 {
                if let Some(pacer) = self.pacer.as_mut() {
                    match pacer.poll(now, want) {
                        Grant::Send(n) => want = n,
                        Grant::WaitNs(ns) => {
                            if let Err(errno) = self.kick_if_needed(&mut local) {
                                end = LoopEnd::KickFailed(errno);
                                break;
                            }
                            local.publish(self.counters);
                            pause(&self.clock, ns);
                            continue;
                        }
                    }
                }
            }
            if want > 0 {
                if let Some(budget) = self.budget {
                    if claimed == 0 {
                        claimed = budget.claim(want);
                        if claimed == 0 {
                            break;
                        }
                    }
                    want = want.min(claimed);
                }
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
                    if self.budget.is_some() {
                        claimed -= sent;
                    }
                    if let Some(pacer) = self.pacer.as_mut() {
                        pacer.spend(sent);
                    }
                }
            }
            if let Err(errno) = self.kick_if_needed(&mut local) {
                end = LoopEnd::KickFailed(errno);
                break;
            }
            local.publish(self.counters);
        }

        if end == LoopEnd::Finished {
            self.drain(&mut local, in_flight);
        }
        local.publish(self.counters);
        end
    }

    /// Waits until every submitted frame completed (or the drain timeout).
    fn drain(&mut self, local: &mut LocalCounters, mut in_flight: u32) {
        let started = self.clock.now_ns();
        while in_flight > 0 && self.clock.now_ns() - started < DRAIN_TIMEOUT_NS {
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

    #[test]
    fn budget_is_exact_across_claims() {
        let budget = PacketBudget::new(100);
        let mut total = 0;
        loop {
            let got = budget.claim(64);
            if got == 0 {
                break;
            }
            total += got;
        }
        assert_eq!(total, 100);
        assert_eq!(budget.claim(64), 0);
    }

    #[test]
    fn budget_is_exact_across_threads() {
        let budget = std::sync::Arc::new(PacketBudget::new(1_000_003));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || {
                    let mut mine = 0u64;
                    loop {
                        let got = budget.claim(64);
                        if got == 0 {
                            return mine;
                        }
                        mine += u64::from(got);
                    }
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(total, 1_000_003);
    }
}
