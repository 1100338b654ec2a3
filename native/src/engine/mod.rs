//! The transmit engines, one module each: setup and transmit loop.

pub mod afxdp;
pub mod packet;
pub mod xdp;
