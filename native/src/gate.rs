//! What every engine's transmit thread asks before it sends: has the session
//! stopped (request, deadline, packet count), and how many packets may go
//! now (the pacer's credit, the session's packet budget, the room the engine
//! has). The engines differ only in how they put the admitted packets on
//! the wire.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::pacer::{pause, Clock, Grant, Lag, Pacer, SPIN_BELOW_NS};

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
        if self.is_spent() {
            return 0;
        }
        let before = self.claimed.fetch_add(u64::from(want), Ordering::Relaxed);
        self.total.saturating_sub(before).min(u64::from(want)) as u32
    }

    /// Every packet is claimed (some may still be on their way out).
    #[inline]
    pub fn is_spent(&self) -> bool {
        self.claimed.load(Ordering::Relaxed) >= self.total
    }
}

/// How one thread's sending ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopEnd {
    /// Count, duration or stop request reached; all frames accounted for.
    Finished,
    /// A kernel call failed with `errno`; the thread stopped. `action`
    /// names the call for the error message ("transmit", "BPF_PROG_RUN").
    Failed { action: &'static str, errno: i32 },
}

/// The gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// This many packets may go now (0 when the engine had no room).
    Send(u32),
    /// The pacer has no credit yet: the next is due in this many nanoseconds.
    Wait(u64),
    /// Stop requested, deadline passed or budget spent.
    End,
}

/// One thread's view of the session's limits.
pub struct Gate<'a, C: Clock> {
    pub clock: C,
    pacer: Option<Pacer>,
    budget: Option<&'a PacketBudget>,
    /// Budget claimed but not yet sent (the engine took less than admitted).
    claimed: u32,
    /// Clock time at which to stop sending.
    deadline_ns: Option<u64>,
    stop: &'a AtomicBool,
}

impl<'a, C: Clock> Gate<'a, C> {
    pub fn new(
        clock: C,
        pacer: Option<Pacer>,
        budget: Option<&'a PacketBudget>,
        deadline_ns: Option<u64>,
        stop: &'a AtomicBool,
    ) -> Self {
        Gate {
            clock,
            pacer,
            budget,
            claimed: 0,
            deadline_ns,
            stop,
        }
    }

    /// How many of `room` packets may go now. With no room, only the stop
    /// conditions are checked (pacer and budget are left untouched).
    #[inline]
    pub fn poll(&mut self, room: u32) -> Admit {
        let now = self.clock.now_ns();
        if self.stop.load(Ordering::Relaxed) || self.deadline_ns.is_some_and(|d| now >= d) {
            return Admit::End;
        }
        // A spent budget ends the thread now, not after the pacer's next
        // gap: at 2 pps that is half a second more of a run already done.
        if self.claimed == 0 && self.budget.is_some_and(PacketBudget::is_spent) {
            return Admit::End;
        }
        if room == 0 {
            return Admit::Send(0);
        }
        let mut want = room;
        if let Some(pacer) = self.pacer.as_mut() {
            match pacer.poll(now, want) {
                Grant::Send(n) => want = n,
                Grant::WaitNs(ns) => return Admit::Wait(ns),
            }
        }
        if let Some(budget) = self.budget {
            if self.claimed == 0 {
                self.claimed = budget.claim(want);
                if self.claimed == 0 {
                    return Admit::End;
                }
            }
            want = want.min(self.claimed);
        }
        Admit::Send(want)
    }

    /// Records that `sent` of the admitted packets went.
    #[inline]
    pub fn sent(&mut self, sent: u32) {
        if let Some(pacer) = self.pacer.as_mut() {
            pacer.spend(sent);
        }
        if self.budget.is_some() {
            self.claimed -= sent;
        }
    }

    /// How often this thread fell behind its schedule so far (nothing when
    /// it is not paced: it has no schedule).
    pub fn lag(&self) -> Lag {
        self.pacer.as_ref().map_or(Lag::default(), Pacer::lag)
    }

    /// Waits part of a pacer gap (see [`pause`]); the caller polls again.
    pub fn pause(&self, wait_ns: u64) {
        let spin_below_ns = self
            .pacer
            .as_ref()
            .map_or(SPIN_BELOW_NS, Pacer::spin_below_ns);
        pause(&self.clock, wait_ns, spin_below_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacer::RATE_SCALE;
    use std::cell::Cell;

    struct FixedClock(Cell<u64>);

    impl Clock for FixedClock {
        fn now_ns(&self) -> u64 {
            self.0.get()
        }
        fn sleep_ns(&self, ns: u64) {
            self.0.set(self.0.get() + ns);
        }
    }

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

    #[test]
    fn a_claim_the_engine_did_not_fill_is_used_first() {
        let stop = AtomicBool::new(false);
        let budget = PacketBudget::new(100);
        let mut gate = Gate::new(FixedClock(Cell::new(0)), None, Some(&budget), None, &stop);
        assert_eq!(gate.poll(64), Admit::Send(64));
        gate.sent(10);
        // 54 still claimed: no new claim until they are sent.
        assert_eq!(gate.poll(64), Admit::Send(54));
        gate.sent(54);
        assert_eq!(gate.poll(64), Admit::Send(36));
        gate.sent(36);
        assert_eq!(gate.poll(64), Admit::End);
    }

    #[test]
    fn stop_and_deadline_end_even_without_room() {
        let stop = AtomicBool::new(false);
        let clock = FixedClock(Cell::new(0));
        let mut gate = Gate::new(clock, None, None, Some(1_000), &stop);
        assert_eq!(gate.poll(0), Admit::Send(0));
        gate.clock.0.set(1_000);
        assert_eq!(gate.poll(0), Admit::End);
        let mut gate = Gate::new(FixedClock(Cell::new(0)), None, None, None, &stop);
        stop.store(true, Ordering::Relaxed);
        assert_eq!(gate.poll(64), Admit::End);
    }

    #[test]
    fn the_pacer_is_asked_before_the_budget() {
        let stop = AtomicBool::new(false);
        let budget = PacketBudget::new(1_000);
        let pacer = Pacer::new(1_000 * RATE_SCALE, 64, 0);
        let mut gate = Gate::new(
            FixedClock(Cell::new(0)),
            Some(pacer),
            Some(&budget),
            None,
            &stop,
        );
        // No credit at t=0: the budget is not claimed while waiting.
        assert_eq!(gate.poll(64), Admit::Wait(1_000_000));
        gate.clock.0.set(1_000_000);
        assert_eq!(gate.poll(64), Admit::Send(1));
        gate.sent(1);
        assert_eq!(budget.claim(1_000), 999);
    }

    #[test]
    fn a_spent_budget_ends_without_waiting_for_the_pacer() {
        let stop = AtomicBool::new(false);
        let budget = PacketBudget::new(1);
        let pacer = Pacer::new(2 * RATE_SCALE, 64, 0);
        let mut gate = Gate::new(
            FixedClock(Cell::new(500_000_000)),
            Some(pacer),
            Some(&budget),
            None,
            &stop,
        );
        assert_eq!(gate.poll(64), Admit::Send(1));
        gate.sent(1);
        // The next packet would be due at 1 s.
        assert_eq!(gate.poll(64), Admit::End);
        assert_eq!(gate.lag(), Lag::default());
    }

    #[test]
    fn an_unpaced_thread_has_no_schedule_to_fall_behind() {
        let stop = AtomicBool::new(false);
        let mut gate = Gate::new(FixedClock(Cell::new(0)), None, None, None, &stop);
        gate.poll(64);
        gate.clock.0.set(50_000_000);
        gate.poll(64);
        assert_eq!(gate.lag(), Lag::default());
    }
}
