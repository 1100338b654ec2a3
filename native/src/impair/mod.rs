//! The lab router's impairment step (scripts/lab.sh up --router, impair):
//! a steering program on the router's ingress sends the test flow to the
//! forwarder's AF_XDP sockets, and the forwarder drops, duplicates, swaps
//! or delays it, decided by each frame's index alone, so tests know the
//! exact counts. The kernel has no netem here; this is the lab's own.

mod forwarder;
mod impairment;
mod steering;

pub use forwarder::{parse_mac, run, ForwarderConfig};
pub use impairment::Impairment;
pub use steering::attach as attach_steering;
