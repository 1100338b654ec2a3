//! xdperf's native core, as seen from JavaScript. This file only converts
//! between napi types and the engine's, and delegates: the transmit engine
//! is in session.rs (and the modules it uses), the receive counter in
//! receiver.rs, interface facts in device.rs.

mod cpu;
mod device;
mod error;
mod frames;
mod netns;
mod pacer;
mod plan;
mod receiver;
mod schedule;
mod session;
mod stats;
mod tx_loop;
mod umem;
mod xsk;

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, JsError, Task};
use napi_derive::napi;

/// Errors reach JavaScript as `Error` with `code` set to a stable
/// `ERR_XDPERF_*` string and a one-line message. (Named `Result` because
/// napi-derive recognises fallible functions by that name.)
type Result<T> = napi::Result<T, &'static str>;

fn to_js(err: error::Error) -> napi::Error<&'static str> {
    napi::Error::new(err.kind.code(), err.message)
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

/// A packet template: a full Ethernet frame without FCS, and its weight in the mix.
#[napi(object)]
pub struct Template {
    pub frame: Buffer,
    /// Positive integer.
    pub weight: f64,
}

/// What to send, where, how fast and for how long.
#[napi(object)]
pub struct TxPlan {
    pub ifname: String,
    /// TX queues, one AF_XDP socket and thread each.
    pub queues: Vec<u32>,
    /// CPU for the thread of each queue (same length as `queues`).
    pub cpus: Option<Vec<u32>>,
    /// Descriptors per TX ring submission (1..1024), typically 64.
    pub batch: u32,
    #[napi(ts_type = "'auto' | 'zerocopy' | 'copy'")]
    pub xdp_mode: String,
    pub templates: Vec<Template>,
    /// Packets per second over all queues.
    pub pps: Option<f64>,
    /// L2 bits per second (frames padded to 60 bytes, no FCS/preamble).
    pub bps: Option<f64>,
    /// Exact number of packets over all queues.
    pub count: Option<f64>,
    pub duration_ms: Option<f64>,
}

/// Transmit totals over all queues.
#[napi(object)]
pub struct TxStats {
    pub elapsed_ns: f64,
    /// Frames submitted to the TX rings.
    pub packets: f64,
    /// L2 bytes of the submitted frames (padded to 60, no FCS).
    pub bytes: f64,
    pub batches: f64,
    pub kicks: f64,
    pub ring_full: f64,
    /// Frames the kernel reported sent (equals `packets` once finished).
    pub completions: f64,
    pub errors: f64,
    /// Packets per template, in template order.
    pub per_template: Vec<f64>,
    pub running: bool,
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
            per_template: s.per_template.into_iter().map(|c| c as f64).collect(),
            running: s.running,
        }
    }
}

/// Validates the plan, binds one AF_XDP socket per queue and starts sending.
#[napi]
pub fn start_tx(plan: TxPlan) -> Result<TxSession> {
    let request = plan::PlanRequest {
        ifname: plan.ifname,
        queues: plan.queues,
        cpus: plan.cpus,
        batch: plan.batch,
        xdp_mode: plan.xdp_mode,
        templates: plan
            .templates
            .into_iter()
            .map(|t| plan::TemplateRequest {
                frame: t.frame.to_vec(),
                weight: t.weight,
            })
            .collect(),
        pps: plan.pps,
        bps: plan.bps,
        count: plan.count,
        duration_ms: plan.duration_ms,
    };
    let inner = session::TxSession::start(request).map_err(to_js)?;
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
    /// The AF_XDP mode the sockets were bound in.
    #[napi(getter, ts_return_type = "'zerocopy' | 'copy'")]
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
    let inner = receiver::Counter::attach(
        &ifname,
        verdict,
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

    #[napi]
    pub fn counts(&self) -> Result<Counts> {
        let counts = self.inner.counts().map_err(to_js)?;
        Ok(Counts {
            packets: counts.packets as f64,
            bytes: counts.bytes as f64,
        })
    }

    /// Detaches (and unpins) the program; the counts stay readable.
    #[napi]
    pub fn detach(&mut self) -> Result<()> {
        self.inner.detach().map_err(to_js)
    }
}
