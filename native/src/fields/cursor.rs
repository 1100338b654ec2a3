//! Stepping through a program's variants for the transmit loops: the
//! odometer kept as counters, so going from k to k + 1 takes additions and
//! compares, no division.

use super::program::{write_field, ChecksumChanges, FieldProgram, MAX_FIELDS};
use super::spec::FieldOp;

/// A program's position at variant k. `write` then `advance` does what
/// `apply(frame, k)` then k + 1 does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldCursor {
    k: u64,
    /// k modulo the program's flow limit: where the fields' states are.
    k_in_flows: u64,
    states: [FieldState; MAX_FIELDS],
}

/// One field's counters; all zero at k = 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct FieldState {
    /// k / divisor (what a random field draws with).
    own_index: u64,
    /// own_index modulo the cardinality.
    position: u64,
    /// (position × step) modulo span: an inc/dec field's distance from its
    /// first value.
    offset: u64,
}

impl FieldProgram {
    /// For the hot loops: a cursor at variant k that steps to k + 1 without
    /// divisions.
    pub fn cursor(&self, k: u64) -> FieldCursor {
        let k_in_flows = match self.flow_limit {
            Some(limit) => k % limit,
            None => k,
        };
        let mut states = [FieldState::default(); MAX_FIELDS];
        for (field, state) in self.fields.iter().zip(&mut states) {
            let own_index = k_in_flows / field.divisor;
            let position = own_index % field.cardinality;
            *state = FieldState {
                own_index,
                position,
                offset: position * field.step % field.span,
            };
        }
        FieldCursor {
            k,
            k_in_flows,
            states,
        }
    }
}

impl FieldCursor {
    /// The variant index the cursor is at.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Writes the variant into `frame` (the base frame or any variant of
    /// `program`), fixing the checksums incrementally.
    #[inline]
    pub fn write(&self, program: &FieldProgram, frame: &mut [u8]) {
        let mut changes = ChecksumChanges::default();
        for (field, state) in program.fields.iter().zip(&self.states) {
            let value = match field.op {
                FieldOp::Inc => field.min.wrapping_add(state.offset),
                FieldOp::Dec => field.max().wrapping_sub(state.offset),
                FieldOp::Random => field.random_value(state.own_index),
                FieldOp::List => field.list_value(state.position),
            };
            write_field(frame, field, value, &mut changes);
        }
        program.fix_checksums(frame, &changes);
    }

    /// Steps to variant k + 1: the first field of each chain advances, a
    /// chained field when the one before it wraps; at the flow limit every
    /// field starts over.
    #[inline]
    pub fn advance(&mut self, program: &FieldProgram) {
        self.k = self.k.wrapping_add(1);
        if let Some(limit) = program.flow_limit {
            self.k_in_flows = self.k_in_flows.wrapping_add(1);
            if self.k_in_flows == limit {
                self.k_in_flows = 0;
                self.states = [FieldState::default(); MAX_FIELDS];
                return;
            }
        }
        let mut carry = true;
        for (field, state) in program.fields.iter().zip(&mut self.states) {
            if !field.chain {
                carry = true;
            } else if !carry {
                continue;
            }
            state.own_index = state.own_index.wrapping_add(1);
            state.position = state.position.wrapping_add(1);
            if state.position == field.cardinality {
                state.position = 0;
                state.offset = 0;
            } else {
                carry = false;
                // offset < span and step ≤ span: one subtraction wraps it.
                let room = field.span.wrapping_sub(field.step);
                state.offset = if state.offset >= room {
                    state.offset.wrapping_sub(room)
                } else {
                    state.offset.wrapping_add(field.step)
                };
            }
        }
    }
}

impl FieldProgram {
    /// Variants start..start + count of `base` (the frame compile
    /// returned), each as a frame of its own.
    pub fn render(&self, base: &[u8], start: u64, count: usize) -> Vec<Vec<u8>> {
        let mut frame = base.to_vec();
        let mut cursor = self.cursor(start);
        (0..count)
            .map(|_| {
                cursor.write(self, &mut frame);
                cursor.advance(self);
                frame.clone()
            })
            .collect()
    }
}
