//! The transmit plan as the controller sends it, and its validation against
//! the device into what the engine runs.

use crate::device::DeviceInfo;
use crate::error::{Error, ErrorKind, Result};
use crate::pacer::RATE_SCALE;
use crate::xsk::{ModeRequest, RING_SIZE};

/// Frames shorter than the Ethernet minimum (without FCS) are zero-padded.
pub const MIN_FRAME_LEN: usize = 60;
/// The Ethernet header the MTU does not count.
const ETH_HEADER_LEN: usize = 14;
/// A VLAN tag (802.1Q / 802.1ad) adds this to what the MTU allows.
const VLAN_TAG_LEN: usize = 4;
/// Largest UMEM frame: AF_XDP frames cannot exceed a page.
const MAX_FRAME_SIZE: u32 = 4096;
const SMALL_FRAME_SIZE: u32 = 2048;
/// Each template takes at least one UMEM frame per queue.
pub const MAX_TEMPLATES: usize = 16_384;
/// A batch is at most half the TX ring, so the next one can be queued
/// while the kernel sends the previous one.
pub const MAX_BATCH: u32 = RING_SIZE / 2;
/// Largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// One template as given: a full Ethernet frame without FCS and its weight.
#[derive(Debug, Clone)]
pub struct TemplateRequest {
    pub frame: Vec<u8>,
    pub weight: f64,
}

/// The plan as the controller gives it (mirrors the JavaScript `TxPlan`).
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub ifname: String,
    pub queues: Vec<u32>,
    pub cpus: Option<Vec<u32>>,
    pub batch: u32,
    pub xdp_mode: String,
    pub templates: Vec<TemplateRequest>,
    pub pps: Option<f64>,
    pub bps: Option<f64>,
    pub count: Option<f64>,
    pub duration_ms: Option<f64>,
}

/// A validated plan.
#[derive(Debug, Clone)]
pub struct TxPlan {
    pub ifname: String,
    pub ifindex: u32,
    pub queues: Vec<u32>,
    pub cpus: Option<Vec<u32>>,
    pub batch: u32,
    pub mode: ModeRequest,
    /// Templates padded to [`MIN_FRAME_LEN`].
    pub frames: Vec<Vec<u8>>,
    pub weights: Vec<u64>,
    /// UMEM frame size that holds the largest template.
    pub frame_size: u32,
    /// Rate of each thread in packets per 1000 s, if paced.
    pub thread_rates: Option<Vec<u64>>,
    pub count: Option<u64>,
    pub duration_ns: Option<u64>,
}

impl TxPlan {
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
    validate_queues(&request.queues, device)?;
    if let Some(cpus) = &request.cpus {
        if cpus.len() != request.queues.len() {
            return Err(Error::invalid(format!(
                "cpus: {} given for {} queues (need one per queue)",
                cpus.len(),
                request.queues.len()
            )));
        }
    }
    if request.batch == 0 || request.batch > MAX_BATCH {
        return Err(Error::invalid(format!(
            "batch {} out of range (1..{MAX_BATCH})",
            request.batch
        )));
    }
    let mode = match request.xdp_mode.as_str() {
        "auto" => ModeRequest::Auto,
        "zerocopy" => ModeRequest::ZeroCopy,
        "copy" => ModeRequest::Copy,
        other => {
            return Err(Error::invalid(format!(
                "xdpMode {other:?}: must be \"auto\", \"zerocopy\" or \"copy\""
            )))
        }
    };
    let (frames, weights) = validate_templates(&request.templates, device)?;
    let largest = frames.iter().map(Vec::len).max().unwrap_or(MIN_FRAME_LEN) as u32;
    let frame_size = if largest <= SMALL_FRAME_SIZE {
        SMALL_FRAME_SIZE
    } else {
        MAX_FRAME_SIZE
    };
    let total_rate = total_rate_milli_pps(request.pps, request.bps, &frames, &weights)?;
    let thread_rates = match total_rate {
        Some(rate) => Some(split_rate(rate, request.queues.len())?),
        None => None,
    };
    let count = match request.count {
        Some(count) => Some(positive_integer("count", count)?),
        None => None,
    };
    let duration_ns = match request.duration_ms {
        Some(ms) if ms.is_finite() && ms > 0.0 => Some((ms * 1e6).round() as u64),
        Some(ms) => {
            return Err(Error::invalid(format!(
                "durationMs {ms}: must be a positive number"
            )))
        }
        None => None,
    };
    Ok(TxPlan {
        ifname: device.name.clone(),
        ifindex: device.ifindex,
        queues: request.queues,
        cpus: request.cpus,
        batch: request.batch,
        mode,
        frames,
        weights,
        frame_size,
        thread_rates,
        count,
        duration_ns,
    })
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

fn validate_templates(
    templates: &[TemplateRequest],
    device: &DeviceInfo,
) -> Result<(Vec<Vec<u8>>, Vec<u64>)> {
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
        if len > MAX_FRAME_SIZE as usize {
            return Err(Error::invalid(format!(
                "template {index}: frame of {len} bytes exceeds the AF_XDP frame size ({MAX_FRAME_SIZE})"
            )));
        }
        let mut frame = template.frame.clone();
        frame.resize(len.max(MIN_FRAME_LEN), 0);
        frames.push(frame);
        weights.push(positive_integer(
            &format!("template {index}: weight"),
            template.weight,
        )?);
    }
    Ok((frames, weights))
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
        (Some(_), Some(_)) => return Err(Error::invalid("pps and bps: give one rate, not both")),
        (Some(pps), None) => {
            if !(pps.is_finite() && pps > 0.0) {
                return Err(Error::invalid(format!(
                    "pps {pps}: must be a positive number"
                )));
            }
            pps
        }
        (None, Some(bps)) => {
            if !(bps.is_finite() && bps > 0.0) {
                return Err(Error::invalid(format!(
                    "bps {bps}: must be a positive number"
                )));
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

fn positive_integer(what: &str, value: f64) -> Result<u64> {
    if value.is_finite() && value >= 1.0 && value.fract() == 0.0 && value <= MAX_SAFE_INTEGER {
        Ok(value as u64)
    } else {
        Err(Error::invalid(format!(
            "{what} {value}: must be a positive integer"
        )))
    }
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
            ifname: "xdperf0".into(),
            queues: vec![0],
            cpus: None,
            batch: 64,
            xdp_mode: "auto".into(),
            templates: vec![TemplateRequest {
                frame: vec![0xab; 42],
                weight: 1.0,
            }],
            pps: None,
            bps: None,
            count: Some(1000.0),
            duration_ms: None,
        }
    }

    #[test]
    fn short_frames_are_padded_to_60() {
        let plan = validate(request(), &veth(1)).unwrap();
        assert_eq!(plan.frames[0].len(), 60);
        assert_eq!(&plan.frames[0][..42], &[0xab; 42][..]);
        assert!(plan.frames[0][42..].iter().all(|&b| b == 0));
        assert_eq!(plan.frame_size, 2048);
        assert_eq!(plan.count, Some(1000));
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
            },
            TemplateRequest {
                frame: vec![0; 1500],
                weight: 1.0,
            },
        ];
        // mean = (3 × 60 + 1500) / 4 = 420 bytes = 3360 bits
        r.bps = Some(3_360_000.0);
        r.queues = vec![0, 1];
        let plan = validate(r, &veth(2)).unwrap();
        assert_eq!(plan.thread_rates, Some(vec![500_000, 500_000]));
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
        assert_eq!(
            validate(r, &veth(1)).unwrap_err().message,
            "batch 0 out of range (1..1024)"
        );
        let mut r = request();
        r.count = Some(1.5);
        assert_eq!(
            validate(r, &veth(1)).unwrap_err().message,
            "count 1.5: must be a positive integer"
        );
        let mut r = request();
        r.pps = Some(1.0);
        r.bps = Some(1.0);
        assert!(validate(r, &veth(1)).is_err());
        let mut r = request();
        r.xdp_mode = "fast".into();
        assert!(validate(r, &veth(1)).is_err());
    }
}
