//! What an interface can do, found by trying each thing rather than guessing
//! from the driver's name: attach an XDP program natively and generically
//! (and detach it), bind an AF_XDP socket in zero-copy and in copy mode
//! (and close it), run one dropped live frame, set up an AF_PACKET TX ring,
//! read the XDP features that say whether redirected frames are accepted,
//! and, for a veth, look at its peer. Nothing is sent.
//!
//! Attaching XDP and binding AF_XDP reconfigure some NICs' queues for a
//! moment; on the lab's veths they are instant.

use std::fs;

use aya::programs::{TestRun, TestRunAttrs, TestRunOptions, Xdp, XdpMode};
use aya::{Ebpf, EbpfLoader};

use crate::error::{describe_errno, errno_in, Error, ErrorKind, Result};
use crate::kernel::bpf::{self, load_xdp};
use crate::kernel::device::{device_info, DeviceInfo};
use crate::kernel::netlink::{self, XdpAttachment, XDP_FEATURE_NDO_XMIT};
use crate::kernel::packet_ring::{RingGeometry, TxRing};
use crate::kernel::veth::{self, VethPeer};
use crate::kernel::xsk;
use crate::plan::MIN_FRAME_LEN;

static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xdp_probe.o"));
const PASS_PROGRAM: &str = "xdperf_probe_pass";
const DROP_PROGRAM: &str = "xdperf_probe_drop";
const PROBE_QUEUE: u32 = 0;

/// One capability: supported, not, or unknown, and why when not (or unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub supported: Option<bool>,
    pub reason: Option<String>,
    /// It could not be tried: the process lacks a capability.
    denied: bool,
}

impl Check {
    fn yes() -> Check {
        Check {
            supported: Some(true),
            reason: None,
            denied: false,
        }
    }

    fn yes_because(reason: impl Into<String>) -> Check {
        Check {
            reason: Some(reason.into()),
            ..Check::yes()
        }
    }

    fn no(reason: impl Into<String>) -> Check {
        Check {
            supported: Some(false),
            reason: Some(reason.into()),
            denied: false,
        }
    }

    fn unknown(reason: impl Into<String>) -> Check {
        Check {
            supported: None,
            reason: Some(reason.into()),
            denied: false,
        }
    }

    /// A refused attempt: not supported, or unknown when the refusal was
    /// for want of a capability (the attempt says nothing of the device).
    fn refused(errno: i32, reason: impl Into<String>) -> Check {
        if errno == libc::EPERM || errno == libc::EACCES {
            Check {
                denied: true,
                ..Check::unknown(reason)
            }
        } else {
            Check::no(reason)
        }
    }

    /// `refused` for an engine error.
    fn refused_with(err: &Error) -> Check {
        if err.kind == ErrorKind::PermissionDenied {
            Check::refused(libc::EPERM, err.message.clone())
        } else {
            Check::unknown(err.message.clone())
        }
    }
}

/// A veth's peer, as the probe found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerProbe {
    pub ifindex: u32,
    pub name: Option<String>,
    pub netns: Option<String>,
    /// Whether the peer has an XDP program (without one, or GRO, the veth
    /// drops redirected and live frames).
    pub xdp_program: Check,
}

/// Everything the probe found.
#[derive(Debug, Clone)]
pub struct Probe {
    pub device: DeviceInfo,
    pub link_speed_mbps: Option<u32>,
    pub link_speed_reason: Option<String>,
    pub xdp_native: Check,
    pub xdp_generic: Check,
    pub afxdp_zero_copy: Check,
    pub afxdp_copy: Check,
    pub live_frames: Check,
    pub packet_tx_ring: Check,
    /// The device takes redirected XDP frames (the xdp engine's output).
    pub xdp_redirect_target: Check,
    pub veth_peer: Option<PeerProbe>,
}

/// The tiny programs the probe (and the xdp engine's template check) use.
pub struct ProbePrograms {
    ebpf: Ebpf,
}

impl ProbePrograms {
    pub fn load() -> Result<ProbePrograms> {
        let subject = "XDP probe programs";
        let mut ebpf = EbpfLoader::new()
            .load(OBJECT)
            .map_err(|err| bpf::load_error(subject, &err))?;
        for name in [PASS_PROGRAM, DROP_PROGRAM] {
            load_xdp(&mut ebpf, name, subject)?;
        }
        Ok(ProbePrograms { ebpf })
    }

    fn xdp(&self, name: &str) -> &Xdp {
        self.ebpf
            .program(name)
            .and_then(|program| program.try_into().ok())
            .expect("loaded in load")
    }

    fn xdp_mut(&mut self, name: &str) -> &mut Xdp {
        self.ebpf
            .program_mut(name)
            .and_then(|program| program.try_into().ok())
            .expect("loaded in load")
    }

    /// Runs the drop program on one live copy of `frame`: Ok where the
    /// kernel takes it as a live frame. It never reaches a wire.
    pub fn run_dropped_live_frame(&self, frame: &[u8]) -> std::result::Result<(), i32> {
        let options = TestRunOptions {
            data_in: Some(frame),
            repeat: 1,
            attrs: TestRunAttrs::new().xdp_live_frames(1),
            ..TestRunOptions::new()
        };
        self.xdp(DROP_PROGRAM)
            .test_run(options)
            .map(drop)
            .map_err(|err| errno_in(&err).unwrap_or(libc::EIO))
    }

    /// Attaches the pass program to `ifindex` in `mode`, calls `while_attached`,
    /// and detaches it again. The errno if the attach failed.
    fn with_pass_attached<T>(
        &mut self,
        ifindex: u32,
        mode: XdpMode,
        while_attached: impl FnOnce() -> T,
    ) -> std::result::Result<T, i32> {
        let program = self.xdp_mut(PASS_PROGRAM);
        let link = program
            .attach_to_if_index(ifindex, mode)
            .map_err(|err| errno_in(&err).unwrap_or(libc::EIO))?;
        let result = while_attached();
        program
            .detach(link)
            .map_err(|err| errno_in(&err).unwrap_or(libc::EIO))?;
        Ok(result)
    }
}

/// Probes interface `ifname` in the calling thread's namespace. Fails when
/// the interface cannot be described at all, or when the process may try
/// none of the capabilities.
pub fn probe(ifname: &str) -> Result<Probe> {
    let device = device_info(ifname)?;
    let ifindex = device.ifindex;
    let facts = netlink::link_facts(ifindex, None)
        .map_err(|errno| Error::from_errno(&format!("interface {ifname}"), errno))?;
    let (link_speed_mbps, link_speed_reason) = link_speed(ifname);
    let features = netlink::xdp_features(ifindex);

    let mut programs = ProbePrograms::load();
    let (xdp_native, features_while_attached) = match &mut programs {
        Ok(programs) => try_native(programs, ifindex, facts.xdp, &features),
        Err(err) => (Check::refused_with(err), None),
    };
    let xdp_generic = match &mut programs {
        Ok(programs) => try_generic(programs, ifindex, facts.xdp),
        Err(err) => Check::refused_with(err),
    };
    let live_frames = match &programs {
        Ok(programs) => match programs.run_dropped_live_frame(&[0u8; MIN_FRAME_LEN]) {
            Ok(()) => Check::yes(),
            Err(libc::EINVAL) => Check::no(
                "BPF_PROG_RUN refused live frames: invalid argument (needs Linux 5.18 or later)",
            ),
            Err(errno) => Check::refused(
                errno,
                format!("BPF_PROG_RUN live frames: {}", describe_errno(errno)),
            ),
        },
        Err(err) => Check::refused_with(err),
    };
    let afxdp_zero_copy = try_afxdp(ifindex, &device.driver, true);
    let afxdp_copy = try_afxdp(ifindex, &device.driver, false);
    let packet_tx_ring = match TxRing::open(ifname, ifindex, RingGeometry::new(MIN_FRAME_LEN, 1, 1))
    {
        Ok(_) => Check::yes(),
        Err(err) if err.kind == ErrorKind::PermissionDenied => Check::refused_with(&err),
        Err(err) => Check::no(err.message),
    };
    let tried = [
        &xdp_native,
        &xdp_generic,
        &live_frames,
        &afxdp_zero_copy,
        &afxdp_copy,
        &packet_tx_ring,
    ];
    if tried.iter().all(|check| check.denied) {
        return Err(Error::from_errno(
            &format!("interface {ifname}: probe"),
            libc::EPERM,
        ));
    }
    let peer = veth::peer_of(&facts);
    let xdp_redirect_target = redirect_target(
        &features,
        features_while_attached,
        peer.as_ref(),
        &device.driver,
    );
    Ok(Probe {
        device,
        link_speed_mbps,
        link_speed_reason,
        xdp_native,
        xdp_generic,
        afxdp_zero_copy,
        afxdp_copy,
        live_frames,
        packet_tx_ring,
        xdp_redirect_target,
        veth_peer: peer.as_ref().map(peer_probe),
    })
}

/// Mb/s from sysfs (the kernel asks the driver, as ethtool does); None when
/// the driver does not know (-1, or no file).
fn link_speed(ifname: &str) -> (Option<u32>, Option<String>) {
    let path = format!("/sys/class/net/{ifname}/speed");
    match fs::read_to_string(&path) {
        Ok(text) => match text.trim().parse::<i64>() {
            Ok(speed) if speed > 0 => (Some(speed as u32), None),
            _ => (None, Some("the driver reports no link speed".into())),
        },
        // The kernel answers EINVAL when the driver has no speed to give.
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => {
            (None, Some("the driver reports no link speed".into()))
        }
        Err(err) => (
            None,
            Some(format!(
                "{path}: {}",
                describe_errno(err.raw_os_error().unwrap_or(0))
            )),
        ),
    }
}

/// Driver-mode attach, and the XDP features while attached (some drivers
/// take redirected frames only with a program attached).
fn try_native(
    programs: &mut ProbePrograms,
    ifindex: u32,
    attached: XdpAttachment,
    features: &std::result::Result<Option<u64>, i32>,
) -> (Check, Option<u64>) {
    if let Some(program) = attached.describe() {
        let check = if matches!(attached, XdpAttachment::Driver(_)) {
            Check::yes_because(format!(
                "an XDP program ({program}) is attached; left in place"
            ))
        } else {
            Check::unknown(format!("not tried: an XDP program ({program}) is attached"))
        };
        return (check, (*features).ok().flatten());
    }
    match programs.with_pass_attached(ifindex, XdpMode::Driver, || {
        netlink::xdp_features(ifindex).ok().flatten()
    }) {
        Ok(features) => (Check::yes(), features),
        Err(errno) => (
            Check::refused(
                errno,
                format!("driver-mode attach: {}", describe_errno(errno)),
            ),
            None,
        ),
    }
}

fn try_generic(programs: &mut ProbePrograms, ifindex: u32, attached: XdpAttachment) -> Check {
    if let Some(program) = attached.describe() {
        return if matches!(attached, XdpAttachment::Generic(_)) {
            Check::yes_because(format!(
                "an XDP program ({program}) is attached; left in place"
            ))
        } else {
            Check::unknown(format!("not tried: an XDP program ({program}) is attached"))
        };
    }
    match programs.with_pass_attached(ifindex, XdpMode::Skb, || ()) {
        Ok(()) => Check::yes(),
        Err(errno) => Check::refused(
            errno,
            format!("generic-mode attach: {}", describe_errno(errno)),
        ),
    }
}

fn try_afxdp(ifindex: u32, driver: &str, zero_copy: bool) -> Check {
    let what = if zero_copy { "zero-copy" } else { "copy" };
    match xsk::try_bind(ifindex, PROBE_QUEUE, zero_copy) {
        Ok(()) => Check::yes(),
        Err(libc::EBUSY) => Check::unknown(format!(
            "{what} bind on queue {PROBE_QUEUE}: busy (another AF_XDP socket holds the queue)"
        )),
        Err(libc::EOPNOTSUPP) if zero_copy => Check::no(format!(
            "{what} bind on queue {PROBE_QUEUE}: {} ({} has no zero-copy support)",
            describe_errno(libc::EOPNOTSUPP),
            driver_phrase(driver)
        )),
        Err(errno) => Check::refused(
            errno,
            format!(
                "{what} bind on queue {PROBE_QUEUE}: {}",
                describe_errno(errno)
            ),
        ),
    }
}

/// Whether an interface takes redirected XDP frames, what the xdp engine
/// sends: the one judgment the prober reports and the engine refuses an
/// interface by. `features` are the interface's XDP features now,
/// `while_attached` those while a program is attached to it (when that
/// was tried); without features (Linux before 6.3), a veth peer's XDP
/// program decides.
pub fn redirect_target(
    features: &std::result::Result<Option<u64>, i32>,
    while_attached: Option<u64>,
    peer: Option<&VethPeer>,
    driver: &str,
) -> Check {
    let now = match features {
        Ok(Some(bits)) => bits & XDP_FEATURE_NDO_XMIT != 0,
        Ok(None) | Err(_) => {
            if let Some(peer_has_program) = peer.and_then(VethPeer::has_xdp_program) {
                return if peer_has_program {
                    Check::yes_because("its veth peer has an XDP program")
                } else {
                    Check::no(no_peer_program(peer.expect("a peer answered")))
                };
            }
            return match features {
                Err(errno) => Check::unknown(format!("XDP features: {}", describe_errno(*errno))),
                _ => {
                    Check::unknown("the kernel reports no XDP features (needs Linux 6.3 or later)")
                }
            };
        }
    };
    if now {
        return Check::yes();
    }
    if while_attached.is_some_and(|bits| bits & XDP_FEATURE_NDO_XMIT != 0) {
        return Check::yes_because(
            "only while an XDP program is attached to it (the xdp engine attaches one for the run)",
        );
    }
    match peer {
        Some(peer) => Check::no(no_peer_program(peer)),
        None => Check::no(format!(
            "{} does not take redirected XDP frames (no ndo_xdp_xmit in its XDP features)",
            driver_phrase(driver)
        )),
    }
}

fn no_peer_program(peer: &VethPeer) -> String {
    format!(
        "its veth peer {} has no XDP program (nor GRO), so it drops redirected frames (attach one there, e.g. an xdperf counter)",
        peer.describe()
    )
}

/// "the veth driver", or "its driver" for an interface without a driver name.
fn driver_phrase(driver: &str) -> String {
    if driver.is_empty() {
        "its driver".into()
    } else {
        format!("the {driver} driver")
    }
}

fn peer_probe(peer: &VethPeer) -> PeerProbe {
    let xdp_program = match &peer.facts {
        Ok(facts) => match facts.xdp.describe() {
            Some(program) => Check::yes_because(program),
            None => Check::no(
                "no XDP program: frames redirected to the veth (xdp engine, XDP_REDIRECT) are dropped unless the peer has GRO on",
            ),
        },
        Err(errno) => Check::unknown(format!(
            "cannot look at the peer (ifindex {}): {}",
            peer.ifindex,
            describe_errno(*errno)
        )),
    };
    PeerProbe {
        ifindex: peer.ifindex,
        name: peer.facts.as_ref().ok().map(|facts| facts.name.clone()),
        netns: peer.netns.clone(),
        xdp_program,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_for_want_of_a_capability_is_no_verdict() {
        let denied = Check::refused(libc::EPERM, "copy bind on queue 0: operation not permitted");
        assert_eq!(denied.supported, None);
        assert!(denied.denied);
        let refused = Check::refused(libc::EOPNOTSUPP, "driver-mode attach: not supported");
        assert_eq!(refused.supported, Some(false));
        assert!(!refused.denied);
    }

    #[test]
    fn redirect_target_explains_itself() {
        let ndo_xmit = Ok(Some(XDP_FEATURE_NDO_XMIT | 1));
        let basic = Ok(Some(1));
        assert_eq!(redirect_target(&ndo_xmit, None, None, "veth"), Check::yes());
        assert_eq!(
            redirect_target(&basic, Some(XDP_FEATURE_NDO_XMIT), None, "i40e").supported,
            Some(true)
        );
        let refused = redirect_target(&basic, Some(1), None, "virtio_net");
        assert_eq!(refused.supported, Some(false));
        assert!(refused.reason.unwrap().contains("virtio_net"));
        assert_eq!(
            redirect_target(&Ok(None), None, None, "veth").supported,
            None
        );
    }
}
