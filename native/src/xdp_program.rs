//! Loading an XDP program out of an embedded BPF object, the step the
//! receive counter, the live-frames engine and the prober share.

use aya::programs::Xdp;
use aya::Ebpf;

use crate::error::{Error, ErrorKind, Result};

/// Finds the XDP program `name` in `ebpf` and loads it into the kernel;
/// errors name `subject`.
pub fn load_xdp<'a>(ebpf: &'a mut Ebpf, name: &str, subject: &str) -> Result<&'a mut Xdp> {
    let program: &mut Xdp = ebpf
        .program_mut(name)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Kernel,
                format!("{subject}: program {name} missing"),
            )
        })?
        .try_into()
        .map_err(|err| Error::from_source_chain(subject, &err))?;
    program
        .load()
        .map_err(|err| Error::from_source_chain(&format!("{subject}: load"), &err))?;
    Ok(program)
}
