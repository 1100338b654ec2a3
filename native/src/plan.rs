//! The transmit plan as the controller sends it, and its validation against
//! the device into what the engine runs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::engine::afxdp::frames::MAX_UMEM_FRAME_SIZE;
use crate::error::{Error, ErrorKind, Result, Setting};
use crate::fields::{FieldProgram, FieldSpec, MAX_LIST_VALUES};
use crate::kernel::device::DeviceInfo;
use crate::kernel::xsk::{ModeRequest, RING_SIZE};
use crate::pacer::RATE_SCALE;
use crate::stamp::{StampClock, StampSite};

/// Frames shorter than the Ethernet minimum (without FCS) are zero-padded.
pub const MIN_FRAME_LEN: usize = 60;
/// The Ethernet header the MTU does not count.
const ETH_HEADER_LEN: usize = 14;
/// A VLAN tag (802.1Q / 802.1ad) adds this to what the MTU allows.
const VLAN_TAG_LEN: usize = 4;
/// The kernel's default live-frames batch (NAPI_POLL_WEIGHT) and its
/// largest (TEST_XDP_MAX_BATCH in net/bpf/test_run.c).
pub const DEFAULT_XDP_BATCH_SIZE: u32 = 64;
const MAX_XDP_BATCH_SIZE: u32 = 256;
/// Each template takes at least one UMEM frame per queue.
pub const MAX_TEMPLATES: usize = 16_384;
/// A batch is at most half the TX ring, so the next one can be queued
/// while the kernel sends the previous one.
pub const MAX_BATCH: u32 = RING_SIZE / 2;
/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
const NS_PER_SECOND: u128 = 1_000_000_000;
/// How long past its duration a paced run whose packet count comes from
/// that duration may go on to send its last packets: a sender on time ends
/// on time, one held up ends as late as it is still behind (it catches up
/// at only 5 % above the rate), up to this.
const COUNTED_DURATION_GRACE_NS: u64 = 1_000_000_000;

/// One template as given: a full Ethernet frame without FCS, its weight,
/// and the fields varied per packet (none: the frame is sent as is).
#[derive(Debug, Clone)]
pub struct TemplateRequest {
    pub frame: Vec<u8>,
    pub weight: f64,
    pub fields: Vec<FieldSpec>,
    /// Repeat the first this many variants.
    pub flows: Option<u64>,
}

/// How the frames reach the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// AF_XDP sockets, one per queue.
    Afxdp,
    /// BPF_PROG_RUN with XDP live frames, redirected to the interface.
    Xdp,
    /// AF_PACKET sockets with a TX ring, bypassing the qdisc.
    Packet,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Afxdp => "afxdp",
            Engine::Xdp => "xdp",
            Engine::Packet => "packet",
        }
    }
}

/// The plan as the controller gives it (from the JavaScript `TxRequest`).
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub engine: Engine,
    pub queues: Vec<u32>,
    pub cpus: Option<Vec<u32>>,
    pub batch: u32,
    pub xdp_mode: ModeRequest,
    pub xdp_batch_size: Option<u32>,
    pub templates: Vec<TemplateRequest>,
    pub pps: Option<f64>,
    pub bps: Option<f64>,
    pub count: Option<f64>,
    pub duration_ms: Option<f64>,
    /// Stamp every frame, its transmit time read from this clock.
    pub stamp: Option<StampClock>,
    /// Send the first packet no earlier than this wall-clock time, in ms
    /// since the Unix epoch (fractions: µs).
    pub start_at_unix_ms: Option<f64>,
}

/// The furthest ahead `--start-at` may be.
const MAX_START_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// Most templates a stamped run takes: one stream each, as many as the
/// receiver keeps a sequence window and a latency histogram for.
pub const MAX_STAMPED_TEMPLATES: usize = 256;

/// How a stamped run stamps its frames; the stream of template i is i.
#[derive(Debug, Clone)]
pub struct Stamping {
    pub clock: StampClock,
    /// One per template.
    pub sites: Vec<StampSite>,
}

/// A validated plan.
#[derive(Debug, Clone)]
pub struct TxPlan {
    pub engine: Engine,
    pub ifname: String,
    pub ifindex: u32,
    /// One transmit thread each. AF_XDP binds each thread's socket to its
    /// queue; the xdp and packet engines send through the queue the driver
    /// picks for the thread's CPU.
    pub queues: Vec<u32>,
    pub cpus: Option<Vec<u32>>,
    pub batch: u32,
    /// AF_XDP bind mode (always `Auto` for the other engines).
    pub mode: ModeRequest,
    /// Live frames the kernel runs per batch (xdp engine).
    pub xdp_batch_size: u32,
    /// Templates padded to [`MIN_FRAME_LEN`]; with fields, the base frame
    /// their program compiled (checksums fixed).
    pub frames: Vec<Vec<u8>>,
    pub weights: Vec<u64>,
    /// Each template's field program, in template order.
    pub programs: Vec<FieldProgram>,
    /// Rate of each thread in packets per 1000 s, if paced.
    pub thread_rates: Option<Vec<u64>>,
    /// Packets to send in total: the count asked for, or what the rate
    /// sends in the duration asked for.
    pub count: Option<u64>,
    /// When to stop sending, from the session's start.
    pub deadline_ns: Option<u64>,
    pub stamping: Option<Stamping>,
    /// The wall-clock instant to begin sending at (`--start-at`).
    pub start_at: Option<SystemTime>,
}

impl TxPlan {
    /// Some template has a field program: packets are written one by one.
    pub fn varies(&self) -> bool {
        self.programs.iter().any(|program| !program.is_empty())
    }

    /// Every packet is written one by one: its variant or its stamp.
    pub fn writes_each_packet(&self) -> bool {
        self.varies() || self.stamping.is_some()
    }

    pub fn frame_lengths(&self) -> Vec<u32> {
        self.frames.iter().map(|f| f.len() as u32).collect()
    }
}

/// Checks `request` against `device` (the interface it names).
pub fn validate(request: PlanRequest, device: &DeviceInfo) -> Result<TxPlan> {
    let name = &device.name;
    if !device.admin_up {
        return Err(Error::new(
            ErrorKind::InterfaceDown,
            format!("interface {name} is down"),
        ));
    }
    if !device.oper_up {
        return Err(Error::new(
            ErrorKind::InterfaceDown,
            format!("interface {name} has no carrier (its link is down)"),
        ));
    }
    let engine = request.engine;
    validate_queues(&request.queues, device)?;
    if let Some(cpus) = &request.cpus {
        if cpus.len() != request.queues.len() {
            return Err(Error::invalid_setting(
                Setting::Cpus,
                format!(
                    "{}: {} given for {} queues (need one per queue)",
                    list(cpus),
                    cpus.len(),
                    request.queues.len()
                ),
            ));
        }
    }
    if request.batch == 0 || request.batch > MAX_BATCH {
        return Err(Error::invalid_setting(
            Setting::Batch,
            format!("{} out of range (1..{MAX_BATCH})", request.batch),
        ));
    }
    let mode = request.xdp_mode;
    if mode != ModeRequest::Auto && engine != Engine::Afxdp {
        return Err(Error::invalid_setting(
            Setting::XdpMode,
            format!(
                "{}: applies only to the afxdp engine, not {}",
                mode.name(),
                engine.name()
            ),
        ));
    }
    let xdp_batch_size = match (request.xdp_batch_size, engine) {
        (None, _) => DEFAULT_XDP_BATCH_SIZE,
        (Some(size), Engine::Xdp) if (1..=MAX_XDP_BATCH_SIZE).contains(&size) => size,
        (Some(size), Engine::Xdp) => {
            return Err(Error::invalid_setting(
                Setting::XdpBatchSize,
                format!("{size} out of range (1..{MAX_XDP_BATCH_SIZE})"),
            ))
        }
        (Some(size), other) => {
            return Err(Error::invalid_setting(
                Setting::XdpBatchSize,
                format!(
                    "{size}: applies only to the xdp engine, not {}",
                    other.name()
                ),
            ))
        }
    };
    let Templates {
        frames,
        weights,
        programs,
    } = validate_templates(&request.templates, device, engine)?;
    let total_rate = total_rate_milli_pps(request.pps, request.bps, &frames, &weights)?;
    let thread_rates = match total_rate {
        Some(rate) => Some(split_rate(rate, request.queues.len())?),
        None => None,
    };
    let duration_ns = match request.duration_ms {
        Some(ms) if ms.is_finite() && ms > 0.0 => Some((ms * 1e6).round() as u64),
        Some(ms) => {
            return Err(Error::invalid_setting(
                Setting::Duration,
                format!("{ms} ms: must be a positive number"),
            ))
        }
        None => None,
    };
    // A rate for a time is a number of packets, which runs compare by:
    // exactly that many go, the last one due at the end of the time. Below
    // one packet in the duration (1 bit/s for a minute), the run still
    // lasts the duration, sending nothing, as the pacer has it.
    let timed_count = match (total_rate, duration_ns) {
        (Some(rate), Some(duration)) => Some(packets_at_rate(rate, duration)).filter(|&n| n > 0),
        _ => None,
    };
    let (count, deadline_ns) = match (request.count, timed_count) {
        (Some(count), _) => (
            Some(
                positive_integer(count)
                    .map_err(|problem| Error::invalid_setting(Setting::Count, problem))?,
            ),
            duration_ns,
        ),
        // The deadline only cuts a sender that is behind its schedule.
        (None, Some(packets)) => (
            Some(packets),
            duration_ns.map(|duration| duration + COUNTED_DURATION_GRACE_NS),
        ),
        (None, None) => (None, duration_ns),
    };
    let start_at = match request.start_at_unix_ms {
        Some(ms) => Some(start_instant(ms)?),
        None => None,
    };
    let stamping = match request.stamp {
        Some(clock) => Some(stamping(clock, &frames, &programs)?),
        None => None,
    };
    Ok(TxPlan {
        start_at,
        stamping,
        engine,
        ifname: device.name.clone(),
        ifindex: device.ifindex,
        queues: request.queues,
        cpus: request.cpus,
        batch: request.batch,
        mode,
        xdp_batch_size,
        frames,
        weights,
        programs,
        thread_rates,
        count,
        deadline_ns,
    })
}

/// `--start-at`'s instant from ms since the epoch: still to come, and
/// within a day.
fn start_instant(unix_ms: f64) -> Result<SystemTime> {
    let when = |ms: f64| format!("{:.3} s since the epoch", ms / 1000.0);
    if !(unix_ms.is_finite() && unix_ms > 0.0) {
        return Err(Error::invalid(format!(
            "--start-at: {unix_ms} ms since the epoch is not a time"
        )));
    }
    let at = UNIX_EPOCH + Duration::from_nanos((unix_ms * 1e6).round() as u64);
    let now = SystemTime::now();
    match at.duration_since(now) {
        Err(_) => Err(Error::invalid(format!(
            "--start-at: {} has passed (now {})",
            when(unix_ms),
            when(
                now.duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs_f64()
                    * 1000.0
            )
        ))),
        Ok(ahead) if ahead > MAX_START_AHEAD => Err(Error::invalid(format!(
            "--start-at: {} is more than a day ahead",
            when(unix_ms)
        ))),
        Ok(_) => Ok(at),
    }
}

/// Each template's stamp site, or the one-line reason a template has none.
fn stamping(clock: StampClock, frames: &[Vec<u8>], programs: &[FieldProgram]) -> Result<Stamping> {
    if frames.len() > MAX_STAMPED_TEMPLATES {
        return Err(Error::invalid(format!(
            "--stamp: {} templates given; a stamped run takes at most {MAX_STAMPED_TEMPLATES} (one stream each)",
            frames.len()
        )));
    }
    let sites = frames
        .iter()
        .zip(programs)
        .enumerate()
        .map(|(index, (frame, program))| {
            StampSite::find(frame, program)
                .map_err(|problem| Error::invalid(format!("template {index}: {problem}")))
        })
        .collect::<Result<_>>()?;
    Ok(Stamping { clock, sites })
}

/// Packets `rate_milli_pps` sends in `duration_ns`, rounded to the nearest.
fn packets_at_rate(rate_milli_pps: u64, duration_ns: u64) -> u64 {
    let scale = NS_PER_SECOND * u128::from(RATE_SCALE);
    ((u128::from(rate_milli_pps) * u128::from(duration_ns) + scale / 2) / scale) as u64
}

fn validate_queues(queues: &[u32], device: &DeviceInfo) -> Result<()> {
    let name = &device.name;
    if queues.is_empty() {
        return Err(Error::invalid(format!(
            "interface {name}: no queues given (need at least one)"
        )));
    }
    for (i, queue) in queues.iter().enumerate() {
        if *queue >= device.tx_queues {
            let plural = if device.tx_queues == 1 { "" } else { "s" };
            return Err(Error::invalid(format!(
                "interface {name}: queue {queue} out of range (device has {} TX queue{plural})",
                device.tx_queues
            )));
        }
        if queues[..i].contains(queue) {
            return Err(Error::invalid(format!(
                "interface {name}: queue {queue} given twice"
            )));
        }
    }
    Ok(())
}

/// The templates as the engines send them.
struct Templates {
    frames: Vec<Vec<u8>>,
    weights: Vec<u64>,
    programs: Vec<FieldProgram>,
}

fn validate_templates(
    templates: &[TemplateRequest],
    device: &DeviceInfo,
    engine: Engine,
) -> Result<Templates> {
    if templates.is_empty() {
        return Err(Error::invalid(
            "templates: none given (need at least one frame)",
        ));
    }
    if templates.len() > MAX_TEMPLATES {
        return Err(Error::invalid(format!(
            "templates: {} given (at most {MAX_TEMPLATES})",
            templates.len()
        )));
    }
    let mut frames = Vec::with_capacity(templates.len());
    let mut weights = Vec::with_capacity(templates.len());
    let mut programs = Vec::with_capacity(templates.len());
    let mut list_values = 0;
    for (index, template) in templates.iter().enumerate() {
        let len = template.frame.len();
        if len < ETH_HEADER_LEN {
            return Err(Error::invalid(format!(
                "template {index}: frame of {len} bytes is shorter than an Ethernet header (14)"
            )));
        }
        let tags = vlan_tags(&template.frame);
        let limit = device.mtu as usize + ETH_HEADER_LEN + VLAN_TAG_LEN * tags;
        if len > limit {
            return Err(Error::invalid(format!(
                "template {index}: frame of {len} bytes exceeds MTU {} + {} of interface {}",
                device.mtu,
                limit - device.mtu as usize,
                device.name
            )));
        }
        // The packet engine's ring slots grow with the frames; live frames
        // have their own (smaller) limit, which the xdp engine asks the
        // kernel about before it starts.
        if engine == Engine::Afxdp && len > MAX_UMEM_FRAME_SIZE as usize {
            return Err(Error::invalid(format!(
                "template {index}: frame of {len} bytes exceeds the AF_XDP frame size ({MAX_UMEM_FRAME_SIZE})"
            )));
        }
        // A template without fields comes back as given.
        let (program, mut frame) =
            FieldProgram::compile(&template.frame, &template.fields, template.flows).map_err(
                |err| Error {
                    message: format!("template {index}: {}", err.message),
                    ..err
                },
            )?;
        list_values += program
            .fields()
            .iter()
            .map(|field| field.values.len())
            .sum::<usize>();
        frame.resize(len.max(MIN_FRAME_LEN), 0);
        frames.push(frame);
        programs.push(program);
        weights
            .push(positive_integer(template.weight).map_err(|problem| {
                Error::invalid(format!("template {index}: weight {problem}"))
            })?);
    }
    if list_values > MAX_LIST_VALUES {
        return Err(Error::invalid(format!(
            "templates: their list fields hold {list_values} values in all (at most {MAX_LIST_VALUES})"
        )));
    }
    Ok(Templates {
        frames,
        weights,
        programs,
    })
}

/// 802.1Q / 802.1ad tags after the MAC addresses.
fn vlan_tags(frame: &[u8]) -> usize {
    let mut tags = 0;
    let mut offset = 12;
    while let Some(ethertype) = frame.get(offset..offset + 2) {
        match u16::from_be_bytes([ethertype[0], ethertype[1]]) {
            0x8100 | 0x88a8 | 0x9100 => {
                tags += 1;
                offset += VLAN_TAG_LEN;
            }
            _ => break,
        }
    }
    tags
}

/// The total rate in packets per 1000 s: `pps`, or `bps` (L2 bits, frames
/// padded to 60, no FCS) over the weighted mean frame length.
fn total_rate_milli_pps(
    pps: Option<f64>,
    bps: Option<f64>,
    frames: &[Vec<u8>],
    weights: &[u64],
) -> Result<Option<u64>> {
    let pps = match (pps, bps) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid_setting(
                Setting::Pps,
                "and a bit rate: give one rate, not both",
            ))
        }
        (Some(pps), None) => {
            if !(pps.is_finite() && pps > 0.0) {
                return Err(Error::invalid_setting(
                    Setting::Pps,
                    format!("{pps}: must be a positive number"),
                ));
            }
            pps
        }
        (None, Some(bps)) => {
            if !(bps.is_finite() && bps > 0.0) {
                return Err(Error::invalid_setting(
                    Setting::Bps,
                    format!("{bps}: must be a positive number"),
                ));
            }
            let weight_sum: f64 = weights.iter().map(|&w| w as f64).sum();
            let mean_len: f64 = frames
                .iter()
                .zip(weights)
                .map(|(f, &w)| f.len() as f64 * w as f64)
                .sum::<f64>()
                / weight_sum;
            bps / (8.0 * mean_len)
        }
        (None, None) => return Ok(None),
    };
    Ok(Some((pps * RATE_SCALE as f64).round() as u64))
}

/// Splits a total rate evenly over `threads`; the remainder goes to the first ones.
fn split_rate(total_milli_pps: u64, threads: usize) -> Result<Vec<u64>> {
    let threads = threads as u64;
    if total_milli_pps < threads {
        return Err(Error::invalid(format!(
            "rate {} pps: too low to split over {threads} queues",
            total_milli_pps as f64 / RATE_SCALE as f64
        )));
    }
    Ok((0..threads)
        .map(|i| total_milli_pps / threads + u64::from(i < total_milli_pps % threads))
        .collect())
}

/// `value` as a count, or what is wrong with it ("1.5: must be a positive integer").
fn positive_integer(value: f64) -> std::result::Result<u64, String> {
    if value.is_finite() && value >= 1.0 && value.fract() == 0.0 && value <= MAX_SAFE_INTEGER {
        Ok(value as u64)
    } else {
        Err(format!("{value}: must be a positive integer"))
    }
}

/// `0,1` for an error message.
fn list(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn veth(tx_queues: u32) -> DeviceInfo {
        DeviceInfo {
            name: "xdperf0".into(),
            ifindex: 7,
            mac: [2, 0, 0, 0, 0, 1],
            mtu: 1500,
            admin_up: true,
            oper_up: true,
            rx_queues: tx_queues,
            tx_queues,
            driver: "veth".into(),
        }
    }

    fn request() -> PlanRequest {
        PlanRequest {
            engine: Engine::Afxdp,
            queues: vec![0],
            cpus: None,
            batch: 64,
            xdp_mode: ModeRequest::Auto,
            xdp_batch_size: None,
            templates: vec![TemplateRequest {
                frame: vec![0xab; 42],
                weight: 1.0,
                fields: Vec::new(),
                flows: None,
            }],
            pps: None,
            bps: None,
            count: Some(1000.0),
            duration_ms: None,
            stamp: None,
            start_at_unix_ms: None,
        }
    }

    #[test]
    fn a_start_in_the_past_or_over_a_day_ahead_is_refused() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
        let mut request = request();
        request.start_at_unix_ms = Some(now_ms + 60_000.0);
        assert!(validate(request.clone(), &veth(1))
            .unwrap()
            .start_at
            .is_some());
        request.start_at_unix_ms = Some(now_ms - 1_000.0);
        let past = validate(request.clone(), &veth(1)).unwrap_err().message;
        assert!(
            past.starts_with("--start-at: ") && past.contains(" has passed (now "),
            "{past}"
        );
        request.start_at_unix_ms = Some(now_ms + 25.0 * 3600.0 * 1000.0);
        let far = validate(request, &veth(1)).unwrap_err().message;
        assert!(far.ends_with(" is more than a day ahead"), "{far}");
    }

    #[test]
    fn stamping_finds_each_templates_site_or_says_which_has_none() {
        use crate::fields::tests::udp4;
        let mut stamped = request();
        stamped.stamp = Some(StampClock::Monotonic);
        stamped.templates[0].frame = udp4();
        let plan = validate(stamped.clone(), &veth(1)).unwrap();
        assert_eq!(plan.stamping.unwrap().sites[0].at, 42);
        stamped.templates.push(request().templates.remove(0));
        assert_eq!(
            validate(stamped.clone(), &veth(1)).unwrap_err().message,
            "template 1: --stamp needs an IPv4 or IPv6 frame carrying TCP, UDP or ICMP; this one has none the core can place a stamp in"
        );
        stamped.templates = vec![stamped.templates[0].clone(); MAX_STAMPED_TEMPLATES + 1];
        assert_eq!(
            validate(stamped, &veth(1)).unwrap_err().message,
            "--stamp: 257 templates given; a stamped run takes at most 256 (one stream each)"
        );
    }

    #[test]
    fn short_frames_are_padded_to_60() {
        let plan = validate(request(), &veth(1)).unwrap();
        assert_eq!(plan.frames[0].len(), 60);
        assert_eq!(&plan.frames[0][..42], &[0xab; 42][..]);
        assert!(plan.frames[0][42..].iter().all(|&b| b == 0));
        assert_eq!(plan.count, Some(1000));
        assert_eq!(plan.engine, Engine::Afxdp);
    }

    #[test]
    fn queue_out_of_range_names_the_device() {
        let mut r = request();
        r.queues = vec![3];
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            err.message,
            "interface xdperf0: queue 3 out of range (device has 1 TX queue)"
        );
        assert_eq!(err.kind, ErrorKind::InvalidArgument);
    }

    #[test]
    fn down_interface_is_refused() {
        let mut dev = veth(1);
        dev.admin_up = false;
        dev.oper_up = false;
        assert_eq!(
            validate(request(), &dev).unwrap_err().message,
            "interface xdperf0 is down"
        );
    }

    #[test]
    fn frames_over_mtu_are_refused_but_vlan_tags_are_allowed() {
        let mut r = request();
        r.templates[0].frame = vec![0; 1515];
        assert_eq!(
            validate(r.clone(), &veth(1)).unwrap_err().message,
            "template 0: frame of 1515 bytes exceeds MTU 1500 + 14 of interface xdperf0"
        );
        r.templates[0].frame[12] = 0x81;
        r.templates[0].frame[13] = 0x00;
        let plan = validate(r, &veth(1)).unwrap();
        assert_eq!(plan.frames[0].len(), 1515);
    }

    #[test]
    fn bps_uses_the_weighted_mean_frame() {
        let mut r = request();
        r.templates = vec![
            TemplateRequest {
                frame: vec![0; 60],
                weight: 3.0,
                fields: Vec::new(),
                flows: None,
            },
            TemplateRequest {
                frame: vec![0; 1500],
                weight: 1.0,
                fields: Vec::new(),
                flows: None,
            },
        ];
        // mean = (3 × 60 + 1500) / 4 = 420 bytes = 3360 bits
        r.bps = Some(3_360_000.0);
        r.queues = vec![0, 1];
        let plan = validate(r, &veth(2)).unwrap();
        assert_eq!(plan.thread_rates, Some(vec![500_000, 500_000]));
    }

    #[test]
    fn a_rate_for_a_duration_is_an_exact_count() {
        let timed = |pps: f64, ms: f64| {
            let mut r = request();
            r.count = None;
            r.pps = Some(pps);
            r.duration_ms = Some(ms);
            validate(r, &veth(1)).unwrap()
        };
        let plan = timed(20_000.0, 2_000.0);
        assert_eq!(plan.count, Some(40_000));
        assert_eq!(plan.deadline_ns, Some(3_000_000_000));
        assert_eq!(timed(200_000.0, 5_000.0).count, Some(1_000_000));
        // Rounded to the nearest packet: 2.5 pps for 1.3 s is 3.25.
        assert_eq!(timed(2.5, 1_300.0).count, Some(3));
        assert_eq!(timed(2.5, 1_400.0).count, Some(4));
        // A count given wins, and the duration stays a plain deadline.
        let mut r = request();
        r.pps = Some(20_000.0);
        r.duration_ms = Some(2_000.0);
        let plan = validate(r, &veth(1)).unwrap();
        assert_eq!(plan.count, Some(1_000));
        assert_eq!(plan.deadline_ns, Some(2_000_000_000));
        let plan = timed(1.0, 400.0);
        assert_eq!((plan.count, plan.deadline_ns), (None, Some(400_000_000)));
        // Unpaced, a duration is only a deadline.
        let mut r = request();
        r.count = None;
        r.duration_ms = Some(2_000.0);
        let plan = validate(r, &veth(1)).unwrap();
        assert_eq!((plan.count, plan.deadline_ns), (None, Some(2_000_000_000)));
    }

    #[test]
    fn rate_split_keeps_the_total() {
        assert_eq!(split_rate(1_000_001, 2).unwrap(), vec![500_001, 500_000]);
    }

    #[test]
    fn other_mistakes_are_named() {
        let mut r = request();
        r.templates.clear();
        assert!(validate(r, &veth(1))
            .unwrap_err()
            .message
            .starts_with("templates:"));
        let mut r = request();
        r.batch = 0;
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            (err.setting, err.message.as_str()),
            (Some(Setting::Batch), "0 out of range (1..1024)")
        );
        let mut r = request();
        r.count = Some(1.5);
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            (err.setting, err.message.as_str()),
            (Some(Setting::Count), "1.5: must be a positive integer")
        );
        let mut r = request();
        r.pps = Some(1.0);
        r.bps = Some(1.0);
        assert!(validate(r, &veth(1)).is_err());
    }

    #[test]
    fn engine_specific_options_are_refused_elsewhere() {
        let mut r = request();
        r.engine = Engine::Packet;
        r.xdp_mode = ModeRequest::Copy;
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            (err.setting, err.message.as_str()),
            (
                Some(Setting::XdpMode),
                "copy: applies only to the afxdp engine, not packet"
            )
        );
        let mut r = request();
        r.xdp_batch_size = Some(32);
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            (err.setting, err.message.as_str()),
            (
                Some(Setting::XdpBatchSize),
                "32: applies only to the xdp engine, not afxdp"
            )
        );
    }

    #[test]
    fn xdp_batch_size_defaults_to_the_kernels_and_is_bounded() {
        let mut r = request();
        r.engine = Engine::Xdp;
        assert_eq!(validate(r.clone(), &veth(1)).unwrap().xdp_batch_size, 64);
        r.xdp_batch_size = Some(256);
        assert_eq!(validate(r.clone(), &veth(1)).unwrap().xdp_batch_size, 256);
        r.xdp_batch_size = Some(257);
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            (err.setting, err.message.as_str()),
            (Some(Setting::XdpBatchSize), "257 out of range (1..256)")
        );
    }

    #[test]
    fn only_afxdp_limits_frames_to_its_umem_frame() {
        let mut dev = veth(1);
        dev.mtu = 9000;
        let mut r = request();
        r.templates[0].frame = vec![0; 9014];
        assert!(validate(r.clone(), &dev)
            .unwrap_err()
            .message
            .contains("exceeds the AF_XDP frame size (4096)"));
        r.engine = Engine::Packet;
        assert_eq!(validate(r, &dev).unwrap().frames[0].len(), 9014);
    }

    /// Ethernet + IPv4 + UDP without payload (42 bytes), its checksums
    /// left for the core to fix.
    fn udp_frame() -> Vec<u8> {
        let mut frame = vec![0u8; 42];
        frame[12..14].copy_from_slice(&[0x08, 0x00]);
        frame[14] = 0x45;
        frame[17] = 28;
        frame[23] = 17;
        frame[40..42].copy_from_slice(&[0xff, 0xff]);
        frame
    }

    fn template(frame: Vec<u8>, fields: Vec<FieldSpec>) -> TemplateRequest {
        TemplateRequest {
            frame,
            weight: 1.0,
            fields,
            flows: None,
        }
    }

    fn destination_ports(max: u16) -> FieldSpec {
        FieldSpec {
            offset: 36,
            size: 2,
            op: crate::fields::FieldOp::Inc,
            min: Some(vec![0, 1]),
            max: Some(max.to_be_bytes().to_vec()),
            step: None,
            seed: None,
            values: None,
            chain: false,
        }
    }

    fn list_of(count: u16) -> FieldSpec {
        FieldSpec {
            op: crate::fields::FieldOp::List,
            min: None,
            max: None,
            values: Some((0..count).map(|v| v.to_be_bytes().to_vec()).collect()),
            ..destination_ports(0)
        }
    }

    #[test]
    fn a_template_with_fields_sends_its_base_frame_by_its_program() {
        let mut r = request();
        r.templates
            .push(template(udp_frame(), vec![destination_ports(1000)]));
        r.templates[1].flows = Some(10);
        let plan = validate(r, &veth(1)).unwrap();
        let (program, base) =
            FieldProgram::compile(&udp_frame(), &[destination_ports(1000)], Some(10)).unwrap();
        assert_eq!(plan.programs[1], program);
        assert_eq!(plan.programs[1].flows(), 10);
        assert_eq!(&plan.frames[1][..42], &base[..]);
        assert_eq!(&plan.frames[1][42..], &[0; 18]);
        // Without fields, as before: as given, padded.
        assert_eq!(plan.programs[0], FieldProgram::none());
        assert_eq!(&plan.frames[0][..42], &[0xab; 42]);
        assert_eq!(plan.frames[0].len(), 60);
    }

    #[test]
    fn a_bad_field_names_its_template() {
        let mut r = request();
        let mut past_the_end = destination_ports(1000);
        past_the_end.offset = 40;
        past_the_end.size = 4;
        r.templates.push(template(udp_frame(), vec![past_the_end]));
        let err = validate(r, &veth(1)).unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (
                ErrorKind::InvalidArgument,
                "template 1: field 0: bytes 40-43 run past the frame's end (42 bytes)"
            )
        );
    }

    #[test]
    fn list_values_are_limited_over_all_templates() {
        let mut r = request();
        r.templates = vec![
            template(udp_frame(), vec![list_of(40_000)]),
            template(udp_frame(), vec![list_of(30_000)]),
        ];
        assert_eq!(
            validate(r, &veth(1)).unwrap_err().message,
            "templates: their list fields hold 70000 values in all (at most 65536)"
        );
    }
}
