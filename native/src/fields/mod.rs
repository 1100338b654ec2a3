//! Field programs: a template's bytes varied per packet (addresses, ports,
//! ids) — inc, dec, seeded random or a list, chained into odometers — with
//! the checksums the frame carries kept valid by RFC 1624 updates. Every
//! engine sends variant k of a template as `FieldProgram::apply(frame, k)`
//! writes it; the hot loops step a `FieldCursor` instead, which writes the
//! same bytes without dividing.

pub(crate) mod checksum;
mod compile;
mod cursor;
pub(crate) mod headers;
mod program;
mod spec;

#[cfg(test)]
mod properties;
#[cfg(test)]
pub(crate) mod tests;

pub use cursor::FieldCursor;
pub use program::{
    splitmix64, CompiledField, FieldProgram, CSUM_IP, CSUM_L4, MAX_FIELDS, MAX_LIST_VALUES,
};
pub use spec::{FieldOp, FieldSpec};
