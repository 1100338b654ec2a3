//! The xdp engine: BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (Linux ≥ 5.18),
//! the mechanism of xdp-trafficgen. Each call hands the kernel one template
//! (`data_in`) and a repeat count; the kernel copies the template into live
//! frames, runs bpf/xdp_live_tx.c on them, and the program redirects each to
//! the target interface's driver.
//!
//! The frames of one call are all copies of one template, so the mix is
//! followed call by call: every slot of the schedule is a run of
//! [`run_length`] packets (schedule.rs), and a call never crosses a run.
//! Threads count what they send per template. A packet count is split over
//! the templates up front ([`TemplateQuotas`]): each gets exactly its share
//! of the count (what the first `count` packets of the per-packet mix hold),
//! so 3:1 over 1 000 000 is 750 000 and 250 000 however the runs fall.
//!
//! A template with fields is varied by the program (bpf/xdp_live_tx.c),
//! which finds the template's field program in a map: each call hands it
//! the variant index of its first frame, claimed from the template's
//! shared cursor, so threads send disjoint slices of one sequence. A
//! template whose variants repeat has them rendered at start (patches.rs),
//! and the program copies them rather than computing the fields.
//!
//! A stamped run (plan.stamping) has the program write every frame's stamp
//! (stamps.rs): all templates, those without fields too, then go with
//! metadata, and the stamp's seq is the frame's place in its template's
//! claimed sequence, so threads send disjoint, gap-free numbers.
//!
//! For the run, the program is attached to the target (natively, else
//! generically; see the BPF source for why), and two tracing programs count
//! what the target's driver took and dropped. All three are removed when the
//! last thread ends.

pub mod patches;
pub mod stamps;
pub mod tx_loop;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aya::maps::{MapData, PerCpuArray};
use aya::programs::tp_btf::BtfTracePointLink;
use aya::programs::xdp::XdpLink;
use aya::programs::{BtfTracePoint, Xdp, XdpMode};
use aya::{Btf, Ebpf, EbpfLoader};

use crate::engine::{LoopContext, ThreadSender, TxEngine};
use crate::error::{Error, ErrorKind, Result, Setting};
use crate::fields::FieldProgram;
use crate::gate::{LoopEnd, PacketBudget};
use crate::kernel::bpf::{self, load_xdp, XmitCountsValue};
use crate::kernel::device::device_info;
use crate::kernel::field_maps::{fill_field_maps, size_field_maps, PatchPlacement};
use crate::kernel::netlink;
use crate::kernel::stamp_maps::{configure_stamps, fill_stamp_sites};
use crate::kernel::veth;
use crate::pacer::Pacer;
use crate::plan::{Stamping, TxPlan};
use crate::probe::{redirect_target, ProbePrograms};
use crate::schedule::Schedule;
use crate::stats::TxStats;
use patches::{place_patches, write_patches};
use tx_loop::LiveLoop;

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_live_tx.o"));
const PROGRAM: &str = "xdperf_live_tx";
const TRACEPOINTS: [(&str, &str); 2] = [
    ("xdperf_devmap_xmit", "xdp_devmap_xmit"),
    ("xdperf_redirect_err", "xdp_redirect_err"),
];
const COUNTS_MAP: &str = "xdperf_xmit_counts";
const TARGET_GLOBAL: &str = "target_ifindex";
const TGID_GLOBAL: &str = "sender_tgid";
/// How long a driver may take to bring the link back after the attach.
const CARRIER_TIMEOUT: Duration = Duration::from_secs(10);
const CARRIER_POLL: Duration = Duration::from_millis(10);
/// The engines that send where this one cannot.
const OTHER_ENGINES: &[&str] = &["afxdp", "packet"];

/// Frames per call when unpaced. A call costs ~40 µs besides its frames
/// (the kernel sets up and tears down a page pool per call); 4096 frames
/// take ~0.75–1 ms at the 4–5.5 Mpps one core redirects to a veth here, so
/// the call overhead stays ~5 % and stop, deadline and count are checked
/// about every millisecond.
pub const UNPACED_REPEAT: u32 = 4096;

/// Frames per call and per template run: the pacer's quantum when paced
/// (each grant becomes one call, ≥ 2000 a second), else [`UNPACED_REPEAT`].
pub fn run_length(thread_rate_milli_pps: Option<u64>) -> u32 {
    match thread_rate_milli_pps {
        Some(rate) => Pacer::quantum_for(rate, UNPACED_REPEAT),
        None => UNPACED_REPEAT,
    }
}

/// A session's packet count split exactly over its templates, claimed by
/// all threads.
pub struct TemplateQuotas {
    quotas: Vec<PacketBudget>,
}

impl TemplateQuotas {
    /// Each template's share of `count`: its packets among the first
    /// `count` slots of the replayed per-packet period.
    pub fn new(schedule: &Schedule, count: u64) -> TemplateQuotas {
        let mut shares = vec![0; schedule.template_count()];
        schedule.add_template_counts(count, &mut shares);
        TemplateQuotas {
            quotas: shares.into_iter().map(PacketBudget::new).collect(),
        }
    }

    /// Claims up to `want` packets of `template`; 0 once its share is sent.
    #[inline]
    pub fn claim(&self, template: usize, want: u32) -> u32 {
        self.quotas[template].claim(want)
    }

    #[inline]
    pub fn is_spent(&self, template: usize) -> bool {
        self.quotas[template].is_spent()
    }
}

/// What the target's driver did with the redirected frames, over all CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XmitCounts {
    /// Frames the driver accepted (ndo_xdp_xmit).
    pub sent: u64,
    /// Frames the driver refused (its ring full, the peer gone).
    pub dropped: u64,
    /// Redirects that failed before reaching the driver.
    pub redirect_errors: u64,
}

/// The links that exist only for the run.
struct Attachment {
    _target: XdpLink,
    _tracing: Vec<BtfTracePointLink>,
}

/// The loaded, attached transmit program of one session, and what its
/// threads share.
pub struct LiveTransmitter {
    ebpf: Ebpf,
    attachment: Mutex<Option<Attachment>>,
    counts: PerCpuArray<MapData, XmitCountsValue>,
    /// The last reading of `counts`, which a failed read gives instead:
    /// the counts only ever go up (they are Prometheus counters too).
    last_xmit: Mutex<XmitCounts>,
    threads_left: AtomicUsize,
    /// Per template, the variant index of the next frame any thread sends.
    variant_cursors: Vec<AtomicU64>,
    /// Per template, where its variants are pre-rendered, if they are.
    pub patches: Vec<Option<PatchPlacement>>,
    /// Packets per template run and call ([`run_length`]).
    pub run: u64,
    pub quotas: Option<TemplateQuotas>,
}

impl LiveTransmitter {
    /// Checks that the kernel takes every template as a live frame, loads
    /// the program for `plan`'s interface, attaches it there and checks the
    /// interface then accepts redirected frames.
    pub fn start(plan: &TxPlan, schedule: &Schedule) -> Result<LiveTransmitter> {
        let name = &plan.ifname;
        check_templates(&plan.frames)?;
        let facts = netlink::link_facts(plan.ifindex, None)
            .map_err(|errno| Error::from_errno(&format!("interface {name}"), errno))?;
        if let Some(program) = facts.xdp.describe() {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "interface {name}: an XDP program ({program}) is attached; the xdp engine attaches its own for the run (detach it)"
                ),
            )
            .instead(Setting::Engine, OTHER_ENGINES));
        }
        let subject = format!("interface {name}: XDP live-frames program");
        let stamping = plan.stamping.as_ref();
        let patches = place_patches(
            &plan.programs,
            &plan.frames,
            stamping.map(|stamping| &stamping.sites[..]),
        );
        let mut ebpf = load_object(
            plan.ifindex,
            &plan.programs,
            &plan.frames,
            &patches,
            stamping,
            plan.xdp_batch_size,
            plan.queues.len(),
            &subject,
        )?;
        let program: &mut Xdp = ebpf
            .program_mut(PROGRAM)
            .and_then(|program| program.try_into().ok())
            .expect("loaded in load_object");
        let target = attach_to_target(program, plan.ifindex, &subject)?;
        wait_for_carrier(name)?;
        check_redirect_target(plan, &facts)?;
        let tracing = attach_tracing(&mut ebpf, &subject)?;
        let counts = ebpf
            .take_map(COUNTS_MAP)
            .ok_or_else(|| Error::new(ErrorKind::Kernel, format!("{subject}: map missing")))?;
        let counts = PerCpuArray::try_from(counts)
            .map_err(|err| Error::from_source_chain(&format!("{subject}: map"), &err))?;
        Ok(LiveTransmitter {
            ebpf,
            attachment: Mutex::new(Some(Attachment {
                _target: target,
                _tracing: tracing,
            })),
            counts,
            last_xmit: Mutex::new(XmitCounts::default()),
            threads_left: AtomicUsize::new(plan.queues.len()),
            variant_cursors: plan.frames.iter().map(|_| AtomicU64::new(0)).collect(),
            patches,
            run: u64::from(run_length(plan.thread_rates.as_ref().map(|rates| rates[0]))),
            quotas: plan.count.map(|count| TemplateQuotas::new(schedule, count)),
        })
    }

    /// The program the threads run.
    pub fn program(&self) -> &Xdp {
        self.ebpf
            .program(PROGRAM)
            .and_then(|program| program.try_into().ok())
            .expect("loaded in start")
    }

    /// Claims the next `count` variants of `template` for one call: the
    /// variant index of its first frame.
    #[inline]
    pub fn claim_variants(&self, template: usize, count: u32) -> u64 {
        self.variant_cursors[template].fetch_add(u64::from(count), Ordering::Relaxed)
    }

    fn detach(&self) {
        let attachment = self
            .attachment
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        drop(attachment);
    }

    /// What the driver took and dropped so far (the last reading if the
    /// map cannot be read now).
    pub fn xmit_counts(&self) -> XmitCounts {
        let mut last = self
            .last_xmit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Ok(values) = self.counts.get(&0, 0) {
            *last = values
                .iter()
                .fold(XmitCounts::default(), |sum, v| XmitCounts {
                    sent: sum.sent + v.sent,
                    dropped: sum.dropped + v.dropped,
                    redirect_errors: sum.redirect_errors + v.redirect_errors,
                });
        }
        *last
    }
}

impl TxEngine for LiveTransmitter {
    fn open_sender(&self, _plan: &TxPlan, index: usize) -> Result<Box<dyn ThreadSender + '_>> {
        Ok(Box::new(LiveSender {
            transmitter: self,
            slot: index as u32,
        }))
    }

    /// The count is split over the templates ([`TemplateQuotas`]).
    fn shares_packet_budget(&self) -> bool {
        false
    }

    fn counts_templates(&self) -> bool {
        true
    }

    /// A call sends one pacer grant ([`run_length`]).
    fn max_quantum(&self, _plan: &TxPlan) -> u32 {
        self.run as u32
    }

    /// What the driver took and dropped: the engine's completions, and
    /// errors besides failed calls.
    fn complete_stats(&self, stats: &mut TxStats) {
        let xmit = self.xmit_counts();
        stats.completions = xmit.sent;
        stats.errors += xmit.dropped + xmit.redirect_errors;
    }

    /// The last thread to end removes the program from the interface, so
    /// no program is left attached even if the session is never waited for.
    fn thread_ended(&self) {
        if self.threads_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.detach();
        }
    }
}

struct LiveSender<'a> {
    transmitter: &'a LiveTransmitter,
    /// The thread's index: its cursor in the program's maps.
    slot: u32,
}

impl ThreadSender for LiveSender<'_> {
    fn mode(&self) -> &'static str {
        "live-frames"
    }

    fn run(self: Box<Self>, context: LoopContext<'_>) -> LoopEnd {
        LiveLoop {
            transmitter: self.transmitter,
            slot: self.slot,
            frames: &context.plan.frames,
            programs: &context.plan.programs,
            schedule: context.schedule,
            stamped: context.plan.stamping.is_some(),
            batch_size: context.plan.xdp_batch_size,
            gate: context.gate,
            counters: context.counters,
        }
        .run()
    }
}

impl Drop for LiveTransmitter {
    fn drop(&mut self) {
        self.detach();
    }
}

/// Loads the live-frames object for `target_ifindex`, with `programs` (one
/// per template, as `frames`, the frames the program gets) in its field
/// maps, their variants where `patches` (from place_patches) puts them,
/// the templates' stamp sites if the run is `stamping` (a clock reading
/// every `stamp_clock_every` frames of a call), and cursors for each of
/// `slots` sender slots, and its transmit program into the kernel; errors
/// name `subject`.
#[allow(clippy::too_many_arguments)]
fn load_object(
    target_ifindex: u32,
    programs: &[FieldProgram],
    frames: &[Vec<u8>],
    patches: &[Option<PatchPlacement>],
    stamping: Option<&Stamping>,
    stamp_clock_every: u32,
    slots: usize,
    subject: &str,
) -> Result<Ebpf> {
    let tgid = std::process::id();
    let mut loader = EbpfLoader::new();
    loader
        .override_global(TARGET_GLOBAL, &target_ifindex, true)
        .override_global(TGID_GLOBAL, &tgid, true);
    size_field_maps(&mut loader, programs, patches, slots);
    configure_stamps(
        &mut loader,
        stamping.map(|stamping| stamping.clock),
        &stamp_clock_every,
        frames.len(),
        slots,
    );
    let mut ebpf = loader
        .load(OBJECT)
        .map_err(|err| bpf::load_error(subject, &err))?;
    fill_field_maps(&mut ebpf, programs, subject)?;
    write_patches(&ebpf, programs, frames, patches, subject)?;
    if let Some(stamping) = stamping {
        let sites = stamps::site_values(&stamping.sites, programs, frames, patches);
        fill_stamp_sites(&mut ebpf, &sites, subject)?;
    }
    load_xdp(&mut ebpf, PROGRAM, subject)?;
    Ok(ebpf)
}

/// Runs every template once, dropped, as the engine will run it: the
/// kernel refuses live frames it cannot hold (or live frames at all).
fn check_templates(frames: &[Vec<u8>]) -> Result<()> {
    let probe = ProbePrograms::load()?;
    for (index, frame) in frames.iter().enumerate() {
        probe.run_dropped_live_frame(frame).map_err(|errno| {
            let subject = format!(
                "template {index}: XDP live frames refused a frame of {} bytes",
                frame.len()
            );
            match errno {
                libc::EINVAL => Error::new(
                    ErrorKind::Unsupported,
                    format!("{subject} (too large for a live frame, or Linux older than 5.18)"),
                ),
                _ => Error::from_errno(&subject, errno),
            }
        })?;
    }
    Ok(())
}

fn attach_to_target(program: &mut Xdp, ifindex: u32, subject: &str) -> Result<XdpLink> {
    let link_id = match program.attach_to_if_index(ifindex, XdpMode::Driver) {
        Ok(id) => id,
        Err(native) => program
            .attach_to_if_index(ifindex, XdpMode::Skb)
            .map_err(|_| Error::from_source_chain(&format!("{subject}: attach"), &native))?,
    };
    program
        .take_link(link_id)
        .map_err(|err| Error::from_source_chain(subject, &err))
}

/// Some NIC drivers (ixgbe, i40e) reset the device to set up XDP transmit
/// queues when a program is attached, taking the link down for a moment;
/// frames redirected before it is back would be dropped.
fn wait_for_carrier(name: &str) -> Result<()> {
    let deadline = Instant::now() + CARRIER_TIMEOUT;
    loop {
        if device_info(name)?.oper_up {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::new(
                ErrorKind::InterfaceDown,
                format!(
                    "interface {name}: no carrier {} s after attaching the XDP program",
                    CARRIER_TIMEOUT.as_secs()
                ),
            ));
        }
        std::thread::sleep(CARRIER_POLL);
    }
}

/// Refuses an interface that would drop every redirected frame, as the
/// prober judges it, now that the engine's program is attached.
fn check_redirect_target(plan: &TxPlan, facts: &netlink::LinkFacts) -> Result<()> {
    let peer = veth::peer_of(facts);
    let verdict = redirect_target(
        &netlink::xdp_features(plan.ifindex),
        None,
        peer.as_ref(),
        "",
    );
    if verdict.supported != Some(false) {
        return Ok(());
    }
    let reason = verdict.reason.unwrap_or_default();
    Err(Error::new(
        ErrorKind::Unsupported,
        format!("interface {}: {reason}", plan.ifname),
    )
    .instead(Setting::Engine, OTHER_ENGINES))
}

fn attach_tracing(ebpf: &mut Ebpf, subject: &str) -> Result<Vec<BtfTracePointLink>> {
    let btf = Btf::from_sys_fs()
        .map_err(|err| Error::from_source_chain(&format!("{subject}: kernel BTF"), &err))?;
    let mut links = Vec::with_capacity(TRACEPOINTS.len());
    for (program_name, tracepoint) in TRACEPOINTS {
        let what = format!("{subject}: tracepoint {tracepoint}");
        let program: &mut BtfTracePoint = ebpf
            .program_mut(program_name)
            .ok_or_else(|| Error::new(ErrorKind::Kernel, format!("{what}: program missing")))?
            .try_into()
            .map_err(|err| Error::from_source_chain(&what, &err))?;
        program
            .load(tracepoint, &btf)
            .map_err(|err| Error::from_source_chain(&format!("{what}: load"), &err))?;
        let link_id = program
            .attach()
            .map_err(|err| Error::from_source_chain(&format!("{what}: attach"), &err))?;
        links.push(
            program
                .take_link(link_id)
                .map_err(|err| Error::from_source_chain(&what, &err))?,
        );
    }
    Ok(links)
}

#[cfg(test)]
mod field_tests;
#[cfg(test)]
mod stamp_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacer::RATE_SCALE;

    #[test]
    fn a_count_is_split_exactly_over_the_templates() {
        let schedule = Schedule::new(&[3, 1]).unwrap();
        let quotas = TemplateQuotas::new(&schedule, 1_000_000);
        let claim_all = |template| {
            let mut total = 0u64;
            loop {
                let got = quotas.claim(template, UNPACED_REPEAT);
                if got == 0 {
                    return total;
                }
                total += u64::from(got);
            }
        };
        assert_eq!(claim_all(0), 750_000);
        assert_eq!(claim_all(1), 250_000);
        // A count that is no whole number of periods ends like the
        // per-packet mix: 1 000 001 = 250 000 × (A A B A) + A.
        let quotas = TemplateQuotas::new(&schedule, 1_000_001);
        assert_eq!(quotas.claim(0, u32::MAX), 750_001);
        assert_eq!(quotas.claim(1, u32::MAX), 250_000);
    }

    #[test]
    fn unpaced_calls_are_about_a_millisecond() {
        assert_eq!(run_length(None), UNPACED_REPEAT);
    }

    #[test]
    fn paced_calls_are_one_pacer_grant() {
        // 100 kpps: 4000 grants a second of 25 frames.
        assert_eq!(run_length(Some(100_000 * RATE_SCALE)), 25);
        // Slow rates send a frame per call.
        assert_eq!(run_length(Some(1_000 * RATE_SCALE)), 1);
        // Rates above what one call holds are capped at the unpaced repeat.
        assert_eq!(run_length(Some(100_000_000 * RATE_SCALE)), UNPACED_REPEAT);
    }
}
