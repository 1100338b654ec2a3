//! A field as the controller gives it, before validation.

/// How a field's value follows its own index i (see `CompiledField::value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    /// min, min + step, … modulo the range.
    Inc,
    /// max, max - step, … modulo the range.
    Dec,
    /// min + splitmix64(seed + i) mod the range: repeatable from the seed.
    Random,
    /// The given values in turn.
    List,
}

impl FieldOp {
    /// The name plugins write ("inc", …).
    pub fn name(self) -> &'static str {
        match self {
            FieldOp::Inc => "inc",
            FieldOp::Dec => "dec",
            FieldOp::Random => "random",
            FieldOp::List => "list",
        }
    }

    pub fn from_name(name: &str) -> Option<FieldOp> {
        [FieldOp::Inc, FieldOp::Dec, FieldOp::Random, FieldOp::List]
            .into_iter()
            .find(|op| op.name() == name)
    }

    /// Whether the op draws from min..=max (every op but list).
    pub(super) fn takes_range(self) -> bool {
        self != FieldOp::List
    }

    pub(super) fn takes_step(self) -> bool {
        matches!(self, FieldOp::Inc | FieldOp::Dec)
    }
}

/// One field as the controller gives it (napi converts the JS object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// Byte offset in the frame, from the Ethernet header.
    pub offset: u32,
    /// Bytes of the field, 1..16; values are big-endian.
    pub size: u32,
    pub op: FieldOp,
    /// Big-endian, `size` bytes (a shorter buffer is taken as zero-extended,
    /// a longer one fits only if its extra leading bytes are zero).
    pub min: Option<Vec<u8>>,
    pub max: Option<Vec<u8>>,
    pub step: Option<u64>,
    pub seed: Option<u64>,
    /// list: each written like min.
    pub values: Option<Vec<Vec<u8>>>,
    /// Advances only when the field before it wraps (an odometer).
    pub chain: bool,
}
