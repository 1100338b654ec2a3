//! The impairment forwarder: takes the test flow the steering program sends
//! to its AF_XDP sockets on the router's ingress, routes each frame as the
//! router would (receiver's MAC, router's egress MAC, TTL − 1), puts it
//! through the impairment stage and sends what comes out on the egress
//! interface. It runs until an error; its state file says what it has done.

use std::collections::VecDeque;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::impair::impairment::{Impairment, Output, Stage};
use crate::impair::steering::SteeringSockets;
use crate::kernel::device::{self, LinkState};
use crate::kernel::netns;
use crate::kernel::xsk::Kick;
use crate::kernel::xsk_relay::{Frame, XskRelay};

/// UMEM frames beyond the rings', for the frames held: 100 ms (the longest
/// delay) at 160,000 packets/s.
const HELD_FRAMES: u32 = 16_384;
/// Frames taken from each RX ring per round.
const BATCH: u32 = 64;
/// How often the state file is brought up to date (when the counts have
/// changed) and the ingress interface looked at: also the longest sleep.
const STATE_INTERVAL: Duration = Duration::from_millis(50);
/// The wait while frames wait for room in the TX ring or on the device.
const BUSY_WAIT: Duration = Duration::from_micros(50);
/// The wait while the kernel still holds frames sent: they come back to be
/// received into again and counted as sent, which is not urgent.
const COMPLETION_WAIT: Duration = Duration::from_millis(1);
const ETH_HEADER: usize = 14;
const TTL_OFFSET: usize = ETH_HEADER + 8;
const IP_CHECKSUM_OFFSET: usize = ETH_HEADER + 10;

/// Where the forwarder works and what it does.
pub struct ForwarderConfig {
    pub impairment: Impairment,
    /// The router's namespace (/var/run/netns/NAME).
    pub netns: Option<String>,
    /// The interface the steering program is attached to.
    pub ingress: String,
    /// The interface towards the receiver.
    pub egress: String,
    pub receiver_mac: [u8; 6],
    /// Where the steering program's socket map is pinned.
    pub steering_pin_dir: PathBuf,
    /// Rewritten (whole, by rename) with the counts as JSON.
    pub state_file: PathBuf,
}

/// Binds the sockets, steers the flow to them and forwards until an error.
pub fn run(config: ForwarderConfig) -> Result<()> {
    let netns = config.netns.clone();
    netns::run_in(netns.as_deref(), move || {
        let ingress = device::endpoint(&config.ingress)?;
        let egress = device::endpoint(&config.egress)?;
        let relay = XskRelay::open(
            (&config.ingress, ingress.ifindex, ingress.rx_queues),
            (&config.egress, egress.ifindex),
            HELD_FRAMES,
        )?;
        let mut steering = SteeringSockets::open(&config.steering_pin_dir)?;
        let mut forwarder = Forwarder {
            stage: Stage::new(config.impairment),
            relay,
            free: Vec::new(),
            backlog: VecDeque::new(),
            in_kernel: 0,
            sent: 0,
            copies_missed: 0,
            source_mac: egress.mac,
            receiver_mac: config.receiver_mac,
            ingress_index: ingress.ifindex,
            config,
        };
        forwarder.free.extend(forwarder.relay.frame_addresses());
        // The fill rings first, so the first frame steered has a frame to land in.
        forwarder.relay.refill(&mut forwarder.free);
        for (queue, socket) in forwarder.relay.receiving_sockets() {
            steering.steer(queue, socket)?;
        }
        forwarder.run()
    })
}

struct Forwarder {
    stage: Stage<Frame>,
    relay: XskRelay,
    /// Frames nobody owns, to fill the fill rings and to copy into.
    free: Vec<u64>,
    /// Frames to send that the TX ring had no room for yet, in order.
    backlog: VecDeque<Frame>,
    /// Frames in the TX ring or being sent, not completed yet.
    in_kernel: u64,
    sent: u64,
    /// Duplicates not sent for want of a free frame.
    copies_missed: u64,
    source_mac: [u8; 6],
    receiver_mac: [u8; 6],
    ingress_index: u32,
    config: ForwarderConfig,
}

impl Forwarder {
    fn run(&mut self) -> Result<()> {
        let start = Instant::now();
        let mut arrivals = Vec::with_capacity(BATCH as usize);
        let mut outputs = Vec::new();
        // The first state file tells scripts/lab.sh the forwarder is ready.
        let mut state_written = self.state()?;
        self.write_state(&state_written)?;
        let mut looked = Instant::now();
        loop {
            self.relay.receive(BATCH, |frame| arrivals.push(frame));
            let now = start.elapsed();
            for frame in arrivals.drain(..) {
                route(
                    self.relay.packet_mut(frame),
                    &self.receiver_mac,
                    &self.source_mac,
                );
                self.stage.arrive(now, frame, &mut outputs);
            }
            self.stage.release_due(now, &mut outputs);
            for output in outputs.drain(..) {
                match output {
                    Output::Send(frame) => self.backlog.push_back(frame),
                    Output::SendTwice(frame) => {
                        self.backlog.push_back(frame);
                        match self.free.pop() {
                            Some(into) => self.backlog.push_back(self.relay.copy(frame, into)),
                            None => self.copies_missed += 1,
                        }
                    }
                    Output::Discard(frame) => self.free.push(frame.start()),
                }
            }
            self.transmit()?;
            let completed = self.relay.reap(|start| self.free.push(start));
            self.in_kernel -= u64::from(completed);
            self.sent += u64::from(completed);
            self.relay.refill(&mut self.free);

            if looked.elapsed() >= STATE_INTERVAL {
                looked = Instant::now();
                self.check_ingress()?;
                let state = self.state()?;
                if state != state_written {
                    self.write_state(&state)?;
                    state_written = state;
                }
            }

            let mut wait = STATE_INTERVAL.saturating_sub(looked.elapsed());
            if !self.backlog.is_empty() || self.relay.unsent() > 0 {
                wait = wait.min(BUSY_WAIT);
            } else if self.in_kernel > 0 {
                wait = wait.min(COMPLETION_WAIT);
            }
            if let Some(due) = self.stage.next_due() {
                wait = wait.min(due.saturating_sub(start.elapsed()));
            }
            if !wait.is_zero() {
                self.relay.wait(wait)?;
            }
        }
    }

    /// Moves the backlog into the TX ring and has the kernel send it.
    fn transmit(&mut self) -> Result<()> {
        if !self.backlog.is_empty() {
            let taken = self.relay.submit(self.backlog.make_contiguous());
            self.backlog.drain(..taken as usize);
            self.in_kernel += u64::from(taken);
        }
        while self.relay.unsent() > 0 {
            let before = self.relay.unsent();
            match self.relay.kick() {
                Kick::Done if self.relay.unsent() < before => {}
                // Taken nothing: the device is busy; the next round tries again.
                Kick::Done | Kick::Busy => break,
                Kick::Failed(errno) => {
                    return Err(Error::from_errno(
                        &format!("sending on {}", self.config.egress),
                        errno,
                    ))
                }
            }
        }
        Ok(())
    }

    /// The counts as one line of JSON.
    fn state(&self) -> Result<String> {
        let counts = self.stage.counts();
        let drops = self.relay.socket_drops()?;
        let pending = self.stage.held() as u64 + self.backlog.len() as u64 + self.in_kernel;
        Ok(serde_json::json!({
            "impairment": self.config.impairment.to_string(),
            "received": counts.received,
            "sent": self.sent,
            "dropped": counts.dropped,
            "duplicated": counts.duplicated,
            "swapped": counts.swapped,
            "pending": pending,
            // Frames of the flow the forwarder lost itself: the kernel had no
            // fill-ring frame or RX-ring room for them, or no frame was free
            // for a copy.
            "lost": drops.rx + self.copies_missed,
            "txInvalid": drops.tx_invalid,
        })
        .to_string())
    }

    fn write_state(&self, state: &str) -> Result<()> {
        let path = &self.config.state_file;
        let temporary = path.with_extension("tmp");
        fs::write(&temporary, format!("{state}\n"))
            .and_then(|()| fs::rename(&temporary, path))
            .map_err(|err| {
                Error::new(
                    ErrorKind::Kernel,
                    format!("impairment state {}: {err}", path.display()),
                )
            })
    }

    /// Fails once the ingress interface is gone (the lab was taken down
    /// without stopping the forwarder).
    fn check_ingress(&self) -> Result<()> {
        match device::link_state(self.ingress_index) {
            LinkState::Gone => Err(Error::new(
                ErrorKind::NoSuchInterface,
                format!("interface {}: gone", self.config.ingress),
            )),
            _ => Ok(()),
        }
    }
}

/// "aa:bb:cc:dd:ee:ff" as bytes.
pub fn parse_mac(text: &str) -> Result<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        *byte = parts
            .next()
            .filter(|part| part.len() == 2 && part.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|part| u8::from_str_radix(part, 16).ok())
            .ok_or_else(|| {
                Error::invalid(format!("MAC address {text:?}: not aa:bb:cc:dd:ee:ff"))
            })?;
    }
    if parts.next().is_some() {
        return Err(Error::invalid(format!(
            "MAC address {text:?}: not aa:bb:cc:dd:ee:ff"
        )));
    }
    Ok(mac)
}

/// What a router does to a frame it forwards: the next hop's MAC, its own
/// as the source, and one hop less to live, the IPv4 header checksum
/// following (RFC 1624). The steering program sends only IPv4 frames whose
/// TTL is above 1.
fn route(packet: &mut [u8], next_hop: &[u8; 6], own: &[u8; 6]) {
    packet[..6].copy_from_slice(next_hop);
    packet[6..12].copy_from_slice(own);
    let word = |packet: &[u8]| u16::from_be_bytes([packet[TTL_OFFSET], packet[TTL_OFFSET + 1]]);
    let old = word(packet);
    packet[TTL_OFFSET] -= 1;
    let new = word(packet);
    let checksum = u16::from_be_bytes([packet[IP_CHECKSUM_OFFSET], packet[IP_CHECKSUM_OFFSET + 1]]);
    let mut sum = u32::from(!checksum) + u32::from(!old) + u32::from(new);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    packet[IP_CHECKSUM_OFFSET..IP_CHECKSUM_OFFSET + 2]
        .copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_checksum(header: &[u8]) -> u16 {
        let mut sum: u32 = header
            .chunks(2)
            .enumerate()
            .filter(|(word, _)| *word != 5)
            .map(|(_, pair)| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
            .sum();
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    #[test]
    fn macs_parse_and_bad_ones_are_named() {
        assert_eq!(
            parse_mac("02:0a:ff:00:10:9c").unwrap(),
            [0x02, 0x0a, 0xff, 0x00, 0x10, 0x9c]
        );
        for bad in [
            "02:0a:ff:00:10",
            "02:0a:ff:00:10:9c:01",
            "2:0a:ff:00:10:9c",
            "zz:0a:ff:00:10:9c",
            "",
        ] {
            assert_eq!(
                parse_mac(bad).unwrap_err().message,
                format!("MAC address {bad:?}: not aa:bb:cc:dd:ee:ff")
            );
        }
    }

    #[test]
    fn routing_sets_the_macs_and_keeps_the_header_checksum_right() {
        let next_hop = [2, 0, 0, 0, 0, 2];
        let own = [2, 0, 0, 0, 0, 1];
        // A spread of TTLs and header contents, the checksum right before.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for ttl in 2..=255u8 {
            let mut packet = vec![0u8; 60];
            packet[12..14].copy_from_slice(&[0x08, 0x00]);
            for byte in &mut packet[ETH_HEADER..ETH_HEADER + 20] {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                *byte = (seed >> 56) as u8;
            }
            packet[ETH_HEADER] = 0x45;
            packet[TTL_OFFSET] = ttl;
            packet[TTL_OFFSET + 1] = 17;
            let checksum = header_checksum(&packet[ETH_HEADER..ETH_HEADER + 20]);
            packet[IP_CHECKSUM_OFFSET..IP_CHECKSUM_OFFSET + 2]
                .copy_from_slice(&checksum.to_be_bytes());

            route(&mut packet, &next_hop, &own);

            assert_eq!(&packet[..6], &next_hop);
            assert_eq!(&packet[6..12], &own);
            assert_eq!(packet[TTL_OFFSET], ttl - 1);
            let header = &packet[ETH_HEADER..ETH_HEADER + 20];
            assert_eq!(
                u16::from_be_bytes([header[10], header[11]]),
                header_checksum(header),
                "TTL {ttl}"
            );
        }
    }
}
