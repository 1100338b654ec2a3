//! The AF_XDP engine: frames written once into UMEM (frames.rs), one
//! socket and thread per queue (kernel/xsk.rs), and the loop that only
//! writes descriptors (tx_loop.rs).

pub mod frames;
pub mod tx_loop;
