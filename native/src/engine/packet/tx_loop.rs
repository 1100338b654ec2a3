//! The packet engine's transmit loop over an AF_PACKET TX ring
//! (kernel/packet_ring.rs). The kernel hands slots back (AVAILABLE) once their
//! frames are sent, in ring order; the loop reaps them from the oldest,
//! fills free slots in ring order with the schedule's templates, marks them
//! SEND_REQUEST, and flushes once per batch with send(). A slot keeps the
//! last template written to it, so it is rewritten only when the schedule
//! puts a different template there: never, when the ring holds a whole
//! number of schedule periods (the usual case, see RingGeometry), else a
//! memcpy per packet. Templates with field programs then get their packet's
//! variant written over the slot (see variants.rs).

use crate::gate::{Admit, Gate, LoopEnd};
use crate::pacer::Clock;
use crate::schedule::{MixWalk, Schedule};
use crate::stats::{LocalCounters, QueueCounters};
use crate::variants::{SequenceClaims, TemplateCounts, VariantWriter};

/// Time to wait for the last frames to be handed back once sending stopped.
const DRAIN_TIMEOUT_NS: u64 = 250_000_000;

/// Result of asking the kernel to send the submitted slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// The kernel took what it could; slots it could not take yet (send
    /// buffer full) stay submitted for the next flush.
    Done,
    /// The kernel refused: errno.
    Failed(i32),
}

/// A TX ring as the loop sees it (the kernel's in kernel/packet_ring.rs, a
/// simulated one in the tests).
pub trait FrameRing {
    fn slots(&self) -> u32;
    /// The slot is the user's (the kernel handed it back).
    fn is_free(&self, slot: u32) -> bool;
    /// The slot is submitted and the kernel has not taken it yet.
    fn is_submitted(&self, slot: u32) -> bool;
    /// Writes `frame` into a free slot.
    fn write(&mut self, slot: u32, frame: &[u8]);
    /// The first `len` bytes of the frame written in a free slot.
    fn frame_mut(&mut self, slot: u32, len: usize) -> &mut [u8];
    /// Hands a written slot to the kernel.
    fn submit(&mut self, slot: u32);
    fn flush(&mut self) -> Flush;
}

/// No template is written in the slot yet.
const UNWRITTEN: u32 = u32::MAX;

/// Which ring slots the kernel may own and what each one holds. Slots are
/// used and handed back in ring order, so the kernel owns the `in_flight`
/// slots from `tail` on and the user every other one.
#[derive(Debug, Clone)]
pub struct SlotLedger {
    head: u32,
    tail: u32,
    in_flight: u32,
    holds: Vec<u32>,
}

impl SlotLedger {
    pub fn new(slots: u32) -> SlotLedger {
        SlotLedger {
            head: 0,
            tail: 0,
            in_flight: 0,
            holds: vec![UNWRITTEN; slots as usize],
        }
    }

    fn slots(&self) -> u32 {
        self.holds.len() as u32
    }

    #[inline]
    fn next(&self, slot: u32) -> u32 {
        if slot + 1 == self.slots() {
            0
        } else {
            slot + 1
        }
    }

    /// Slots free to fill.
    pub fn room(&self) -> u32 {
        self.slots() - self.in_flight
    }

    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Takes back the slots the kernel handed back, oldest first; how many.
    pub fn reap(&mut self, is_free: impl Fn(u32) -> bool) -> u32 {
        let mut reaped = 0;
        while self.in_flight > 0 && is_free(self.tail) {
            self.tail = self.next(self.tail);
            self.in_flight -= 1;
            reaped += 1;
        }
        reaped
    }

    /// The next slot to fill (room must be > 0), now counted in flight,
    /// and whether `template` must be written into it.
    pub fn take(&mut self, template: u32) -> (u32, bool) {
        debug_assert!(self.room() > 0, "no free slot");
        let slot = self.head;
        self.head = self.next(self.head);
        self.in_flight += 1;
        let held = &mut self.holds[slot as usize];
        let write = *held != template;
        *held = template;
        (slot, write)
    }
}

/// What a thread varies its packets by: the session's sequence, claimed
/// batch by batch, and its writer.
pub struct PacketVariants<'a> {
    pub claims: &'a SequenceClaims,
    pub writer: VariantWriter<'a>,
    pub sent: TemplateCounts,
}

/// Everything one packet-engine transmit thread needs.
pub struct PacketLoop<'a, R: FrameRing, C: Clock> {
    pub ring: R,
    pub frames: &'a [Vec<u8>],
    pub schedule: &'a Schedule,
    /// When the templates vary; else the thread replays the schedule from
    /// its start.
    pub variants: Option<PacketVariants<'a>>,
    pub batch: u32,
    pub gate: Gate<'a, C>,
    pub counters: &'a QueueCounters,
}

impl<R: FrameRing, C: Clock> PacketLoop<'_, R, C> {
    pub fn run(mut self) -> LoopEnd {
        let mut local = LocalCounters::default();
        let mut ledger = SlotLedger::new(self.ring.slots());
        let mut walk: MixWalk<'_> = self.schedule.walk_from(0);
        // The last slot submitted: while the kernel has not taken it, a
        // flush is owed.
        let mut last_submitted = None;
        let mut end = LoopEnd::Finished;

        loop {
            let ring = &self.ring;
            local.completions += u64::from(ledger.reap(|slot| ring.is_free(slot)));
            let owes_flush = last_submitted.is_some_and(|slot| self.ring.is_submitted(slot));
            let room = self.batch.min(ledger.room());
            if room == 0 {
                local.ring_full += 1;
            }
            match self.gate.poll(room) {
                Admit::End => break,
                Admit::Wait(ns) => {
                    if owes_flush {
                        if let Err(errno) = self.flush(&mut local) {
                            end = failed(errno);
                            break;
                        }
                    }
                    local.publish(self.counters, self.gate.lag());
                    self.gate.pause(ns);
                    continue;
                }
                Admit::Send(0) => {
                    if owes_flush {
                        if let Err(errno) = self.flush(&mut local) {
                            end = failed(errno);
                            break;
                        }
                    } else {
                        // Every slot is being sent: wait for the kernel.
                        std::hint::spin_loop();
                    }
                }
                Admit::Send(count) => {
                    if let Some(variants) = &mut self.variants {
                        variants.writer.read_stamp_clock();
                        walk = self.schedule.walk_from(variants.claims.claim(count));
                    }
                    for (template, variant) in walk.by_ref().take(count as usize) {
                        let frame = &self.frames[template as usize];
                        let (slot, write) = ledger.take(template);
                        if write {
                            self.ring.write(slot, frame);
                        }
                        if let Some(variants) = &mut self.variants {
                            let slot_frame = self.ring.frame_mut(slot, frame.len());
                            variants.writer.apply(template, variant, slot_frame);
                            variants.sent.count(template);
                        }
                        self.ring.submit(slot);
                        last_submitted = Some(slot);
                    }
                    local.packets += u64::from(count);
                    local.batches += 1;
                    self.gate.sent(count);
                    // The kernel sends them in the flush.
                    local.publish(self.counters, self.gate.lag());
                    if let Err(errno) = self.flush(&mut local) {
                        end = failed(errno);
                        break;
                    }
                }
            }
            self.publish(&local);
        }

        if end == LoopEnd::Finished {
            if let Err(errno) = self.drain(&mut local, &mut ledger, last_submitted) {
                end = failed(errno);
            }
        }
        self.publish(&local);
        end
    }

    fn publish(&self, local: &LocalCounters) {
        local.publish(self.counters, self.gate.lag());
        if let Some(variants) = &self.variants {
            variants.sent.publish(self.counters);
        }
    }

    /// Flushes what is still submitted and waits until the kernel handed
    /// every slot back (or the drain timeout).
    fn drain(
        &mut self,
        local: &mut LocalCounters,
        ledger: &mut SlotLedger,
        last_submitted: Option<u32>,
    ) -> Result<(), i32> {
        let started = self.gate.clock.now_ns();
        while ledger.in_flight() > 0 && self.gate.clock.now_ns() - started < DRAIN_TIMEOUT_NS {
            if last_submitted.is_some_and(|slot| self.ring.is_submitted(slot)) {
                self.flush(local)?;
            }
            let ring = &self.ring;
            let reaped = ledger.reap(|slot| ring.is_free(slot));
            local.completions += u64::from(reaped);
            if reaped == 0 {
                std::hint::spin_loop();
            }
        }
        Ok(())
    }

    #[inline]
    fn flush(&mut self, local: &mut LocalCounters) -> Result<(), i32> {
        local.kicks += 1;
        match self.ring.flush() {
            Flush::Done => Ok(()),
            Flush::Failed(errno) => {
                local.errors += 1;
                Err(errno)
            }
        }
    }
}

fn failed(errno: i32) -> LoopEnd {
    LoopEnd::Failed {
        action: "send",
        errno,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::tests::{chained, range, udp4};
    use crate::fields::{FieldOp, FieldProgram};
    use crate::gate::PacketBudget;
    use crate::schedule::Schedule;
    use crate::stamp::site::{assert_sent, test_stamping};
    use crate::variants::{SequenceClaims, TemplateCounts, VariantWriter};
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicBool, Ordering};

    const FREE: u8 = 0;
    const SUBMITTED: u8 = 1;
    const SENDING: u8 = 2;

    /// A kernel that takes at most `take_per_flush` submitted slots per
    /// send() (a full send buffer) and hands a sent slot back only after
    /// `hand_back_after` polls of its status (the receiver's delay).
    struct SimRing {
        status: RefCell<Vec<u8>>,
        data: Vec<Vec<u8>>,
        kernel_head: usize,
        sending: RefCell<VecDeque<(usize, u32)>>,
        polls: Cell<u32>,
        take_per_flush: usize,
        hand_back_after: u32,
        wire: Vec<u8>,
        wire_frames: Vec<Vec<u8>>,
        writes: usize,
    }

    impl SimRing {
        fn new(slots: usize, take_per_flush: usize, hand_back_after: u32) -> SimRing {
            SimRing {
                status: RefCell::new(vec![FREE; slots]),
                data: vec![Vec::new(); slots],
                kernel_head: 0,
                sending: RefCell::new(VecDeque::new()),
                polls: Cell::new(0),
                take_per_flush,
                hand_back_after,
                wire: Vec::new(),
                wire_frames: Vec::new(),
                writes: 0,
            }
        }
    }

    impl FrameRing for &mut SimRing {
        fn slots(&self) -> u32 {
            self.data.len() as u32
        }
        fn is_free(&self, slot: u32) -> bool {
            let now = self.polls.get() + 1;
            self.polls.set(now);
            let mut sending = self.sending.borrow_mut();
            while let Some(&(sent_slot, at)) = sending.front() {
                if now - at < self.hand_back_after {
                    break;
                }
                self.status.borrow_mut()[sent_slot] = FREE;
                sending.pop_front();
            }
            self.status.borrow()[slot as usize] == FREE
        }
        fn is_submitted(&self, slot: u32) -> bool {
            self.status.borrow()[slot as usize] == SUBMITTED
        }
        fn write(&mut self, slot: u32, frame: &[u8]) {
            assert_eq!(self.status.borrow()[slot as usize], FREE);
            self.data[slot as usize] = frame.to_vec();
            self.writes += 1;
        }
        fn frame_mut(&mut self, slot: u32, len: usize) -> &mut [u8] {
            assert_eq!(self.status.borrow()[slot as usize], FREE);
            &mut self.data[slot as usize][..len]
        }
        fn submit(&mut self, slot: u32) {
            self.status.borrow_mut()[slot as usize] = SUBMITTED;
        }
        fn flush(&mut self) -> Flush {
            for _ in 0..self.take_per_flush {
                let slot = self.kernel_head;
                if self.status.borrow()[slot] != SUBMITTED {
                    break;
                }
                self.status.borrow_mut()[slot] = SENDING;
                self.wire.push(self.data[slot][0]);
                self.wire_frames.push(self.data[slot].clone());
                self.sending
                    .borrow_mut()
                    .push_back((slot, self.polls.get()));
                self.kernel_head = (slot + 1) % self.data.len();
            }
            Flush::Done
        }
    }

    struct StillClock;

    impl Clock for StillClock {
        fn now_ns(&self) -> u64 {
            0
        }
        fn sleep_ns(&self, _ns: u64) {}
    }

    /// Sends `count` packets of templates A (0xa…) and B (0xb…) mixed 3:1.
    fn send(ring: &mut SimRing, batch: u32, count: u64) -> (LoopEnd, u64, u64) {
        let frames = vec![vec![0xa; 60], vec![0xb; 60]];
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let stop = AtomicBool::new(false);
        let budget = PacketBudget::new(count);
        let counters = QueueCounters::default();
        let end = PacketLoop {
            ring,
            frames: &frames,
            schedule: &schedule,
            variants: None,
            batch,
            gate: Gate::new(StillClock, None, Some(&budget), None, &stop),
            counters: &counters,
        }
        .run();
        (
            end,
            counters.packets.load(Ordering::Relaxed),
            counters.completions.load(Ordering::Relaxed),
        )
    }

    fn expected_wire(count: usize) -> Vec<u8> {
        [0xa, 0xa, 0xb, 0xa]
            .iter()
            .copied()
            .cycle()
            .take(count)
            .collect()
    }

    #[test]
    fn frames_follow_the_schedule_and_slots_are_written_once() {
        let mut ring = SimRing::new(16, usize::MAX, 1);
        let (end, packets, completions) = send(&mut ring, 8, 1_001);
        assert_eq!(end, LoopEnd::Finished);
        assert_eq!((packets, completions), (1_001, 1_001));
        assert_eq!(ring.wire, expected_wire(1_001));
        // 16 slots hold 4 whole periods: each slot keeps its template.
        assert_eq!(ring.writes, 16);
    }

    #[test]
    fn a_ring_of_partial_periods_rewrites_slots() {
        let mut ring = SimRing::new(6, usize::MAX, 1);
        let (_, packets, _) = send(&mut ring, 3, 600);
        assert_eq!(packets, 600);
        assert_eq!(ring.wire, expected_wire(600));
        assert!(ring.writes > 6);
    }

    #[test]
    fn a_slow_kernel_fills_the_ring_but_loses_nothing() {
        // The kernel takes 5 slots per send() and hands each back only
        // after 40 status polls.
        let mut ring = SimRing::new(16, 5, 40);
        let (end, packets, completions) = send(&mut ring, 8, 5_000);
        assert_eq!(end, LoopEnd::Finished);
        assert_eq!((packets, completions), (5_000, 5_000));
        assert_eq!(ring.wire, expected_wire(5_000));
    }

    #[test]
    fn the_ledger_hands_slots_out_in_ring_order() {
        let mut ledger = SlotLedger::new(4);
        assert_eq!(ledger.take(0), (0, true));
        assert_eq!(ledger.take(0), (1, true));
        assert_eq!(ledger.take(1), (2, true));
        assert_eq!(ledger.room(), 1);
        // Only the oldest slots count as handed back, in order.
        assert_eq!(ledger.reap(|slot| slot == 1), 0);
        assert_eq!(ledger.reap(|slot| slot <= 1), 2);
        assert_eq!(ledger.room(), 3);
        assert_eq!(ledger.take(0), (3, true));
        // Slot 0 still holds template 0.
        assert_eq!(ledger.take(0), (0, false));
        assert_eq!(ledger.in_flight(), 3);
    }

    /// Sends 2,500 packets as two threads one after the other, sharing the
    /// sequence, and checks every frame on the wire against the core's
    /// rendering of its variant (and, stamped, its stamp).
    fn check_varied_slots(stamped: bool) {
        // Template 0 varies its UDP source port over 100 values and, chained,
        // its source address over 10; the fixed template 1 is mixed in 3:1.
        let (program, base) = FieldProgram::compile(
            &udp4(),
            &[
                range(34, 2, FieldOp::Inc, 1_000, 1_099),
                chained(range(26, 4, FieldOp::Inc, 0x0a00_0001, 0x0a00_000a)),
            ],
            None,
        )
        .unwrap();
        let frames = vec![base.clone(), udp4()];
        let programs = vec![program.clone(), FieldProgram::none()];
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let claims = SequenceClaims::default();
        let stamping = stamped.then(|| test_stamping(&frames, &programs));
        let mut wire = Vec::new();
        for thread_budget in [1_001, 1_499] {
            // A ring of 6 slots holds partial periods: slots change templates.
            let mut ring = SimRing::new(6, 4, 3);
            let stop = AtomicBool::new(false);
            let budget = PacketBudget::new(thread_budget);
            let counters = QueueCounters::counting_templates(2);
            let end = PacketLoop {
                ring: &mut ring,
                frames: &frames,
                schedule: &schedule,
                variants: Some(PacketVariants {
                    claims: &claims,
                    writer: VariantWriter::new(&programs, stamping.as_ref()),
                    sent: TemplateCounts::new(2),
                }),
                batch: 4,
                gate: Gate::new(StillClock, None, Some(&budget), None, &stop),
                counters: &counters,
            }
            .run();
            assert_eq!(end, LoopEnd::Finished);
            let per_template: Vec<u64> = counters
                .per_template
                .iter()
                .map(|count| count.load(Ordering::Relaxed))
                .collect();
            assert_eq!(per_template.iter().sum::<u64>(), thread_budget);
            wire.extend(ring.wire_frames);
        }
        assert_eq!(wire.len(), 2_500);
        let varied = program.render(&base, 0, 1_875);
        for (position, ((template, variant), sent)) in schedule.walk_from(0).zip(&wire).enumerate()
        {
            let want = match template {
                0 => &varied[variant as usize],
                _ => &frames[1],
            };
            assert_sent(
                sent,
                want,
                stamping.as_ref(),
                (template, variant),
                &format!("packet {position}"),
            );
        }
    }

    #[test]
    fn varied_slots_carry_each_packets_variant_and_threads_share_the_sequence() {
        check_varied_slots(false);
    }

    #[test]
    fn stamped_slots_number_each_templates_packets_across_threads() {
        check_varied_slots(true);
    }
}
