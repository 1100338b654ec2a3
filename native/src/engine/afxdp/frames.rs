//! Where the templates live in a socket's UMEM and which descriptor the TX
//! ring gets for every slot of the mix.
//!
//! Every template is written into several UMEM frames once, before the first
//! packet; the frames are never written again, so a frame may be in flight
//! several times at once (the kernel only reads it) and the hot loop never
//! waits for a completion to reuse one. The descriptor sequence replays the
//! schedule and rotates each template over its copies; it is extended by one
//! batch so that any batch is one contiguous slice.

use xdpilone::xdp::XdpDesc;

use crate::engine::afxdp::tx_loop::{FrameSource, TxQueue};
use crate::schedule::Schedule;
use crate::stats::QueueCounters;

/// Largest UMEM frame: AF_XDP frames cannot exceed a page.
pub const MAX_UMEM_FRAME_SIZE: u32 = 4096;
/// The smaller UMEM frame, for templates that fit it.
const SMALL_UMEM_FRAME_SIZE: u32 = 2048;

/// UMEM frames a socket aims for in total (split over the templates). Few
/// frames stay in the cache and TLB while the kernel copies them (copy
/// mode): on the veth lab 64 frames sent 5–10 % more 64-byte packets per
/// second than 4096.
const FRAMES_PER_SOCKET: usize = 64;

/// The UMEM layout and descriptor sequence shared by all threads of a
/// session (each thread has its own UMEM with this same layout).
#[derive(Debug, Clone)]
pub struct FrameLayout {
    frame_size: u32,
    /// Template written into each UMEM frame.
    frame_templates: Vec<u32>,
    /// One descriptor per slot of the replayed mix, then `max_batch` more
    /// that repeat its start.
    descriptors: Vec<XdpDesc>,
    cycle: usize,
}

/// The UMEM frame size that holds the largest of `frame_lengths`
/// (each at most [`MAX_UMEM_FRAME_SIZE`]).
pub fn umem_frame_size(frame_lengths: &[u32]) -> u32 {
    let largest = frame_lengths.iter().copied().max().unwrap_or(0);
    if largest <= SMALL_UMEM_FRAME_SIZE {
        SMALL_UMEM_FRAME_SIZE
    } else {
        MAX_UMEM_FRAME_SIZE
    }
}

impl FrameLayout {
    /// `frame_lengths` are the padded lengths of the templates; the largest
    /// must fit `frame_size`.
    pub fn new(
        schedule: &Schedule,
        frame_lengths: &[u32],
        frame_size: u32,
        max_batch: usize,
    ) -> FrameLayout {
        let templates = schedule.template_count();
        let copies = (FRAMES_PER_SOCKET / templates).max(1);
        let frame_templates = (0..templates)
            .flat_map(|template| std::iter::repeat_n(template as u32, copies))
            .collect();

        let period = schedule.period();
        let cycle = period * FRAMES_PER_SOCKET.div_ceil(period);
        let mut uses = vec![0usize; templates];
        let mut descriptors = Vec::with_capacity(cycle + max_batch);
        for slot in 0..cycle {
            let template = schedule.order()[slot % period] as usize;
            let frame = template * copies + uses[template] % copies;
            uses[template] += 1;
            descriptors.push(XdpDesc {
                addr: frame as u64 * u64::from(frame_size),
                len: frame_lengths[template],
                options: 0,
            });
        }
        for slot in 0..max_batch {
            descriptors.push(descriptors[slot % cycle]);
        }
        FrameLayout {
            frame_size,
            frame_templates,
            descriptors,
            cycle,
        }
    }

    pub fn frame_size(&self) -> u32 {
        self.frame_size
    }

    /// Template held by each UMEM frame, in frame order.
    pub fn frame_templates(&self) -> &[u32] {
        &self.frame_templates
    }

    /// Slots before the descriptor sequence repeats.
    pub fn cycle(&self) -> usize {
        self.cycle
    }

    /// `count` (≤ max_batch) descriptors starting at `position` (< cycle).
    #[inline]
    pub fn descriptors(&self, position: usize, count: usize) -> &[XdpDesc] {
        &self.descriptors[position..position + count]
    }
}

/// The frame source of a plan whose templates do not vary: one thread's
/// place in the layout's descriptor sequence.
pub struct FixedFrames<'a> {
    layout: &'a FrameLayout,
    position: usize,
}

impl<'a> FixedFrames<'a> {
    pub fn new(layout: &'a FrameLayout) -> FixedFrames<'a> {
        FixedFrames {
            layout,
            position: 0,
        }
    }
}

impl FrameSource for FixedFrames<'_> {
    #[inline]
    fn prepare<Q: TxQueue>(&mut self, _queue: &mut Q, want: u32) -> &[XdpDesc] {
        self.layout.descriptors(self.position, want as usize)
    }

    #[inline]
    fn taken(&mut self, taken: u32) {
        self.position += taken as usize;
        if self.position >= self.layout.cycle() {
            self.position -= self.layout.cycle();
        }
    }

    #[inline]
    fn completed(&mut self, _addr: u64) {}

    fn publish(&self, _counters: &QueueCounters) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_size_holds_the_largest_template() {
        assert_eq!(umem_frame_size(&[60, 1514]), 2048);
        assert_eq!(umem_frame_size(&[60, 2049]), 4096);
    }

    #[test]
    fn descriptors_follow_the_schedule_and_rotate_copies() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let layout = FrameLayout::new(&schedule, &[60, 1514], 2048, 64);
        let copies = FRAMES_PER_SOCKET / 2;
        assert_eq!(layout.frame_templates().len(), FRAMES_PER_SOCKET);
        assert_eq!(layout.frame_templates()[copies - 1], 0);
        assert_eq!(layout.frame_templates()[copies], 1);
        assert_eq!(layout.cycle() % schedule.period(), 0);

        let first = layout.descriptors(0, 4);
        let frames: Vec<u64> = first.iter().map(|d| d.addr / 2048).collect();
        assert_eq!(frames, vec![0, 1, copies as u64, 2]);
        let lengths: Vec<u32> = first.iter().map(|d| d.len).collect();
        assert_eq!(lengths, vec![60, 60, 1514, 60]);
    }

    #[test]
    fn a_batch_at_the_end_of_the_cycle_wraps_into_its_start() {
        let schedule = Schedule::new(&[1]).unwrap();
        let layout = FrameLayout::new(&schedule, &[60], 2048, 64);
        let cycle = layout.cycle();
        let tail = layout.descriptors(cycle - 1, 64);
        let frames = FRAMES_PER_SOCKET as u64;
        assert_eq!(tail[0].addr, (cycle as u64 - 1) % frames * 2048);
        assert_eq!(tail[1].addr, 0);
        assert_eq!(tail[63].addr, 62 % frames * 2048);
    }

    #[test]
    fn many_templates_get_one_frame_each() {
        let weights = vec![1; FRAMES_PER_SOCKET + 10];
        let schedule = Schedule::new(&weights).unwrap();
        let lengths = vec![60; weights.len()];
        let layout = FrameLayout::new(&schedule, &lengths, 2048, 64);
        assert_eq!(layout.frame_templates().len(), weights.len());
        assert_eq!(layout.cycle(), weights.len());
    }
}
