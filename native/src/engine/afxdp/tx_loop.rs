//! The AF_XDP engine's transmit loop. Each pass reaps the completion ring,
//! asks the gate how many may go, has the frame source prepare that many
//! descriptors, writes them into the TX ring, and kicks the kernel only
//! when the ring needs it. No allocation, no lock, no syscall but the kick.

use xdpilone::xdp::XdpDesc;

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
    /// Releases completed descriptors, giving each frame's address to
    /// `completed`; how many.
    fn reap(&mut self, completed: impl FnMut(u64)) -> u32;
    /// A UMEM frame the kernel does not own, to write a packet into.
    fn frame_mut(&mut self, index: u32) -> &mut [u8];
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
    fn reap(&mut self, completed: impl FnMut(u64)) -> u32 {
        XskTx::reap(self, completed)
    }
    #[inline]
    fn frame_mut(&mut self, index: u32) -> &mut [u8] {
        XskTx::frame_mut(self, index)
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

/// Where the descriptors come from: UMEM frames written once with the
/// templates (frames.rs), or frames rewritten with each packet's variant
/// (variant_frames.rs).
pub trait FrameSource {
    /// Descriptors for up to `want` packets, their frames written in
    /// `queue`'s UMEM; fewer when frames are short. What an earlier call
    /// prepared and the ring did not take comes first.
    fn prepare<Q: TxQueue>(&mut self, queue: &mut Q, want: u32) -> &[XdpDesc];
    /// The ring took the first `taken` descriptors prepared.
    fn taken(&mut self, taken: u32);
    /// The kernel is done with the frame at `addr`.
    fn completed(&mut self, addr: u64);
    /// Publishes what the source counts itself (per-template counts).
    fn publish(&self, counters: &QueueCounters);
}

/// Everything one AF_XDP transmit thread needs.
pub struct XskLoop<'a, Q: TxQueue, S: FrameSource, C: Clock> {
    pub socket: Q,
    pub frames: S,
    pub batch: u32,
    pub gate: Gate<'a, C>,
    pub counters: &'a QueueCounters,
}

impl<Q: TxQueue, S: FrameSource, C: Clock> XskLoop<'_, Q, S, C> {
    pub fn run(mut self) -> LoopEnd {
        let mut local = LocalCounters::default();
        let mut in_flight = 0u32;
        let mut end = LoopEnd::Finished;

        loop {
            let frames = &mut self.frames;
            let completed = self.socket.reap(|addr| frames.completed(addr));
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
                    let descriptors = self.frames.prepare(&mut self.socket, want);
                    let ready = descriptors.len() as u32;
                    // A zero-copy driver may send as soon as the ring's
                    // producer moves.
                    local.publish_ahead(self.counters, ready);
                    let sent = self.socket.submit(descriptors);
                    if sent < want {
                        local.ring_full += 1;
                    }
                    if sent > 0 {
                        self.frames.taken(sent);
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
            self.frames.publish(self.counters);
            if let Some(ns) = wait_ns {
                self.gate.pause(ns);
            }
        }

        if end == LoopEnd::Finished {
            self.drain(&mut local, in_flight);
        }
        local.publish(self.counters, self.gate.lag());
        self.frames.publish(self.counters);
        end
    }

    /// Waits until every submitted frame completed (or the drain timeout).
    fn drain(&mut self, local: &mut LocalCounters, mut in_flight: u32) {
        let started = self.gate.clock.now_ns();
        while in_flight > 0 && self.gate.clock.now_ns() - started < DRAIN_TIMEOUT_NS {
            let frames = &mut self.frames;
            let completed = self.socket.reap(|addr| frames.completed(addr));
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
    use crate::engine::afxdp::frames::{FixedFrames, FrameLayout};
    use crate::engine::afxdp::prerendered_frames::{PrerenderedFrames, VariantLayout};
    use crate::engine::afxdp::variant_frames::{VariantFrames, POOL_FRAMES};
    use crate::fields::tests::{range, udp4};
    use crate::fields::{FieldOp, FieldProgram};
    use crate::gate::{Gate, PacketBudget};
    use crate::plan::Stamping;
    use crate::schedule::Schedule;
    use crate::stamp::site::{assert_sent, test_stamping};
    use crate::variants::SequenceClaims;
    use std::cell::Cell;
    use std::sync::atomic::AtomicBool;

    /// A kernel that sends what is in the ring on each kick (copying each
    /// frame off the UMEM), completing it at once, and fails the kick
    /// numbered `fail_kick` with EIO.
    struct SimQueue {
        in_ring: Vec<XdpDesc>,
        completed: Vec<u64>,
        umem: Vec<u8>,
        wire: Vec<u64>,
        wire_frames: Vec<Vec<u8>>,
        kicks: u32,
        fail_kick: Option<u32>,
    }

    const SIM_FRAME_SIZE: usize = 2048;

    impl SimQueue {
        fn new(fail_kick: Option<u32>, frames: usize) -> SimQueue {
            SimQueue {
                in_ring: Vec::new(),
                completed: Vec::new(),
                umem: vec![0; frames * SIM_FRAME_SIZE],
                wire: Vec::new(),
                wire_frames: Vec::new(),
                kicks: 0,
                fail_kick,
            }
        }
    }

    impl TxQueue for &mut SimQueue {
        fn submit(&mut self, descriptors: &[XdpDesc]) -> u32 {
            let room = RING_SIZE as usize - self.in_ring.len();
            let taken = descriptors.len().min(room);
            self.in_ring.extend_from_slice(&descriptors[..taken]);
            taken as u32
        }
        fn reap(&mut self, mut completed: impl FnMut(u64)) -> u32 {
            let count = self.completed.len() as u32;
            for addr in self.completed.drain(..) {
                completed(addr);
            }
            count
        }
        fn frame_mut(&mut self, index: u32) -> &mut [u8] {
            let start = index as usize * SIM_FRAME_SIZE;
            &mut self.umem[start..start + SIM_FRAME_SIZE]
        }
        fn wants_kick(&self) -> bool {
            !self.in_ring.is_empty()
        }
        fn kick(&mut self) -> Kick {
            self.kicks += 1;
            if self.fail_kick == Some(self.kicks) {
                return Kick::Failed(libc::EIO);
            }
            for descriptor in self.in_ring.drain(..) {
                let start = descriptor.addr as usize;
                self.wire.push(descriptor.addr);
                self.wire_frames
                    .push(self.umem[start..start + descriptor.len as usize].to_vec());
                self.completed.push(descriptor.addr);
            }
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

    fn run_loop<S: FrameSource>(
        queue: &mut SimQueue,
        frames: S,
        budget: &PacketBudget,
        counters: QueueCounters,
    ) -> (LoopEnd, QueueCounters) {
        let stop = AtomicBool::new(false);
        let gate = Gate::new(TickingClock(Cell::new(0)), None, Some(budget), None, &stop);
        let end = XskLoop {
            socket: queue,
            frames,
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
        let mut queue = SimQueue::new(None, 64);
        let budget = PacketBudget::new(10_001);
        let (end, counters) = run_loop(
            &mut queue,
            FixedFrames::new(&layout),
            &budget,
            QueueCounters::default(),
        );
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
        let mut queue = SimQueue::new(Some(3), 64);
        let budget = PacketBudget::new(1_000_000);
        let (end, counters) = run_loop(
            &mut queue,
            FixedFrames::new(&layout),
            &budget,
            QueueCounters::default(),
        );
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

    /// A 3:1 mix whose template 0 varies its UDP destination port over
    /// 1,000 values.
    struct VariedMix {
        frames: Vec<Vec<u8>>,
        programs: Vec<FieldProgram>,
        schedule: Schedule,
        claims: SequenceClaims,
    }

    fn varied_mix() -> VariedMix {
        let (program, base) =
            FieldProgram::compile(&udp4(), &[range(36, 2, FieldOp::Inc, 20_000, 20_999)], None)
                .unwrap();
        VariedMix {
            frames: vec![base, udp4()],
            programs: vec![program, FieldProgram::none()],
            schedule: Schedule::new(&[3, 1]).unwrap(),
            claims: SequenceClaims::default(),
        }
    }

    /// Sends 2,500 packets of `mix` as two threads one after the other,
    /// claiming from one sequence, each through a frame source `source`
    /// makes on a UMEM `fill` prepared; checks every frame on the wire
    /// against the core's rendering of its variant, and the per-template
    /// counts.
    fn check_varied_frames<S: FrameSource>(
        mix: &VariedMix,
        source: impl Fn() -> S,
        umem_frames: usize,
        fill: impl Fn(&mut SimQueue),
        stamping: Option<&Stamping>,
    ) {
        let mut wire = Vec::new();
        let mut per_template = vec![0u64; 2];
        for thread_budget in [1_000, 1_500] {
            let mut queue = SimQueue::new(None, umem_frames);
            fill(&mut queue);
            let (end, counters) = run_loop(
                &mut queue,
                source(),
                &PacketBudget::new(thread_budget),
                QueueCounters::counting_templates(2),
            );
            assert_eq!(end, LoopEnd::Finished);
            for (total, counted) in per_template.iter_mut().zip(&counters.per_template) {
                *total += counted.load(std::sync::atomic::Ordering::Relaxed);
            }
            wire.extend(queue.wire_frames);
        }
        assert_eq!(wire.len(), 2_500);
        assert_eq!(per_template, vec![1_875, 625]);
        let varied = mix.programs[0].render(&mix.frames[0], 0, 1_875);
        for (position, ((template, variant), sent)) in
            mix.schedule.walk_from(0).zip(&wire).enumerate()
        {
            let want = match template {
                0 => &varied[variant as usize],
                _ => &mix.frames[1],
            };
            assert_sent(
                sent,
                want,
                stamping,
                (template, variant),
                &format!("packet {position}"),
            );
        }
    }

    /// Rewritten frames, stamped or not, through check_varied_frames.
    fn check_rewritten_frames(stamped: bool) {
        let mix = varied_mix();
        let stamping = stamped.then(|| test_stamping(&mix.frames, &mix.programs));
        check_varied_frames(
            &mix,
            || {
                VariantFrames::new(
                    &mix.frames,
                    &mix.programs,
                    stamping.as_ref(),
                    &mix.schedule,
                    &mix.claims,
                    2048,
                )
            },
            POOL_FRAMES as usize,
            |_| {},
            stamping.as_ref(),
        );
    }

    #[test]
    fn rewritten_frames_carry_each_packets_variant_and_threads_share_the_sequence() {
        check_rewritten_frames(false);
    }

    #[test]
    fn stamped_frames_number_each_templates_packets_across_threads() {
        check_rewritten_frames(true);
    }

    #[test]
    fn prerendered_frames_carry_each_packets_variant_and_threads_share_the_sequence() {
        let mix = varied_mix();
        let layout = VariantLayout::fitting(&mix.programs).unwrap();
        assert_eq!(layout.frames(), 1_001);
        check_varied_frames(
            &mix,
            || PrerenderedFrames::new(&layout, &mix.frames, &mix.schedule, &mix.claims, 2048),
            layout.frames() as usize,
            |mut queue| {
                for (frame, variant) in layout.variants(&mix.frames, &mix.programs).enumerate() {
                    queue.frame_mut(frame as u32)[..variant.len()].copy_from_slice(&variant);
                }
            },
            None,
        );
    }
    #[test]
    fn variants_beyond_the_umem_budget_or_random_are_not_prerendered() {
        let (ports, _) =
            FieldProgram::compile(&udp4(), &[range(36, 2, FieldOp::Inc, 1, 65_535)], None).unwrap();
        assert!(VariantLayout::fitting(&[ports]).is_none());
        let (random, _) =
            FieldProgram::compile(&udp4(), &[range(36, 2, FieldOp::Random, 1, 10)], None).unwrap();
        assert!(VariantLayout::fitting(std::slice::from_ref(&random)).is_none());
        let (capped, _) =
            FieldProgram::compile(&udp4(), &[range(36, 2, FieldOp::Random, 1, 10)], Some(100))
                .unwrap();
        assert_eq!(VariantLayout::fitting(&[capped]).unwrap().frames(), 100);
    }
}
