//! A compiled field program and what it writes: the value of each field for
//! a variant index k, written into a frame with the checksums it touches
//! updated incrementally. Compiling is in compile.rs, the hot loops' cursor
//! in cursor.rs.

use std::ops::Range;

use super::checksum;
use super::spec::FieldOp;

/// Bits of `CompiledField::checksums`.
pub const CSUM_IP: u8 = 1;
pub const CSUM_L4: u8 = 2;
/// Fields a template may have.
pub const MAX_FIELDS: usize = 8;
/// List values a field, a template, and all templates of a run may have.
pub const MAX_LIST_VALUES: usize = 65_536;

/// A field as the engines run it: only its varied (at most 8, low) bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledField {
    /// Frame offset of the first varied byte.
    pub offset: u16,
    /// Varied bytes, 1..8, written big-endian.
    pub width: u8,
    pub op: FieldOp,
    /// The checksums the varied bytes are covered by (CSUM_* bits).
    pub checksums: u8,
    /// inc/dec/random: the smallest value; list: 0.
    pub min: u64,
    /// inc/dec/random: max - min + 1 (never 0); list: 1.
    pub span: u64,
    /// inc/dec: the step reduced modulo span (same values; may be 0 when
    /// span divides the step given, leaving one value); 1 otherwise.
    pub step: u64,
    /// Values before the field repeats (c).
    pub cardinality: u64,
    /// The field's own index is k / divisor: the product of the
    /// cardinalities of the fields before it in its chain.
    pub divisor: u64,
    /// random: the seed; 0 otherwise.
    pub seed: u64,
    /// list: the values; empty otherwise.
    pub values: Vec<u64>,
    /// Advances only when the field before it wraps.
    pub chain: bool,
}

impl CompiledField {
    /// The field's value for its own index i = k / divisor.
    pub fn value(&self, own_index: u64) -> u64 {
        let position = own_index % self.cardinality;
        match self.op {
            FieldOp::Inc => self.min + position * self.step % self.span,
            FieldOp::Dec => self.max() - position * self.step % self.span,
            FieldOp::Random => self.random_value(own_index),
            FieldOp::List => self.list_value(position),
        }
    }

    pub(super) fn max(&self) -> u64 {
        self.min.wrapping_add(self.span.wrapping_sub(1))
    }

    #[inline]
    pub(super) fn random_value(&self, own_index: u64) -> u64 {
        let drawn = splitmix64(self.seed.wrapping_add(own_index));
        self.min
            .wrapping_add(drawn.checked_rem(self.span).unwrap_or(drawn))
    }

    #[inline]
    pub(super) fn list_value(&self, position: u64) -> u64 {
        usize::try_from(position)
            .ok()
            .and_then(|at| self.values.get(at))
            .copied()
            .unwrap_or(self.min)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit output per input, so
/// value i of a random field is computed directly, by any engine.
#[inline]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A template's field program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProgram {
    pub(super) fields: Vec<CompiledField>,
    pub(super) ip_checksum: Option<u16>,
    pub(super) l4_checksum: Option<u16>,
    pub(super) l4_is_udp: bool,
    /// An ICMP message whose bytes are zero but for the fields' and its
    /// checksum's: should the fields write zeros, the whole message is zero,
    /// whose checksum is 0xffff where RFC 1624's update gives 0x0000.
    pub(super) zero_icmp_message: Option<Range<usize>>,
    pub(super) flow_limit: Option<u64>,
    pub(super) flows: u64,
}

/// The changes the fields written so far make to each checksum (RFC 1624's
/// ~m + m' terms), unfolded: 8 fields cannot overflow it.
#[derive(Debug, Default)]
pub(super) struct ChecksumChanges {
    ip: u64,
    l4: u64,
}

impl FieldProgram {
    /// The program of a template without fields: it sends its frame as is.
    pub fn none() -> FieldProgram {
        FieldProgram {
            fields: Vec::new(),
            ip_checksum: None,
            l4_checksum: None,
            l4_is_udp: false,
            zero_icmp_message: None,
            flow_limit: None,
            flows: 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Distinct variants before the template repeats (saturating at
    /// u64::MAX); with a random field, the size of the space its values are
    /// drawn from.
    pub fn flows(&self) -> u64 {
        self.flows
    }

    /// A period of the variants: variant k equals variant k mod the period
    /// for every k. None if the program has none it can name: a random
    /// field without a flow limit (its draws never repeat), or a flow count
    /// past u64. With a flow limit N that is N, unless the flow count
    /// divides it: flows() = min(N, lcm) is no period when lcm < N does
    /// not divide N (k mod N starts over before the lcm's cycle ends).
    pub fn period(&self) -> Option<u64> {
        match self.flow_limit {
            Some(limit) if !self.has_random() && limit % self.flows == 0 => Some(self.flows),
            Some(limit) => Some(limit),
            None if self.has_random() || self.flows == u64::MAX => None,
            None => Some(self.flows),
        }
    }

    pub fn has_random(&self) -> bool {
        self.fields.iter().any(|f| f.op == FieldOp::Random)
    }

    pub fn fields(&self) -> &[CompiledField] {
        &self.fields
    }

    /// Frame offset of the IPv4 header checksum the program fixes.
    pub fn ip_checksum(&self) -> Option<u16> {
        self.ip_checksum
    }

    /// Frame offset of the TCP/UDP/ICMP/ICMPv6 checksum the program fixes.
    pub fn l4_checksum(&self) -> Option<u16> {
        self.l4_checksum
    }

    /// Whether the L4 checksum is UDP's, where a computed 0 is sent as 0xffff.
    pub fn l4_is_udp(&self) -> bool {
        self.l4_is_udp
    }

    /// The ICMP message, if only the fields can make it all zero: its
    /// checksum is then 0xffff (see the field), which an engine that fixes
    /// checksums itself must know.
    pub fn zero_icmp_message(&self) -> Option<Range<usize>> {
        self.zero_icmp_message.clone()
    }

    /// The template's `flows`: k is taken modulo this first.
    pub fn flow_limit(&self) -> Option<u64> {
        self.flow_limit
    }

    /// Writes variant k into `frame`, which holds the base frame or any
    /// variant of this program, fixing the checksums incrementally.
    /// Divisions per call; fine off the hot path.
    pub fn apply(&self, frame: &mut [u8], k: u64) {
        let k = match self.flow_limit {
            Some(limit) => k % limit,
            None => k,
        };
        let mut changes = ChecksumChanges::default();
        for field in &self.fields {
            write_field(frame, field, field.value(k / field.divisor), &mut changes);
        }
        self.fix_checksums(frame, &changes);
    }

    /// Applies `changes` to the checksums; `frame` too short is left alone
    /// (compile validated the frame, so that is never the case).
    #[inline]
    pub(super) fn fix_checksums(&self, frame: &mut [u8], changes: &ChecksumChanges) {
        if let Some(at) = self.ip_checksum {
            if let Some(bytes) = checksum_bytes(frame, at) {
                *bytes = checksum::update(u16::from_be_bytes(*bytes), changes.ip).to_be_bytes();
            }
        }
        if let Some(at) = self.l4_checksum {
            let Some(bytes) = checksum_bytes(frame, at) else {
                return;
            };
            let value = checksum::update(u16::from_be_bytes(*bytes), changes.l4);
            *bytes = value.to_be_bytes();
            if value == 0 && (self.l4_is_udp || self.icmp_message_is_zero(frame)) {
                if let Some(bytes) = checksum_bytes(frame, at) {
                    *bytes = [0xff, 0xff];
                }
            }
        }
    }

    /// Whether the ICMP message is all zero (checksum aside), so its
    /// checksum is 0xffff.
    #[cold]
    fn icmp_message_is_zero(&self, frame: &[u8]) -> bool {
        let (Some(message), Some(at)) = (&self.zero_icmp_message, self.l4_checksum) else {
            return false;
        };
        let checksum_at = usize::from(at)..usize::from(at) + 2;
        message
            .clone()
            .filter(|i| !checksum_at.contains(i))
            .all(|i| frame.get(i) == Some(&0))
    }
}

fn checksum_bytes(frame: &mut [u8], at: u16) -> Option<&mut [u8; 2]> {
    frame.get_mut(usize::from(at)..)?.first_chunk_mut::<2>()
}

/// Writes `value` into the field's bytes and adds what that changes to
/// the checksums covering them. Nothing is written if the frame is too short.
#[inline]
pub(super) fn write_field(
    frame: &mut [u8],
    field: &CompiledField,
    value: u64,
    changes: &mut ChecksumChanges,
) {
    let start = usize::from(field.offset);
    let width = usize::from(field.width);
    let end = start + width;
    let mask = u64::MAX >> (64 - 8 * width);
    // The 8 bytes ending with the field, read and written whole (one
    // unaligned load and store), else, for a field in the first 8 bytes,
    // its bytes.
    let old = if let Some(window) = frame
        .get_mut(end.wrapping_sub(8)..end)
        .and_then(|bytes| bytes.first_chunk_mut::<8>())
    {
        let whole = u64::from_be_bytes(*window);
        *window = ((whole & !mask) | value).to_be_bytes();
        whole & mask
    } else if let Some(bytes) = frame.get_mut(start..end) {
        let old = bytes
            .iter()
            .fold(0u64, |sum, &byte| sum << 8 | u64::from(byte));
        bytes.copy_from_slice(&value.to_be_bytes()[8 - width..]);
        old
    } else {
        return;
    };
    // Whole 16-bit words at once: a field ending at an odd offset ends with
    // a word's high byte, so its value is shifted up a byte to line up.
    let align = 8 * ((start + width) & 1) as u32;
    let old_sum = checksum::word_sum(u128::from(old) << align);
    let new_sum = checksum::word_sum(u128::from(value) << align);
    if field.checksums != 0 {
        let change = checksum::change(checksum::fold(old_sum), checksum::fold(new_sum));
        if field.checksums & CSUM_IP != 0 {
            changes.ip += change;
        }
        if field.checksums & CSUM_L4 != 0 {
            changes.l4 += change;
        }
    }
}
