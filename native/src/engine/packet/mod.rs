//! The packet engine: AF_PACKET with a TX ring (kernel/packet_ring.rs) and
//! its loop (tx_loop.rs).

pub mod tx_loop;
