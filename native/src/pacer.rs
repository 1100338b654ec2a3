//! Rate limiting for one transmit thread: a token bucket on a monotonic clock
//! that grants credit a quantum (≤ one batch) at a time.
//!
//! The bucket is kept as "packets the rate allows since the origin" minus
//! "packets granted", in integer arithmetic, so a long run neither drifts nor
//! accumulates rounding. The quantum is sized so that credit is granted at
//! least ~4000 times a second (rate/4000 packets, capped at the batch): a
//! 10 ms window then holds ≥ 40 grants, which keeps the rate within a few
//! percent of the target at that scale. Below [`SPIN_FROM_PPS`], gaps longer
//! than [`SPIN_BELOW_NS`] are slept (minus that margin, then spun), shorter
//! ones spun, so a slow rate does not burn a core; from it on, every gap is
//! spun, so a fast rate is not bursty when a sleep wakes late.
//!
//! A thread that fell behind (a late wake-up, a preemption, a slower
//! stretch of the machine) catches up, so totals stay on target, but never
//! in a burst: a second bucket, [`CATCH_UP_PERCENT`] faster than the rate
//! and two quanta deep, caps every stretch of time at that much above the
//! rate, plus two quanta (≤ 0.5 ms of traffic). A device under test (a
//! policer, a shaper, a queue) then never sees more than the asked rate plus
//! that margin over any window.
//!
//! docs/pacing.md has the measurements behind the constants.

use std::time::{Duration, Instant};

/// Gaps at or below this are busy-waited: a sleep cannot be trusted to wake
/// up closer than this to its deadline.
pub const SPIN_BELOW_NS: u64 = 50_000;
/// The most of a slow sender's gap that is spun, so that a sleep ending a
/// few ms late does not make the sender late.
pub const LATE_WAKE_MARGIN_NS: u64 = 5_000_000;
/// Longest single sleep, so a stop request is seen within this time.
pub const MAX_SLEEP_NS: u64 = 10_000_000;
/// From this rate per thread on, the whole gap between grants is spun, not
/// slept: a sleep that ends late leaves a hole in a 10 ms window, which the
/// catch-up cap then does not fill at once. Below it, gaps are slept, so a
/// slow rate does not take a core.
pub const SPIN_FROM_PPS: u64 = 5_000;
/// Grants per second the quantum aims for (see the module comment).
const GRANTS_PER_SECOND: u64 = 4_000;
/// Backlog a late thread may still catch up on: 100 ms of traffic. Stalls
/// (a kernel thread, a VM host, a slow stretch of the core) are made good;
/// what a sender slower than the rate misses beyond that is forgiven, so it
/// does not run above the rate for more than 2 s after such a stretch.
const BACKLOG_NS: u64 = 100_000_000;
/// How much faster than the rate a thread that fell behind may send while it
/// catches up (see the module comment). 5 % recovers a 100 ms backlog in
/// 2 s and keeps a 10 ms window within +10 %.
pub const CATCH_UP_PERCENT: u64 = 5;
/// A thread further behind its schedule than this has fallen behind (the
/// credit that accrues between two polls is a fraction of it): its CPU was
/// busy elsewhere, or the rate is more than it can send.
pub const BEHIND_NS: u64 = 1_000_000;
const NS_PER_SECOND: u128 = 1_000_000_000;
/// Rates are kept in packets per 1000 s so a bit rate converted to a
/// fractional packet rate keeps three decimals.
pub const RATE_SCALE: u64 = 1_000;

/// A time source; the engine uses [`MonotonicClock`], tests a simulated one.
pub trait Clock {
    /// Nanoseconds since an arbitrary, fixed origin.
    fn now_ns(&self) -> u64;
    fn sleep_ns(&self, ns: u64);
}

/// CLOCK_MONOTONIC (through `Instant`, a vDSO call, no syscall).
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    pub fn new(origin: Instant) -> Self {
        MonotonicClock { origin }
    }
}

impl Clock for MonotonicClock {
    fn now_ns(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }

    fn sleep_ns(&self, ns: u64) {
        std::thread::sleep(Duration::from_nanos(ns));
    }
}

/// How often a thread fell more than [`BEHIND_NS`] behind its schedule, and
/// the most it was behind (before any backlog was forgiven).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    pub times: u64,
    pub most_ns: u64,
}

/// Outcome of asking the pacer for credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// This many packets may go now.
    Send(u32),
    /// Not enough credit: the next quantum is due in this many nanoseconds.
    WaitNs(u64),
}

/// Token bucket for one thread.
#[derive(Debug, Clone)]
pub struct Pacer {
    /// Packets per 1000 s ([`RATE_SCALE`]).
    rate_milli_pps: u64,
    quantum: u32,
    backlog: u64,
    origin_ns: u64,
    /// Packets granted since `origin_ns` (moved forward when a late thread's
    /// backlog exceeds `backlog`).
    granted: u64,
    /// The catch-up bucket: the same count against the faster rate, moved
    /// forward so that it never holds more than two quanta.
    peak_granted: u64,
    lag: Lag,
    /// In a stretch of being behind (until back within half of [`BEHIND_NS`]).
    behind: bool,
}

impl Pacer {
    /// A pacer for `rate_milli_pps` (> 0) that grants at most `max_quantum`
    /// packets at a time, starting at `now_ns` with an empty bucket.
    pub fn new(rate_milli_pps: u64, max_quantum: u32, now_ns: u64) -> Pacer {
        let quantum = Pacer::quantum_for(rate_milli_pps, max_quantum);
        let backlog_packets = (u128::from(rate_milli_pps) * u128::from(BACKLOG_NS)
            / (NS_PER_SECOND * u128::from(RATE_SCALE))) as u64;
        Pacer {
            rate_milli_pps,
            quantum,
            backlog: backlog_packets.max(u64::from(quantum)),
            origin_ns: now_ns,
            granted: 0,
            peak_granted: 0,
            lag: Lag::default(),
            behind: false,
        }
    }

    /// The packets a pacer for `rate_milli_pps` grants at a time: enough
    /// for [`GRANTS_PER_SECOND`] grants, at least 1, at most `max_quantum`.
    pub fn quantum_for(rate_milli_pps: u64, max_quantum: u32) -> u32 {
        let pps = rate_milli_pps / RATE_SCALE;
        (pps / GRANTS_PER_SECOND).clamp(1, u64::from(max_quantum.max(1))) as u32
    }

    /// Asks for up to `want` packets at `now_ns`. Grants only once a whole
    /// quantum (or `want`, if smaller) is available, so the sender keeps its
    /// batches; call [`Pacer::spend`] with what was actually sent.
    pub fn poll(&mut self, now_ns: u64, want: u32) -> Grant {
        let allowed = self.allowed_at(now_ns, self.rate_milli_pps);
        let mut available = allowed.saturating_sub(self.granted);
        self.note_lag(now_ns);
        if available > self.backlog {
            // Forgive what a stalled thread missed beyond the backlog.
            self.granted = allowed - self.backlog;
            available = self.backlog;
        }
        let peak_allowed = self.allowed_at(now_ns, self.peak_rate_milli_pps());
        let mut peak_available = peak_allowed.saturating_sub(self.peak_granted);
        if peak_available > self.peak_depth() {
            self.peak_granted = peak_allowed - self.peak_depth();
            peak_available = self.peak_depth();
        }
        let needed = u64::from(self.quantum.min(want).max(1));
        let grantable = available.min(peak_available);
        if grantable >= needed {
            return Grant::Send(grantable.min(u64::from(want)) as u32);
        }
        let due_ns = self
            .time_of_packet(self.granted + needed, self.rate_milli_pps)
            .max(self.time_of_packet(self.peak_granted + needed, self.peak_rate_milli_pps()));
        Grant::WaitNs(due_ns.saturating_sub(now_ns).max(1))
    }

    /// Gaps up to this long are spun rather than slept (see [`pause`]):
    /// every gap from [`SPIN_FROM_PPS`] on; below, the last twentieth of
    /// the gap between two quanta, between [`SPIN_BELOW_NS`] and
    /// [`LATE_WAKE_MARGIN_NS`], so that a sleep ending a few ms late on a
    /// virtual CPU still leaves a slow sender on time, for at most 5 % of
    /// a core.
    pub fn spin_below_ns(&self) -> u64 {
        if self.rate_milli_pps >= SPIN_FROM_PPS * RATE_SCALE {
            return MAX_SLEEP_NS;
        }
        let gap_ns = u128::from(self.quantum) * NS_PER_SECOND * u128::from(RATE_SCALE)
            / u128::from(self.rate_milli_pps);
        ((gap_ns / 20) as u64).clamp(SPIN_BELOW_NS, LATE_WAKE_MARGIN_NS)
    }

    /// How often this thread fell behind so far (see [`Lag`]).
    pub fn lag(&self) -> Lag {
        self.lag
    }

    /// How late the next quantum is: the time since its last packet became
    /// due. Credit that is merely accruing towards a grant is not lag, so a
    /// sender on time reads ~0 at any rate, even when a quantum is one
    /// packet and seconds long.
    fn note_lag(&mut self, now_ns: u64) {
        let quantum_due_ns =
            self.time_of_packet(self.granted + u64::from(self.quantum), self.rate_milli_pps);
        let lag_ns = now_ns.saturating_sub(quantum_due_ns);
        if lag_ns > BEHIND_NS {
            if !self.behind {
                self.behind = true;
                self.lag.times += 1;
            }
            self.lag.most_ns = self.lag.most_ns.max(lag_ns);
        } else if lag_ns <= BEHIND_NS / 2 {
            self.behind = false;
        }
    }

    /// Records that `packets` granted packets were sent.
    pub fn spend(&mut self, packets: u32) {
        self.granted += u64::from(packets);
        self.peak_granted += u64::from(packets);
    }

    /// Two quanta: one is what a grant waits for, the other leaves room for
    /// the credit that accrues between two polls, so the cap never holds a
    /// thread that keeps up below the rate.
    fn peak_depth(&self) -> u64 {
        2 * u64::from(self.quantum)
    }

    fn peak_rate_milli_pps(&self) -> u64 {
        self.rate_milli_pps + self.rate_milli_pps * CATCH_UP_PERCENT / 100
    }

    /// Packets `rate_milli_pps` allows between the origin and `now_ns`.
    fn allowed_at(&self, now_ns: u64, rate_milli_pps: u64) -> u64 {
        let elapsed = u128::from(now_ns.saturating_sub(self.origin_ns));
        (elapsed * u128::from(rate_milli_pps) / (NS_PER_SECOND * u128::from(RATE_SCALE))) as u64
    }

    /// Earliest time at which `allowed_at` at `rate_milli_pps` reaches `packets`.
    fn time_of_packet(&self, packets: u64, rate_milli_pps: u64) -> u64 {
        let scaled = u128::from(packets) * NS_PER_SECOND * u128::from(RATE_SCALE);
        self.origin_ns + scaled.div_ceil(u128::from(rate_milli_pps)) as u64
    }
}

/// Waits part of `wait_ns`: sleeps when the gap is long (leaving
/// [`SPIN_BELOW_NS`] to spin, and never more than [`MAX_SLEEP_NS`]), else
/// spins once. The caller loops, re-polling the pacer.
pub fn pause(clock: &impl Clock, wait_ns: u64, spin_below_ns: u64) {
    if wait_ns > spin_below_ns {
        clock.sleep_ns((wait_ns - spin_below_ns).min(MAX_SLEEP_NS));
    } else {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Time advances only when the simulated sender works or sleeps; a sleep
    /// oversleeps by `sleep_lateness_ns`, as a real one does.
    /// Every `hiccup_every`-th sleep ends `hiccup_ns` later still, as sleeps
    /// on a virtual machine sometimes do.
    struct SimClock {
        now: Cell<u64>,
        sleep_lateness_ns: u64,
        slept_ns: Cell<u64>,
        sleeps: Cell<u64>,
        hiccup_every: u64,
        hiccup_ns: u64,
    }

    impl SimClock {
        fn new(sleep_lateness_ns: u64) -> Self {
            SimClock {
                now: Cell::new(0),
                sleep_lateness_ns,
                slept_ns: Cell::new(0),
                sleeps: Cell::new(0),
                hiccup_every: u64::MAX,
                hiccup_ns: 0,
            }
        }
        fn advance(&self, ns: u64) {
            self.now.set(self.now.get() + ns);
        }
    }

    impl Clock for SimClock {
        fn now_ns(&self) -> u64 {
            self.now.get()
        }
        fn sleep_ns(&self, ns: u64) {
            self.sleeps.set(self.sleeps.get() + 1);
            let mut actual = ns + self.sleep_lateness_ns;
            if self.sleeps.get().is_multiple_of(self.hiccup_every) {
                actual += self.hiccup_ns;
            }
            self.advance(actual);
            self.slept_ns.set(self.slept_ns.get() + actual);
        }
    }

    struct Run {
        /// Send times of every packet.
        sends: Vec<u64>,
        spin_ns: u64,
        slept_ns: u64,
    }

    /// Drives a pacer like the transmit loop does: every loop costs
    /// `loop_ns`, sending costs `per_packet_ns` per packet.
    fn simulate(pps: u64, batch: u32, run_ns: u64, sleep_lateness_ns: u64) -> Run {
        simulate_on(SimClock::new(sleep_lateness_ns), pps, batch, run_ns)
    }

    fn simulate_on(clock: SimClock, pps: u64, batch: u32, run_ns: u64) -> Run {
        let loop_ns = 100;
        let per_packet_ns = 20;
        let mut pacer = Pacer::new(pps * RATE_SCALE, batch, clock.now_ns());
        let mut run = Run {
            sends: Vec::new(),
            spin_ns: 0,
            slept_ns: 0,
        };
        while clock.now_ns() < run_ns {
            clock.advance(loop_ns);
            match pacer.poll(clock.now_ns(), batch) {
                Grant::Send(n) => {
                    for _ in 0..n {
                        run.sends.push(clock.now_ns());
                    }
                    pacer.spend(n);
                    clock.advance(per_packet_ns * u64::from(n));
                }
                Grant::WaitNs(ns) => {
                    let before = clock.slept_ns.get();
                    pause(&clock, ns, pacer.spin_below_ns());
                    if clock.slept_ns.get() == before {
                        run.spin_ns += loop_ns;
                    }
                }
            }
        }
        run.slept_ns = clock.slept_ns.get();
        run
    }

    fn window_counts(sends: &[u64], window_ns: u64, run_ns: u64) -> Vec<u64> {
        let mut windows = vec![0u64; (run_ns / window_ns) as usize];
        for &t in sends {
            if let Some(w) = windows.get_mut((t / window_ns) as usize) {
                *w += 1;
            }
        }
        windows
    }

    #[test]
    fn one_mpps_is_smooth_in_10ms_windows() {
        let run = simulate(1_000_000, 64, 1_000_000_000, 5_000);
        assert!(
            (999_000..=1_000_000).contains(&run.sends.len()),
            "{}",
            run.sends.len()
        );
        for (i, count) in window_counts(&run.sends, 10_000_000, 1_000_000_000)
            .into_iter()
            .enumerate()
        {
            assert!((9_000..=11_000).contains(&count), "window {i}: {count}");
        }
    }

    #[test]
    fn one_kpps_sleeps_instead_of_spinning() {
        let run = simulate(1_000, 64, 2_000_000_000, 5_000);
        assert!((1_999..=2_000).contains(&run.sends.len()));
        for count in window_counts(&run.sends, 10_000_000, 2_000_000_000) {
            assert!((9..=11).contains(&count), "{count}");
        }
        // At most ~5% of the time busy (50 µs spin per 1 ms gap).
        assert!(run.spin_ns < 2_000_000_000 / 18, "spun {} ns", run.spin_ns);
        assert!(run.slept_ns > 2_000_000_000 * 9 / 10);
    }

    #[test]
    fn hundred_kpps_grants_whole_quanta() {
        let pacer = Pacer::new(100_000 * RATE_SCALE, 64, 0);
        assert_eq!(pacer.quantum, 25);
        let run = simulate(100_000, 64, 1_000_000_000, 20_000);
        assert!((99_900..=100_000).contains(&run.sends.len()));
        for count in window_counts(&run.sends, 10_000_000, 1_000_000_000) {
            assert!((900..=1_100).contains(&count), "{count}");
        }
    }

    #[test]
    fn late_wakeups_are_caught_up_without_a_burst() {
        // At 4 kpps gaps are slept; one sleep in 500 ends 4 ms late (16
        // packets behind). The count still reaches the rate, and no 10 ms
        // window gets more than +5 % and two quanta (1 packet each).
        const { assert!(4_000 < SPIN_FROM_PPS) };
        let clock = SimClock {
            hiccup_every: 500,
            hiccup_ns: 4_000_000,
            ..SimClock::new(50_000)
        };
        let run = simulate_on(clock, 4_000, 64, 2_000_000_000);
        assert!(
            (7_995..=8_000).contains(&run.sends.len()),
            "{}",
            run.sends.len()
        );
        let windows = window_counts(&run.sends, 10_000_000, 2_000_000_000);
        assert!(windows.iter().any(|&c| c < 36), "the hiccups left no hole");
        for (i, count) in windows.into_iter().enumerate() {
            assert!(count <= 44, "window {i}: {count}");
        }
    }

    #[test]
    fn fractional_rates_keep_their_decimals() {
        // 2.5 pps over 10 s: 25 packets.
        let mut pacer = Pacer::new(2_500, 64, 0);
        let mut sent = 0;
        let mut now = 0;
        while now <= 10_000_000_000 {
            if let Grant::Send(n) = pacer.poll(now, 64) {
                pacer.spend(n);
                sent += n;
            }
            now += 1_000_000;
        }
        assert_eq!(sent, 25);
    }

    #[test]
    fn a_stalled_thread_catches_up_its_backlog_at_the_peak_rate() {
        let mut pacer = Pacer::new(1_000_000 * RATE_SCALE, 64, 0);
        // A 200 ms stall: 200 000 packets are due, two quanta may go at once.
        let mut at_once = 0;
        while let Grant::Send(n) = pacer.poll(200_000_000, 64) {
            pacer.spend(n);
            at_once += n;
        }
        assert_eq!(at_once, 128);
        // From there on, 10 µs polls for 3 s: 100 ms of the backlog is made
        // good in 2 s (the rest forgiven), never more than 1.05 Mpps and two
        // quanta in a 10 ms window; the third second is back at the rate.
        let mut windows = vec![at_once; 1];
        windows.resize(300, 0);
        let mut now = 200_000_000;
        while now < 3_200_000_000 {
            if let Grant::Send(n) = pacer.poll(now, 64) {
                pacer.spend(n);
                windows[((now - 200_000_000) / 10_000_000) as usize] += n;
            }
            now += 10_000;
        }
        let total: u32 = windows.iter().sum();
        assert!(
            (3_099_800..=3_100_000).contains(&total),
            "caught up {total} in 3 s"
        );
        for (i, &count) in windows.iter().enumerate() {
            assert!(count <= 10_500 + 128, "window {i}: {count}");
        }
        assert!(windows[0] > 10_400, "catching up starts at once");
        assert!(windows[190] > 10_400, "and goes on for ~2 s");
        assert!(windows[299] <= 10_064, "then ends: {}", windows[299]);
    }

    #[test]
    fn fast_rates_spin_their_gaps_and_slow_ones_sleep() {
        let slow = Pacer::new(1_000 * RATE_SCALE, 64, 0);
        let fast = Pacer::new(100_000 * RATE_SCALE, 64, 0);
        assert_eq!(slow.spin_below_ns(), SPIN_BELOW_NS);
        assert_eq!(fast.spin_below_ns(), MAX_SLEEP_NS);
        // A twentieth of the gap between 50 µs and 5 ms: 500 µs at 100 pps.
        assert_eq!(Pacer::new(100 * RATE_SCALE, 64, 0).spin_below_ns(), 500_000);
        assert_eq!(
            Pacer::new(2 * RATE_SCALE, 64, 0).spin_below_ns(),
            LATE_WAKE_MARGIN_NS
        );
        let clock = SimClock::new(0);
        pause(&clock, 400_000, fast.spin_below_ns());
        assert_eq!(clock.slept_ns.get(), 0, "a 0.4 ms gap at 100 kpps is spun");
        pause(&clock, 400_000, slow.spin_below_ns());
        assert_eq!(
            clock.slept_ns.get(),
            350_000,
            "at 1 kpps it is slept but for the spin margin"
        );
    }

    #[test]
    fn falling_behind_is_counted_once_a_stretch_with_the_most_it_lagged() {
        let mut pacer = Pacer::new(100_000 * RATE_SCALE, 64, 0);
        let mut drive = |from_ns: u64, to_ns: u64| {
            let mut now = from_ns;
            while now < to_ns {
                if let Grant::Send(n) = pacer.poll(now, 64) {
                    pacer.spend(n);
                }
                now += 10_000;
            }
        };
        // Polled every 10 µs: never behind.
        drive(0, 10_000_000);
        // Then 3 ms without a poll (made good at +5 % within 60 ms), and
        // later 2 ms: two stretches, the worst 3 ms less the quantum that
        // was accruing anyway (25 packets, 250 µs).
        drive(13_000_000, 100_000_000);
        drive(102_000_000, 200_000_000);
        let lag = pacer.lag();
        assert_eq!(lag.times, 2);
        assert!(
            (2_750_000..=3_000_000).contains(&lag.most_ns),
            "{}",
            lag.most_ns
        );
    }

    /// Drives a pacer at `pps` with the sleeps and spins of the transmit
    /// loop on a clock whose sleeps end `lateness_ns` late, with one stall
    /// of `stall_ns` at `stall_at_ns`; its lag after `run_ns`.
    fn lag_of_run(pps: u64, run_ns: u64, lateness_ns: u64, stall: Option<(u64, u64)>) -> Lag {
        let clock = SimClock::new(lateness_ns);
        let mut pacer = Pacer::new(pps * RATE_SCALE, 64, 0);
        let mut stalled = false;
        while clock.now_ns() < run_ns {
            clock.advance(100);
            if let Some((at_ns, stall_ns)) = stall {
                if !stalled && clock.now_ns() >= at_ns {
                    stalled = true;
                    clock.advance(stall_ns);
                }
            }
            match pacer.poll(clock.now_ns(), 64) {
                Grant::Send(n) => pacer.spend(n),
                Grant::WaitNs(ns) => pause(&clock, ns, pacer.spin_below_ns()),
            }
        }
        pacer.lag()
    }

    #[test]
    fn a_sender_on_time_is_never_behind_at_any_rate() {
        // One packet a quantum at 2 and 10 pps (a quantum of 500 and 100
        // ms), a few at 10 kpps, whole batches at 1 Mpps; sleeps 20 µs late.
        for pps in [2, 10, 1_000, 10_000, 1_000_000] {
            assert_eq!(
                lag_of_run(pps, 3_000_000_000, 20_000, None),
                Lag::default(),
                "{pps} pps"
            );
        }
    }

    #[test]
    fn a_slow_sender_is_on_time_even_when_its_sleeps_end_ms_late() {
        // As sleeps on a virtual CPU do: 3 ms late.
        for pps in [2, 10] {
            assert_eq!(
                lag_of_run(pps, 3_000_000_000, 3_000_000, None),
                Lag::default(),
                "{pps} pps"
            );
        }
    }

    #[test]
    fn a_sender_held_up_at_a_low_rate_is_still_reported() {
        // 10 pps, held up 300 ms soon after the packet due at 1 s went (at
        // the first look after 1.00005 s, one 10 ms sleep later at most):
        // the packet due at 1.1 s goes 200-210 ms late, counted once.
        let lag = lag_of_run(
            10,
            3_000_000_000,
            20_000,
            Some((1_000_050_000, 300_000_000)),
        );
        assert_eq!(lag.times, 1);
        assert!(
            (200_000_000..=211_000_000).contains(&lag.most_ns),
            "{}",
            lag.most_ns
        );
    }

    /// The golden cases src/engine/pacer.ts is held to as well (test/pacer.test.ts), so a policy
    /// change that reaches one pacer and not the other fails; the file says what each field means.
    mod golden {
        use super::super::*;
        use serde::Deserialize;

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Cases {
            #[serde(rename = "about")]
            _about: Vec<String>,
            quanta: Vec<QuantumCase>,
            polls: Vec<PollCase>,
            runs: Vec<RunCase>,
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct QuantumCase {
            pps: f64,
            max_quantum: u32,
            quantum: u32,
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct PollCase {
            name: String,
            pps: f64,
            max_quantum: u32,
            steps: Vec<Step>,
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Step {
            at: u64,
            want: Option<u32>,
            send: Option<u32>,
            wait_ns: Option<u64>,
            lag: Option<LagCase>,
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct RunCase {
            name: String,
            pps: f64,
            max_quantum: u32,
            run_ns: u64,
            step_ns: u64,
            stalls: Vec<Stall>,
            window_ns: u64,
            windows: Vec<(u64, usize)>,
            total: u64,
            lag: LagCase,
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Stall {
            at_ns: u64,
            for_ns: u64,
        }

        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct LagCase {
            times: u64,
            most_ns: u64,
        }

        impl LagCase {
            fn lag(&self) -> Lag {
                Lag {
                    times: self.times,
                    most_ns: self.most_ns,
                }
            }
        }

        fn cases() -> Cases {
            serde_json::from_str(include_str!("../../test/pacer-cases.json"))
                .expect("test/pacer-cases.json")
        }

        /// The table gives rates in packets per second, as the TypeScript pacer takes them.
        fn rate_milli_pps(pps: f64) -> u64 {
            let milli = (pps * RATE_SCALE as f64).round() as u64;
            assert_eq!(
                milli as f64,
                pps * RATE_SCALE as f64,
                "{pps} pps has more than three decimals"
            );
            milli
        }

        /// Every case is checked, then every mismatch reported at once.
        fn assert_none(mismatches: Vec<String>) {
            assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
        }

        #[test]
        fn quanta() {
            let mismatches = cases()
                .quanta
                .iter()
                .filter_map(|case| {
                    let pacer = Pacer::new(rate_milli_pps(case.pps), case.max_quantum, 0);
                    (pacer.quantum != case.quantum).then(|| {
                        format!(
                            "{} pps, at most {}: a quantum of {}, not {}",
                            case.pps, case.max_quantum, pacer.quantum, case.quantum
                        )
                    })
                })
                .collect();
            assert_none(mismatches);
        }

        #[test]
        fn polls() {
            let mut mismatches = Vec::new();
            for case in cases().polls {
                let mut pacer = Pacer::new(rate_milli_pps(case.pps), case.max_quantum, 0);
                for (i, step) in case.steps.iter().enumerate() {
                    let expected = match (step.send, step.wait_ns) {
                        (Some(n), None) => Grant::Send(n),
                        (None, Some(ns)) => Grant::WaitNs(ns),
                        _ => panic!("{}, step {i}: give send or waitNs", case.name),
                    };
                    let grant = pacer.poll(step.at, step.want.unwrap_or(case.max_quantum));
                    if let Grant::Send(n) = grant {
                        pacer.spend(n);
                    }
                    if grant != expected {
                        mismatches.push(format!(
                            "{}, step {i}: {grant:?}, not {expected:?}",
                            case.name
                        ));
                    }
                    if let Some(lag) = &step.lag {
                        if pacer.lag() != lag.lag() {
                            mismatches.push(format!(
                                "{}, step {i}: {:?}, not {:?}",
                                case.name,
                                pacer.lag(),
                                lag.lag()
                            ));
                        }
                    }
                }
            }
            assert_none(mismatches);
        }

        /// Polls every `step_ns` but during the stalls, sending whatever is granted.
        fn drive(case: &RunCase) -> (Vec<u64>, Lag) {
            let mut pacer = Pacer::new(rate_milli_pps(case.pps), case.max_quantum, 0);
            let mut windows = vec![0; case.run_ns.div_ceil(case.window_ns) as usize];
            let mut now = 0;
            while now < case.run_ns {
                let stalled = case
                    .stalls
                    .iter()
                    .any(|stall| (stall.at_ns..stall.at_ns + stall.for_ns).contains(&now));
                if !stalled {
                    if let Grant::Send(n) = pacer.poll(now, case.max_quantum) {
                        pacer.spend(n);
                        windows[(now / case.window_ns) as usize] += u64::from(n);
                    }
                }
                now += case.step_ns;
            }
            (windows, pacer.lag())
        }

        #[test]
        fn runs() {
            let mut mismatches = Vec::new();
            for case in cases().runs {
                let (windows, lag) = drive(&case);
                let expected: Vec<u64> = case
                    .windows
                    .iter()
                    .flat_map(|&(count, repeat)| std::iter::repeat_n(count, repeat))
                    .collect();
                if windows.len() != expected.len() {
                    mismatches.push(format!(
                        "{}: {} windows, not {}",
                        case.name,
                        windows.len(),
                        expected.len()
                    ));
                } else if let Some(i) = (0..windows.len()).find(|&i| windows[i] != expected[i]) {
                    mismatches.push(format!(
                        "{}: window {i} holds {}, not {}",
                        case.name, windows[i], expected[i]
                    ));
                }
                let total: u64 = windows.iter().sum();
                if total != case.total {
                    mismatches.push(format!("{}: {total} in all, not {}", case.name, case.total));
                }
                if lag != case.lag.lag() {
                    mismatches.push(format!("{}: {lag:?}, not {:?}", case.name, case.lag.lag()));
                }
            }
            assert_none(mismatches);
        }
    }
}
