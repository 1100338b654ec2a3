//! xdperf's native core, as seen from JavaScript. This file only converts
//! between napi types and the core's, and delegates: transmit sessions are
//! in session.rs, each engine's setup and loop in engine/ (afxdp, xdp,
//! packet), the modules that talk to the kernel in kernel/ (the only place
//! allowed unsafe code), the receive counter in receiver.rs, the capability
//! probe in probe.rs, the lab router's impairment step in impair/.

#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod engine;
mod error;
pub mod fields;
mod gate;
mod impair;
// The one place allowed unsafe code: the modules that talk to the kernel.
#[allow(unsafe_code)]
mod kernel;
mod link_watch;
mod pacer;
mod plan;
mod probe;
mod receiver;
mod schedule;
mod session;
pub mod stamp;
mod stats;
mod variants;

use kernel::{cpu, device, xsk};

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, JsError, Task};
use napi_derive::napi;

/// Errors reach JavaScript as `Error` with `code` set to a stable
/// `ERR_XDPERF_*` string and, as its message, a JSON object: the one-line
/// `message`, and where known the `setting` it is about, what would work
/// `instead` ({ setting, values }) and the `errno`. The controller words
/// them in its own terms (src/engine/native-error.ts). (Named `Result`
/// because napi-derive recognises fallible functions by that name.)
type Result<T> = napi::Result<T, &'static str>;

fn to_js(err: error::Error) -> napi::Error<&'static str> {
    let mut detail = serde_json::json!({ "message": err.message });
    if let Some(setting) = err.setting {
        detail["setting"] = setting.name().into();
    }
    if let Some(instead) = err.instead {
        detail["instead"] = serde_json::json!({
            "setting": instead.setting.name(),
            "values": instead.values,
        });
    }
    if let Some(errno) = err.errno {
        detail["errno"] = errno.into();
    }
    napi::Error::new(err.kind.code(), detail.to_string())
}

/// How frames reach the interface.
#[napi(string_enum)]
pub enum Engine {
    /// AF_XDP sockets, one per queue.
    #[napi(value = "afxdp")]
    Afxdp,
    /// BPF_PROG_RUN with XDP live frames, redirected to the interface.
    #[napi(value = "xdp")]
    Xdp,
    /// AF_PACKET sockets with a TX ring, bypassing the qdisc.
    #[napi(value = "packet")]
    Packet,
}

/// The AF_XDP bind mode.
#[napi(string_enum)]
pub enum XdpMode {
    /// Zero-copy where the driver supports it, copy otherwise.
    #[napi(value = "auto")]
    Auto,
    #[napi(value = "zerocopy")]
    Zerocopy,
    #[napi(value = "copy")]
    Copy,
}

/// Facts about a network interface.
#[napi(object)]
pub struct DeviceInfo {
    pub name: String,
    pub ifindex: u32,
    /// "aa:bb:cc:dd:ee:ff"
    pub mac: String,
    pub mtu: u32,
    /// Administratively up (IFF_UP).
    pub admin_up: bool,
    /// Up with carrier (IFF_UP and IFF_RUNNING).
    pub oper_up: bool,
    pub rx_queues: u32,
    pub tx_queues: u32,
    /// Kernel driver name (ethtool), e.g. "veth"; empty if the driver has none.
    pub driver: String,
}

/// Looks up an interface in the calling process's network namespace.
#[napi]
pub fn device_info(name: String) -> Result<DeviceInfo> {
    let info = device::device_info(&name).map_err(to_js)?;
    Ok(DeviceInfo {
        mac: info.mac_string(),
        name: info.name,
        ifindex: info.ifindex,
        mtu: info.mtu,
        admin_up: info.admin_up,
        oper_up: info.oper_up,
        rx_queues: info.rx_queues,
        tx_queues: info.tx_queues,
        driver: info.driver,
    })
}

/// The core's device facts from what `device_info` gave JavaScript.
fn device_from_js(info: &DeviceInfo) -> device::DeviceInfo {
    let mut mac = [0u8; 6];
    for (byte, text) in mac.iter_mut().zip(info.mac.split(':')) {
        *byte = u8::from_str_radix(text, 16).unwrap_or(0);
    }
    device::DeviceInfo {
        name: info.name.clone(),
        ifindex: info.ifindex,
        mac,
        mtu: info.mtu,
        admin_up: info.admin_up,
        oper_up: info.oper_up,
        rx_queues: info.rx_queues,
        tx_queues: info.tx_queues,
        driver: info.driver.clone(),
    }
}

/// A packet template: a full Ethernet frame without FCS, its weight in the
/// mix, and the fields varied per packet.
#[napi(object)]
pub struct Template {
    pub frame: Buffer,
    /// Positive integer.
    pub weight: f64,
    /// Absent or empty: the frame is sent as given.
    pub fields: Option<Vec<FieldSpec>>,
    /// Positive integer: the template repeats its first this many variants.
    pub flows: Option<f64>,
}

/// One byte range of a template varied per packet, as the plugin's
/// `fields` entry with its values turned into big-endian bytes.
#[napi(object)]
pub struct FieldSpec {
    /// Byte offset in the frame, from the Ethernet header.
    pub offset: u32,
    /// 1..16 bytes; of a wider field than 8 only the low 8 vary.
    pub size: u32,
    #[napi(ts_type = "'inc' | 'dec' | 'random' | 'list'")]
    pub op: String,
    /// inc, dec, random: big-endian, exactly `size` bytes.
    pub min: Option<Buffer>,
    pub max: Option<Buffer>,
    /// inc, dec: integer ≥ 1 (default 1).
    pub step: Option<f64>,
    /// random: integer 0..2^53-1 (default 0).
    pub seed: Option<f64>,
    /// list: each big-endian, exactly `size` bytes.
    pub values: Option<Vec<Buffer>>,
    /// Advances only when the field before it wraps (an odometer).
    pub chain: Option<bool>,
}

/// What a template's fields make of it.
#[napi(object)]
pub struct FieldsSummary {
    /// Distinct variants before the template repeats (at most 2^64 - 1);
    /// with a random field, the size of the space its values are drawn from.
    pub flows: f64,
    /// Whether a field draws random values.
    pub random: bool,
    /// The frame to send, with every checksum the core fixes recomputed.
    pub frame: Buffer,
}

/// Compiles a template's fields against its frame (as the plugin gave it,
/// unpadded). Throws on a bad program, as other native errors do, with the
/// message "field N: …".
#[napi]
pub fn describe_fields(
    frame: Buffer,
    fields: Vec<FieldSpec>,
    flows: Option<f64>,
) -> Result<FieldsSummary> {
    let (program, base) = compile_fields(&frame, fields, flows).map_err(to_js)?;
    Ok(FieldsSummary {
        flows: program.flows() as f64,
        random: program.has_random(),
        frame: base.into(),
    })
}

/// Variants start..start+count-1 of a template, each the frame's length.
#[napi(
    ts_args_type = "frame: Buffer, fields: Array<FieldSpec>, flows: number | undefined, start: number, count: number"
)]
pub fn render_variants(
    frame: Buffer,
    fields: Vec<FieldSpec>,
    flows: Option<f64>,
    start: f64,
    count: f64,
) -> Result<Vec<Buffer>> {
    let render = || {
        let start = whole_number(start).ok_or_else(|| {
            error::Error::invalid(format!(
                "variants from {start}: must be an integer from 0 to 2^53 - 1"
            ))
        })?;
        let count = whole_number(count)
            .filter(|&count| count <= MAX_RENDERED_VARIANTS)
            .ok_or_else(|| {
                error::Error::invalid(format!(
                    "{count} variants: at most {MAX_RENDERED_VARIANTS} at a time, a whole number"
                ))
            })?;
        let (program, base) = compile_fields(&frame, fields, flows)?;
        Ok(program.render(&base, start, count as usize))
    };
    let variants = render().map_err(to_js)?;
    Ok(variants.into_iter().map(Buffer::from).collect())
}

/// Most variants `renderVariants` makes in one call (each a Buffer).
const MAX_RENDERED_VARIANTS: u64 = 1_000_000;
/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `value` as an integer, if it is one in 0..2^53-1.
fn whole_number(value: f64) -> Option<u64> {
    (value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_SAFE_INTEGER)
        .then_some(value as u64)
}

fn compile_fields(
    frame: &[u8],
    specs: Vec<FieldSpec>,
    flows: Option<f64>,
) -> error::Result<(fields::FieldProgram, Vec<u8>)> {
    fields::FieldProgram::compile(frame, &field_specs(specs)?, flow_limit(flows)?)
}

fn flow_limit(flows: Option<f64>) -> error::Result<Option<u64>> {
    flows
        .map(|flows| {
            whole_number(flows).ok_or_else(|| {
                error::Error::invalid(format!("flows {flows}: must be a positive integer"))
            })
        })
        .transpose()
}

/// The core's field specs; a value it cannot take names its field.
fn field_specs(specs: Vec<FieldSpec>) -> error::Result<Vec<fields::FieldSpec>> {
    specs
        .into_iter()
        .enumerate()
        .map(|(index, spec)| {
            let op = fields::FieldOp::from_name(&spec.op).ok_or_else(|| {
                error::Error::invalid(format!(
                    "field {index}: op {:?}: must be \"inc\", \"dec\", \"random\" or \"list\"",
                    spec.op
                ))
            })?;
            let integer = |name: &str, value: Option<f64>| {
                value
                    .map(|value| {
                        whole_number(value).ok_or_else(|| {
                            error::Error::invalid(format!(
                                "field {index}: {name} {value}: must be an integer from 0 to 2^53 - 1"
                            ))
                        })
                    })
                    .transpose()
            };
            Ok(fields::FieldSpec {
                offset: spec.offset,
                size: spec.size,
                op,
                min: spec.min.map(|bytes| bytes.to_vec()),
                max: spec.max.map(|bytes| bytes.to_vec()),
                step: integer("step", spec.step)?,
                seed: integer("seed", spec.seed)?,
                values: spec
                    .values
                    .map(|values| values.iter().map(|bytes| bytes.to_vec()).collect()),
                chain: spec.chain.unwrap_or(false),
            })
        })
        .collect()
}

/// The core's template; errors say which template.
fn template_request(index: usize, template: Template) -> error::Result<plan::TemplateRequest> {
    let in_template = |err: error::Error| error::Error {
        message: format!("template {index}: {}", err.message),
        ..err
    };
    Ok(plan::TemplateRequest {
        frame: template.frame.to_vec(),
        weight: template.weight,
        fields: field_specs(template.fields.unwrap_or_default()).map_err(in_template)?,
        flows: flow_limit(template.flows).map_err(in_template)?,
    })
}

/// What to send, where, how fast and for how long; validated by the core
/// into its plan.
#[napi(object)]
pub struct TxRequest {
    pub engine: Engine,
    /// The interface, as `deviceInfo` gave it: it is read once for a run.
    pub device: DeviceInfo,
    /// One transmit thread each. afxdp binds each thread's socket to its
    /// queue; xdp and packet send through the queue the driver picks for
    /// the thread's CPU (pin them with `cpus`).
    pub queues: Vec<u32>,
    /// CPU for the thread of each queue (same length as `queues`).
    pub cpus: Option<Vec<u32>>,
    /// Frames per hand-over to the kernel (1..1024), typically 64: afxdp
    /// descriptors per TX ring submission, packet ring slots per send().
    /// Not used by xdp (see `xdpBatchSize`).
    pub batch: u32,
    /// AF_XDP bind mode; other engines take only 'auto'.
    pub xdp_mode: XdpMode,
    /// Live frames the kernel runs per batch (1..256, default 64); xdp only.
    pub xdp_batch_size: Option<u32>,
    pub templates: Vec<Template>,
    /// Packets per second over all queues.
    pub pps: Option<f64>,
    /// L2 bits per second (frames padded to 60 bytes, no FCS/preamble).
    pub bps: Option<f64>,
    /// Exact number of packets over all queues.
    pub count: Option<f64>,
    pub duration_ms: Option<f64>,
    /// Stamp every frame (stream = template index), its transmit time read
    /// from this clock.
    #[napi(ts_type = "'monotonic' | 'tai'")]
    pub stamp: Option<String>,
    /// Send the first packet no earlier than this wall-clock time, in ms
    /// since the Unix epoch (fractions for µs), and as soon after as the
    /// threads can; at most a day ahead.
    pub start_at_unix_ms: Option<f64>,
}

/// Transmit totals over all queues.
#[napi(object, use_nullable = true)]
pub struct TxStats {
    pub elapsed_ns: f64,
    /// Frames handed to the kernel: afxdp descriptors in the TX rings, xdp
    /// frames the program ran on (and redirected), packet ring slots.
    pub packets: f64,
    /// L2 bytes of those frames (padded to 60, no FCS).
    pub bytes: f64,
    /// afxdp TX ring submissions, xdp BPF_PROG_RUN calls, packet ring fills.
    pub batches: f64,
    /// Calls into the kernel: afxdp sendto wake-ups, xdp BPF_PROG_RUN calls,
    /// packet send() flushes.
    pub kicks: f64,
    /// Times the ring had no room (afxdp, packet).
    pub ring_full: f64,
    /// Frames the kernel reported done: afxdp completions, xdp frames the
    /// interface's driver accepted, packet slots handed back. Equals
    /// `packets` once finished when nothing was lost.
    pub completions: f64,
    /// Failed kernel calls; for xdp also frames the driver dropped or whose
    /// redirect failed.
    pub errors: f64,
    /// Times a paced thread fell more than 1 ms behind its schedule (its
    /// CPU was busy elsewhere, or the rate is more than it can send), summed
    /// over threads; 0 when not paced.
    pub times_behind: f64,
    /// The most any thread was behind, in nanoseconds.
    pub most_behind_ns: f64,
    /// Packets per template, in template order.
    pub per_template: Vec<f64>,
    /// Bytes of each template's packets, in template order.
    pub per_template_bytes: Vec<f64>,
    /// Each queue's share, in the order of the request's `queues`.
    pub per_queue: Vec<QueueStats>,
    pub running: bool,
    /// When the last thread began sending, in ns after the session's start
    /// (with `startAtUnixMs`, after that instant: the start's skew); null
    /// while a thread has still to begin.
    pub began_ns: Option<f64>,
}

/// What the thread of one queue sent. Its packets, bytes and per-template
/// counts add up to the totals'.
#[napi(object)]
pub struct QueueStats {
    pub queue: u32,
    pub packets: f64,
    pub bytes: f64,
    /// The thread's failed kernel calls. The totals' `errors` also hold
    /// what belongs to no queue: the xdp engine's frames the driver
    /// dropped or failed to redirect, which the kernel counts for the
    /// whole session.
    pub errors: f64,
    pub per_template: Vec<f64>,
    pub per_template_bytes: Vec<f64>,
}

fn numbers(counts: Vec<u64>) -> Vec<f64> {
    counts.into_iter().map(|c| c as f64).collect()
}

impl From<stats::QueueStats> for QueueStats {
    fn from(q: stats::QueueStats) -> Self {
        QueueStats {
            queue: q.queue,
            packets: q.packets as f64,
            bytes: q.bytes as f64,
            errors: q.errors as f64,
            per_template: numbers(q.per_template),
            per_template_bytes: numbers(q.per_template_bytes),
        }
    }
}

impl From<stats::TxStats> for TxStats {
    fn from(s: stats::TxStats) -> Self {
        TxStats {
            elapsed_ns: s.elapsed_ns as f64,
            packets: s.packets as f64,
            bytes: s.bytes as f64,
            batches: s.batches as f64,
            kicks: s.kicks as f64,
            ring_full: s.ring_full as f64,
            completions: s.completions as f64,
            errors: s.errors as f64,
            times_behind: s.lag.times as f64,
            most_behind_ns: s.lag.most_ns as f64,
            per_template: numbers(s.per_template),
            per_template_bytes: numbers(s.per_template_bytes),
            per_queue: s.per_queue.into_iter().map(QueueStats::from).collect(),
            running: s.running,
            began_ns: s.began_ns.map(|ns| ns as f64),
        }
    }
}

/// Validates the plan, sets up one sender per queue with the plan's engine
/// and starts sending.
#[napi]
pub fn start_tx(request: TxRequest) -> Result<TxSession> {
    let plan_request = plan::PlanRequest {
        engine: match request.engine {
            Engine::Afxdp => plan::Engine::Afxdp,
            Engine::Xdp => plan::Engine::Xdp,
            Engine::Packet => plan::Engine::Packet,
        },
        queues: request.queues,
        cpus: request.cpus,
        batch: request.batch,
        xdp_mode: match request.xdp_mode {
            XdpMode::Auto => xsk::ModeRequest::Auto,
            XdpMode::Zerocopy => xsk::ModeRequest::ZeroCopy,
            XdpMode::Copy => xsk::ModeRequest::Copy,
        },
        xdp_batch_size: request.xdp_batch_size,
        templates: request
            .templates
            .into_iter()
            .enumerate()
            .map(|(index, template)| template_request(index, template))
            .collect::<error::Result<_>>()
            .map_err(to_js)?,
        pps: request.pps,
        bps: request.bps,
        count: request.count,
        duration_ms: request.duration_ms,
        start_at_unix_ms: request.start_at_unix_ms,
        stamp: match request.stamp.as_deref() {
            None => None,
            Some(name) => Some(stamp::StampClock::from_name(name).ok_or_else(|| {
                to_js(error::Error::invalid(format!(
                    "stamp clock {name:?}: must be \"monotonic\" or \"tai\""
                )))
            })?),
        },
    };
    let device = device_from_js(&request.device);
    let inner = session::TxSession::start(plan_request, &device).map_err(to_js)?;
    Ok(TxSession {
        inner: Arc::new(inner),
    })
}

/// A running transmit session.
#[napi]
pub struct TxSession {
    inner: Arc<session::TxSession>,
}

#[napi]
impl TxSession {
    /// The engine sending.
    #[napi(getter, ts_return_type = "'afxdp' | 'xdp' | 'packet'")]
    pub fn engine(&self) -> &'static str {
        self.inner.engine()
    }

    /// How the engine sends: afxdp 'zerocopy' or 'copy' (the bind mode),
    /// xdp 'live-frames', packet 'tx-ring'.
    #[napi(
        getter,
        ts_return_type = "'zerocopy' | 'copy' | 'live-frames' | 'tx-ring'"
    )]
    pub fn mode(&self) -> &'static str {
        self.inner.mode()
    }

    /// Current totals; cheap enough to poll.
    #[napi]
    pub fn stats(&self) -> TxStats {
        self.inner.stats().into()
    }

    /// Asks all threads to stop (idempotent).
    #[napi]
    pub fn stop(&self) {
        self.inner.stop();
    }

    /// Resolves with the final totals once every thread ended and every
    /// frame in flight completed.
    #[napi(ts_return_type = "Promise<TxStats>")]
    pub fn wait(&self) -> AsyncTask<WaitForSession> {
        AsyncTask::new(WaitForSession {
            session: self.inner.clone(),
        })
    }
}

/// Joins a session's threads on the libuv thread pool.
pub struct WaitForSession {
    session: Arc<session::TxSession>,
}

impl Task for WaitForSession {
    type Output = error::Result<stats::TxStats>;
    type JsValue = TxStats;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.session.wait())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<TxStats> {
        // Rejects with the same coded error object the synchronous calls throw.
        output
            .map(TxStats::from)
            .map_err(|err| napi::Error::from(JsError::from(to_js(err)).into_unknown(env)))
    }
}

/// Options of `attachCounter`.
#[napi(object)]
pub struct CounterOptions {
    /// What happens to a frame after it is counted.
    #[napi(ts_type = "'drop' | 'pass'")]
    pub action: String,
    /// Named network namespace (/var/run/netns/NAME) the interface is in.
    pub netns: Option<String>,
    /// Directory on bpffs to pin the counter in, so it outlives this process.
    pub pin_dir: Option<String>,
    /// Whether to read stamps (default true); false counts frames only, the
    /// cheapest counter, whose `stamps()` and `resetStamps()` throw.
    pub stamps: Option<bool>,
}

/// Receive totals over all CPUs.
#[napi(object)]
pub struct Counts {
    pub packets: f64,
    pub bytes: f64,
}

/// Attaches the XDP counter to an interface (natively if possible).
#[napi]
pub fn attach_counter(ifname: String, opts: CounterOptions) -> Result<Counter> {
    let verdict = receiver::Verdict::parse(&opts.action).map_err(to_js)?;
    let tracking = if opts.stamps.unwrap_or(true) {
        receiver::Tracking::Stamps
    } else {
        receiver::Tracking::CountOnly
    };
    let inner = receiver::Counter::attach(
        &ifname,
        verdict,
        tracking,
        opts.netns,
        opts.pin_dir.map(PathBuf::from),
    )
    .map_err(to_js)?;
    Ok(Counter { inner })
}

/// Opens a counter pinned by `attachCounter(..., { pinDir })`.
#[napi]
pub fn open_pinned_counter(pin_dir: String) -> Result<Counter> {
    let inner = receiver::Counter::open_pinned(&PathBuf::from(pin_dir)).map_err(to_js)?;
    Ok(Counter { inner })
}

/// Removes a pinned counter (detaching it); false if nothing was pinned there.
#[napi]
pub fn remove_pinned(pin_dir: String) -> Result<bool> {
    receiver::remove_pinned(&PathBuf::from(pin_dir)).map_err(to_js)
}

/// An XDP receive counter.
#[napi]
pub struct Counter {
    inner: receiver::Counter,
}

#[napi]
impl Counter {
    /// Where the program runs; null for a pinned counter whose link is gone.
    #[napi(getter, ts_return_type = "'native' | 'generic' | null")]
    pub fn mode(&self) -> Option<&'static str> {
        self.inner.mode().map(receiver::AttachMode::name)
    }

    /// Whether `stamps()` can be read: false for a count-only counter and
    /// for one pinned by an xdperf without stamps.
    #[napi(getter)]
    pub fn tracks_stamps(&self) -> bool {
        self.inner.tracks_stamps()
    }

    /// Attached (or pinned) with `stamps: false`: it counts frames only.
    #[napi(getter)]
    pub fn count_only(&self) -> bool {
        self.inner.count_only()
    }

    #[napi]
    pub fn counts(&self) -> Result<Counts> {
        let counts = self.inner.counts().map_err(to_js)?;
        Ok(Counts {
            packets: counts.packets as f64,
            bytes: counts.bytes as f64,
        })
    }

    /// Stamped frames (`xdperf run --stamp`) received, per stream, since
    /// the counter was attached or its stamps last reset: of the streams
    /// below `streams` (a run's, one per template), or of every one.
    #[napi]
    pub fn stamps(&self, streams: Option<u32>) -> Result<Stamps> {
        self.inner
            .stamps(streams.map(|n| n as usize))
            .map(Stamps::from)
            .map_err(to_js)
    }

    /// Zeroes every stream's stamp counts and latency histogram and the
    /// out-of-range count (the frame counts stay), so a run starts from
    /// zero on a counter that serves many (a pinned one).
    #[napi]
    pub fn reset_stamps(&mut self) -> Result<()> {
        self.inner.reset_stamps().map_err(to_js)
    }

    /// Detaches (and unpins) the program; the counts stay readable.
    #[napi]
    pub fn detach(&mut self) -> Result<()> {
        self.inner.detach().map_err(to_js)
    }
}

/// Stamped frames a counter received.
#[napi(object, use_nullable = true)]
pub struct Stamps {
    /// Every stream that received a stamped frame, by stream id.
    pub streams: Vec<StreamStamps>,
    /// Latency over every packet of those streams (their histograms
    /// added; jitter weighted by packets); null without a sample.
    pub total: Option<StreamLatency>,
    /// Valid stamps of a stream id the counter does not track (256 and up).
    pub stream_out_of_range: f64,
}

/// One stream's stamped frames.
#[napi(object, use_nullable = true)]
pub struct StreamStamps {
    /// The stream id (the sending template's index).
    pub stream: u32,
    /// The clock of the stream's last stamp.
    #[napi(ts_type = "'monotonic' | 'tai'")]
    pub clock: String,
    pub packets: f64,
    pub bytes: f64,
    /// Packets whose sequence number had been received before.
    pub duplicated: f64,
    /// Packets, not duplicates, below the highest sequence number received
    /// before them (RFC 4737), `beyondWindow` included.
    pub reordered: f64,
    /// Packets older than the duplicate window (4096 sequence numbers
    /// below the highest): reordered, not checked for duplication.
    pub beyond_window: f64,
    pub highest_seq: f64,
    /// Packets stamped after they were received: the sender's clock is
    /// ahead; they are no latency sample.
    pub clock_ahead: f64,
    /// One-way latency of first copies; null without a sample.
    pub latency: Option<StreamLatency>,
}

/// One-way latency of a stream, from its log-linear histogram: the
/// percentiles are within 1 % (a bucket's midpoint), min, max and mean
/// exact.
#[napi(object)]
pub struct StreamLatency {
    pub count: f64,
    pub min_ns: f64,
    /// Of every sample (exact below 2^53 ns, 104 days).
    pub sum_ns: f64,
    pub mean_ns: f64,
    pub p50_ns: f64,
    pub p90_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
    /// RFC 3550 interarrival jitter.
    pub jitter_ns: f64,
    /// The histogram's non-empty buckets, in order.
    pub histogram: Vec<LatencyBucket>,
}

/// Samples from `fromNs` up to, not including, `toNs` (the last bucket,
/// from about 274 s, also holds any larger value).
#[napi(object)]
pub struct LatencyBucket {
    pub from_ns: f64,
    pub to_ns: f64,
    pub count: f64,
}

impl From<receiver::StampCounts> for Stamps {
    fn from(counts: receiver::StampCounts) -> Self {
        Stamps {
            streams: counts.streams.into_iter().map(StreamStamps::from).collect(),
            total: counts.total.map(StreamLatency::from),
            stream_out_of_range: counts.stream_out_of_range as f64,
        }
    }
}

impl From<receiver::StreamStamps> for StreamStamps {
    fn from(s: receiver::StreamStamps) -> Self {
        StreamStamps {
            stream: u32::from(s.stream),
            clock: s.clock.name().to_string(),
            packets: s.packets as f64,
            bytes: s.bytes as f64,
            duplicated: s.duplicated as f64,
            reordered: s.reordered as f64,
            beyond_window: s.beyond_window as f64,
            highest_seq: s.highest_seq as f64,
            clock_ahead: s.clock_ahead as f64,
            latency: s.latency.map(StreamLatency::from),
        }
    }
}

impl From<receiver::LatencyStats> for StreamLatency {
    fn from(l: receiver::LatencyStats) -> Self {
        StreamLatency {
            count: l.count as f64,
            min_ns: l.min_ns as f64,
            sum_ns: l.sum_ns as f64,
            mean_ns: l.mean_ns,
            p50_ns: l.p50_ns as f64,
            p90_ns: l.p90_ns as f64,
            p99_ns: l.p99_ns as f64,
            p999_ns: l.p999_ns as f64,
            max_ns: l.max_ns as f64,
            jitter_ns: l.jitter_ns,
            histogram: l
                .histogram
                .into_iter()
                .map(|b| LatencyBucket {
                    from_ns: b.from_ns as f64,
                    to_ns: b.to_ns as f64,
                    count: b.count as f64,
                })
                .collect(),
        }
    }
}

/// Options of `attachImpairmentSteering`.
#[napi(object)]
pub struct ImpairmentSteeringOptions {
    /// The receiver's IPv4 address: IPv4 UDP to it is the flow impaired.
    pub receiver_ip: String,
    /// Named network namespace (/var/run/netns/NAME) the interface is in.
    pub netns: Option<String>,
    /// Directory on bpffs to pin the program and its socket map in.
    pub pin_dir: String,
}

/// Attaches the lab router's steering program to its ingress interface
/// (natively) and pins it: the test flow goes to the impairment forwarder
/// while one runs, everything else to the router's stack.
#[napi]
pub fn attach_impairment_steering(ifname: String, opts: ImpairmentSteeringOptions) -> Result<()> {
    let receiver = opts.receiver_ip.parse().map_err(|_| {
        to_js(error::Error::invalid(format!(
            "receiver address {:?}: not an IPv4 address",
            opts.receiver_ip
        )))
    })?;
    impair::attach_steering(&ifname, receiver, opts.netns, PathBuf::from(opts.pin_dir))
        .map_err(to_js)
}

/// An impairment spec, checked.
#[napi(object)]
pub struct ImpairmentDescription {
    /// As the forwarder reports it, e.g. "delay=5ms".
    pub spec: String,
    /// What it does, e.g. "drops every 50th frame".
    pub description: String,
}

/// Parses an impairment spec (drop=N, dup=N, swap=N, delay=D).
#[napi]
pub fn describe_impairment(spec: String) -> Result<ImpairmentDescription> {
    let impairment = impair::Impairment::parse(&spec).map_err(to_js)?;
    Ok(ImpairmentDescription {
        spec: impairment.to_string(),
        description: impairment.describe(),
    })
}

/// Options of `runImpairmentForwarder`.
#[napi(object)]
pub struct ImpairmentForwarderOptions {
    /// drop=N, dup=N, swap=N or delay=D.
    pub impairment: String,
    /// The router's named network namespace.
    pub netns: Option<String>,
    /// The interface the steering program is attached to.
    pub ingress: String,
    /// The interface towards the receiver.
    pub egress: String,
    /// The receiver's MAC, "aa:bb:cc:dd:ee:ff".
    pub receiver_mac: String,
    /// Where `attachImpairmentSteering` pinned the program.
    pub steering_pin_dir: String,
    /// Kept up to date with the forwarder's counts, one line of JSON.
    pub state_file: String,
}

/// Runs the lab router's impairment forwarder on the calling thread: it
/// returns only by throwing (an interface gone, a kernel call refused), so
/// it is meant for a process of its own, which scripts/lab.sh starts.
#[napi]
pub fn run_impairment_forwarder(opts: ImpairmentForwarderOptions) -> Result<()> {
    let config = impair::ForwarderConfig {
        impairment: impair::Impairment::parse(&opts.impairment).map_err(to_js)?,
        netns: opts.netns,
        receiver_mac: impair::parse_mac(&opts.receiver_mac).map_err(to_js)?,
        ingress: opts.ingress,
        egress: opts.egress,
        steering_pin_dir: PathBuf::from(opts.steering_pin_dir),
        state_file: PathBuf::from(opts.state_file),
    };
    impair::run(config).map_err(to_js)
}

/// One capability of an interface, found by trying it.
#[napi(object, use_nullable = true)]
pub struct ProbeCheck {
    /// null when it could not be tried or told.
    pub supported: Option<bool>,
    /// Why not (or why unknown); sometimes a note when supported.
    pub reason: Option<String>,
}

impl From<probe::Check> for ProbeCheck {
    fn from(check: probe::Check) -> Self {
        ProbeCheck {
            supported: check.supported,
            reason: check.reason,
        }
    }
}

/// The other end of a veth.
#[napi(object, use_nullable = true)]
pub struct VethPeer {
    pub ifindex: u32,
    pub name: Option<String>,
    /// Its /var/run/netns name; null in the same (or an unnamed) namespace.
    pub netns: Option<String>,
    /// Whether it has an XDP program: without one (or GRO), the veth drops
    /// every redirected frame, so the xdp engine would send nothing.
    pub xdp_program: ProbeCheck,
}

/// What an interface can do.
#[napi(object, use_nullable = true)]
pub struct ProbeResult {
    pub ifname: String,
    pub ifindex: u32,
    /// Kernel driver name, e.g. "veth".
    pub driver: String,
    /// "aa:bb:cc:dd:ee:ff"
    pub mac: String,
    pub mtu: u32,
    pub admin_up: bool,
    pub oper_up: bool,
    pub rx_queues: u32,
    pub tx_queues: u32,
    /// Mb/s; null when the driver reports none.
    pub link_speed_mbps: Option<u32>,
    pub link_speed_reason: Option<String>,
    /// An XDP program attaches in driver mode.
    pub xdp_native: ProbeCheck,
    /// An XDP program attaches in generic (skb) mode.
    pub xdp_generic: ProbeCheck,
    /// An AF_XDP socket binds queue 0 in zero-copy mode.
    pub afxdp_zero_copy: ProbeCheck,
    /// An AF_XDP socket binds queue 0 in copy mode.
    pub afxdp_copy: ProbeCheck,
    /// The kernel runs XDP live frames (BPF_PROG_RUN).
    pub live_frames: ProbeCheck,
    /// An AF_PACKET socket with a TX ring binds to the interface.
    pub packet_tx_ring: ProbeCheck,
    /// The interface takes redirected XDP frames, what the xdp engine sends.
    pub xdp_redirect_target: ProbeCheck,
    /// null unless the interface is a veth.
    pub veth_peer: Option<VethPeer>,
}

/// Finds out what interface `ifname` (in this process's namespace) can do,
/// by trying each thing; sends nothing. Throws if the interface cannot be
/// described (e.g. it does not exist), or with ERR_XDPERF_PERMISSION_DENIED
/// if the process may try none of it (not root); a single attempt refused
/// for want of a capability is `supported: null` with the reason.
#[napi]
pub fn probe(ifname: String) -> Result<ProbeResult> {
    let found = probe::probe(&ifname).map_err(to_js)?;
    let device = found.device;
    Ok(ProbeResult {
        mac: device.mac_string(),
        ifname: device.name,
        ifindex: device.ifindex,
        driver: device.driver,
        mtu: device.mtu,
        admin_up: device.admin_up,
        oper_up: device.oper_up,
        rx_queues: device.rx_queues,
        tx_queues: device.tx_queues,
        link_speed_mbps: found.link_speed_mbps,
        link_speed_reason: found.link_speed_reason,
        xdp_native: found.xdp_native.into(),
        xdp_generic: found.xdp_generic.into(),
        afxdp_zero_copy: found.afxdp_zero_copy.into(),
        afxdp_copy: found.afxdp_copy.into(),
        live_frames: found.live_frames.into(),
        packet_tx_ring: found.packet_tx_ring.into(),
        xdp_redirect_target: found.xdp_redirect_target.into(),
        veth_peer: found.veth_peer.map(|peer| VethPeer {
            ifindex: peer.ifindex,
            name: peer.name,
            netns: peer.netns,
            xdp_program: peer.xdp_program.into(),
        }),
    })
}

/// Pins the calling (JavaScript) thread to `cpu` and moves the process's
/// other threads off it, until `release()`: what `--cpus` does for the raw
/// engine, whose pacer runs on Node's main thread.
#[napi]
pub fn reserve_cpu(cpu: u32) -> Result<CpuReservation> {
    let reserved = cpu::reserve_for_current_thread(cpu).map_err(to_js)?;
    Ok(CpuReservation {
        reserved: Some(reserved),
    })
}

#[napi]
pub struct CpuReservation {
    reserved: Option<cpu::ReservedCpu>,
}

#[napi]
impl CpuReservation {
    /// Gives every thread its CPUs back (idempotent).
    #[napi]
    pub fn release(&mut self) {
        if let Some(reserved) = self.reserved.take() {
            reserved.release();
        }
    }
}
