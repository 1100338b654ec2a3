//! The modules that talk to the kernel, the only ones allowed unsafe code
//! (each block with a `// SAFETY:` line): interfaces (device, netlink,
//! veth), namespaces, CPU affinity, AF_XDP (UMEM, socket and rings),
//! AF_PACKET rings, what BPF programs share with userspace (the xdp
//! engine's field programs and stamp sites, the receiver's mmapped
//! histograms), and the lab router's AF_XDP relay.

pub mod bpf;
pub mod clock;
pub mod cpu;
pub mod device;
pub mod field_maps;
pub mod mapped_array;
pub mod netlink;
pub mod netns;
pub mod packet_ring;
pub mod stamp_maps;
pub mod umem;
pub mod veth;
pub mod xsk;
pub mod xsk_relay;
