//! FieldSpec → FieldProgram: each refusal a one-line error naming the field
//! by its index ("field 2: …"), the template's caller adding which template.

use std::ops::Range;

use super::headers::{FrameChecksums, L4Protocol};
use super::program::{CompiledField, FieldProgram, CSUM_IP, CSUM_L4, MAX_FIELDS, MAX_LIST_VALUES};
use super::spec::{FieldOp, FieldSpec};
use crate::error::{Error, Result};

/// A field's bytes: at most this many vary, any above stay as given.
const MAX_VARIED_BYTES: usize = 8;
const MAX_FIELD_SIZE: usize = 16;

impl FieldProgram {
    /// Validates `specs` against `frame` (unpadded, as the plugin gave it)
    /// and returns the program and the base frame to send: the high bytes
    /// of fields wider than 8 written, every checksum the program fixes
    /// recomputed in full. Errors: a one-line message "field N: …" (the
    /// caller prefixes "template T: ").
    pub fn compile(
        frame: &[u8],
        specs: &[FieldSpec],
        flow_limit: Option<u64>,
    ) -> Result<(FieldProgram, Vec<u8>)> {
        if flow_limit == Some(0) {
            return Err(Error::invalid("flows must be at least 1 (0 given)"));
        }
        if specs.is_empty() {
            // Nothing varies, so there is nothing to repeat either.
            return Ok((FieldProgram::none(), frame.to_vec()));
        }
        if specs.len() > MAX_FIELDS {
            return Err(field_error(
                MAX_FIELDS,
                format!(
                    "a template has at most {MAX_FIELDS} fields ({} given)",
                    specs.len()
                ),
            ));
        }
        let checksums = FrameChecksums::find(frame);
        let mut base = frame.to_vec();
        let mut fields: Vec<CompiledField> = Vec::with_capacity(specs.len());
        let mut groups = Groups::default();
        let mut list_values = 0usize;
        for (index, spec) in specs.iter().enumerate() {
            let bytes = place(index, spec, frame.len(), &specs[..index], &checksums)?;
            check_arguments(index, spec)?;
            let values = FieldValues::decode(index, spec)?;
            let width = bytes.len().min(MAX_VARIED_BYTES);
            let varied = bytes.end - width..bytes.end;
            base[bytes.start..varied.start].copy_from_slice(&values.high);
            let mut field = values.into_field(index, spec, width)?;
            field.offset = u16::try_from(varied.start).map_err(|_| {
                field_error(
                    index,
                    format!(
                        "byte {} is past {}, the last a field program reaches",
                        varied.start,
                        u16::MAX
                    ),
                )
            })?;
            field.checksums = coverage(index, &varied, &checksums)?;
            field.divisor = groups.add(index, spec.chain, field.cardinality)?;
            list_values += field.values.len();
            if list_values > MAX_LIST_VALUES {
                return Err(field_error(
                    index,
                    format!(
                        "the template's list fields hold {list_values} values (at most {MAX_LIST_VALUES} over all templates)"
                    ),
                ));
            }
            fields.push(field);
        }
        checksums.recompute(&mut base);
        let flows = groups.flows();
        let program = FieldProgram {
            zero_icmp_message: zero_icmp_message(&base, &checksums, &fields),
            ip_checksum: checksums.ipv4_header.as_ref().map(|ip| ip.at as u16),
            l4_checksum: checksums.l4.as_ref().map(|l4| l4.at as u16),
            l4_is_udp: checksums
                .l4
                .as_ref()
                .is_some_and(|l4| l4.protocol == L4Protocol::Udp),
            fields,
            flow_limit,
            flows: flow_limit.map_or(flows, |limit| limit.min(flows)),
        };
        Ok((program, base))
    }
}

fn field_error(index: usize, problem: impl std::fmt::Display) -> Error {
    Error::invalid(format!("field {index}: {problem}"))
}

/// "bytes 40-41" (inclusive, as a packet dissector shows them), "byte 5".
fn describe_bytes(bytes: &Range<usize>) -> String {
    match bytes.len() {
        1 => format!("byte {}", bytes.start),
        _ => format!("bytes {}-{}", bytes.start, bytes.end - 1),
    }
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// The field's bytes in the frame, refused if they run past its end or
/// overlap an earlier field or a checksum the core fixes.
fn place(
    index: usize,
    spec: &FieldSpec,
    frame_len: usize,
    earlier: &[FieldSpec],
    checksums: &FrameChecksums,
) -> Result<Range<usize>> {
    let size = spec.size as usize;
    if !(1..=MAX_FIELD_SIZE).contains(&size) {
        return Err(field_error(
            index,
            format!("size {size} out of range (1..{MAX_FIELD_SIZE})"),
        ));
    }
    let start = spec.offset as usize;
    let bytes = start..start + size;
    if bytes.end > frame_len {
        return Err(field_error(
            index,
            format!(
                "{} run past the frame's end ({frame_len} bytes)",
                describe_bytes(&bytes)
            ),
        ));
    }
    for (other, earlier) in earlier.iter().enumerate() {
        let theirs = earlier.offset as usize..earlier.offset as usize + earlier.size as usize;
        if overlap(&bytes, &theirs) {
            return Err(field_error(
                index,
                format!(
                    "{} overlap field {other} ({})",
                    describe_bytes(&bytes),
                    describe_bytes(&theirs)
                ),
            ));
        }
    }
    let fixed = [
        checksums
            .ipv4_header
            .as_ref()
            .map(|ip| ("IPv4 header", ip.at)),
        checksums.l4.as_ref().map(|l4| (l4.protocol.name(), l4.at)),
    ];
    for (name, at) in fixed.into_iter().flatten() {
        let checksum = at..at + 2;
        if overlap(&bytes, &checksum) {
            return Err(Error::invalid(format!(
                "field {index} overlaps the {name} checksum ({})",
                describe_bytes(&checksum)
            )));
        }
    }
    Ok(bytes)
}

/// Refuses arguments the op lacks or does not use.
fn check_arguments(index: usize, spec: &FieldSpec) -> Result<()> {
    let op = spec.op.name();
    let problem = if index == 0 && spec.chain {
        Some("chain on the first field (there is no field before it to follow)".to_string())
    } else if spec.op.takes_range() && (spec.min.is_none() || spec.max.is_none()) {
        Some(format!("{op} needs min and max"))
    } else if spec.op.takes_range() && spec.values.is_some() {
        Some(format!("values apply only to list, not {op}"))
    } else if !spec.op.takes_range() && spec.values.is_none() {
        Some(format!("{op} needs values"))
    } else if !spec.op.takes_range() && (spec.min.is_some() || spec.max.is_some()) {
        Some(format!(
            "min and max apply only to inc, dec and random, not {op}"
        ))
    } else if spec.step.is_some() && !spec.op.takes_step() {
        Some(format!("step applies only to inc and dec, not {op}"))
    } else if spec.step == Some(0) {
        Some("step must be at least 1".to_string())
    } else if spec.seed.is_some() && spec.op != FieldOp::Random {
        Some(format!("seed applies only to random, not {op}"))
    } else {
        match &spec.values {
            Some(values) if values.is_empty() || values.len() > MAX_LIST_VALUES => Some(format!(
                "{} values given (need 1..{MAX_LIST_VALUES})",
                values.len()
            )),
            _ => None,
        }
    };
    problem.map_or(Ok(()), |problem| Err(field_error(index, problem)))
}

/// A field's values split into the bytes above the varied ones (the same
/// for every value) and the varied ones as a number.
struct FieldValues {
    high: Vec<u8>,
    /// min and max (range ops) or the list.
    low: Vec<u64>,
}

impl FieldValues {
    fn decode(index: usize, spec: &FieldSpec) -> Result<FieldValues> {
        let size = spec.size as usize;
        let named: Vec<(String, &[u8])> = match &spec.values {
            Some(values) => values
                .iter()
                .enumerate()
                .map(|(i, value)| (format!("value {i}"), value.as_slice()))
                .collect(),
            None => [("min", &spec.min), ("max", &spec.max)]
                .into_iter()
                .filter_map(|(name, bytes)| Some((name.to_string(), bytes.as_deref()?)))
                .collect(),
        };
        let mut high: Option<(&str, Vec<u8>)> = None;
        let mut low = Vec::with_capacity(named.len());
        for (name, bytes) in &named {
            let sized = fit(bytes, size).ok_or_else(|| {
                let value = describe_value(bytes);
                let what = match spec.values {
                    Some(_) => format!("{name} ({value})"),
                    None => format!("{name} {value}"),
                };
                let unit = if size == 1 { "byte" } else { "bytes" };
                field_error(index, format!("{what} does not fit {size} {unit}"))
            })?;
            let (value_high, value_low) = sized.split_at(size.saturating_sub(MAX_VARIED_BYTES));
            match &high {
                Some((first, first_high)) if first_high.as_slice() != value_high => {
                    return Err(field_error(
                        index,
                        format!(
                            "{first} and {name} differ in their high {} bytes (only the low {MAX_VARIED_BYTES} of a {size}-byte field vary)",
                            value_high.len()
                        ),
                    ));
                }
                Some(_) => {}
                None => high = Some((name, value_high.to_vec())),
            }
            low.push(value_low.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)));
        }
        Ok(FieldValues {
            high: high.map(|(_, bytes)| bytes).unwrap_or_default(),
            low,
        })
    }

    /// The compiled field, but for where it sits (offset, checksums,
    /// divisor), which the caller fills in.
    fn into_field(self, index: usize, spec: &FieldSpec, width: usize) -> Result<CompiledField> {
        let mut field = CompiledField {
            offset: 0,
            width: width as u8,
            op: spec.op,
            checksums: 0,
            min: 0,
            span: 1,
            step: 1,
            cardinality: self.low.len() as u64,
            divisor: 1,
            seed: spec.seed.unwrap_or(0),
            values: Vec::new(),
            chain: spec.chain,
        };
        if spec.op == FieldOp::List {
            field.values = self.low;
            return Ok(field);
        }
        let (min, max) = (self.low[0], self.low[1]);
        if min > max {
            return Err(field_error(
                index,
                format!("min {min} is greater than max {max}"),
            ));
        }
        field.min = min;
        field.span = (max - min).checked_add(1).ok_or_else(|| {
            field_error(
                index,
                format!("min {min} to max {max} is 2^64 values (at most 2^64 - 1)"),
            )
        })?;
        field.cardinality = field.span;
        if spec.op.takes_step() {
            let step = spec.step.unwrap_or(1);
            field.cardinality = field.span / gcd(field.span, step);
            if (field.cardinality - 1).checked_mul(step).is_none() {
                return Err(field_error(
                    index,
                    format!(
                        "step {step} repeats after {} values, and ({} - 1) × {step} overflows 64 bits; use a smaller step or range",
                        field.cardinality, field.cardinality
                    ),
                ));
            }
            field.step = step % field.span;
        }
        Ok(field)
    }
}

/// `bytes` as `size` big-endian bytes: shorter is zero-extended, longer
/// fits only if its extra leading bytes are zero.
fn fit(bytes: &[u8], size: usize) -> Option<Vec<u8>> {
    if bytes.len() <= size {
        let mut sized = vec![0; size - bytes.len()];
        sized.extend_from_slice(bytes);
        return Some(sized);
    }
    let (extra, rest) = bytes.split_at(bytes.len() - size);
    extra.iter().all(|&b| b == 0).then(|| rest.to_vec())
}

/// A big-endian number for a message: decimal up to 8 significant bytes,
/// hexadecimal beyond.
fn describe_value(bytes: &[u8]) -> String {
    let significant = &bytes[bytes.iter().take_while(|&&b| b == 0).count()..];
    if significant.len() <= 8 {
        let value = significant
            .iter()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b));
        value.to_string()
    } else {
        let hex: String = significant.iter().map(|b| format!("{b:02x}")).collect();
        format!("0x{hex}")
    }
}

/// The checksums covering the varied bytes. A field that a checksum covers
/// only in part is refused: the engines add one change per field to each
/// checksum covering it, not one per byte.
fn coverage(index: usize, varied: &Range<usize>, checksums: &FrameChecksums) -> Result<u8> {
    let mut mask = 0;
    let covering = [
        checksums
            .ipv4_header
            .as_ref()
            .map(|ip| (CSUM_IP, "IPv4 header", vec![ip.header.clone()])),
        checksums
            .l4
            .as_ref()
            .map(|l4| (CSUM_L4, l4.protocol.name(), l4.coverage())),
    ];
    for (bit, name, ranges) in covering.into_iter().flatten() {
        let inside = ranges
            .iter()
            .any(|r| r.start <= varied.start && varied.end <= r.end);
        if inside {
            mask |= bit;
        } else if ranges.iter().any(|r| overlap(varied, r)) {
            let covered: Vec<String> = ranges.iter().map(describe_bytes).collect();
            return Err(field_error(
                index,
                format!(
                    "{} lie partly in what the {name} checksum covers ({}); split the field at that edge",
                    describe_bytes(varied),
                    covered.join(" and ")
                ),
            ));
        }
    }
    Ok(mask)
}

/// Groups of chained fields, and the flows they make.
#[derive(Default)]
struct Groups {
    /// lcm of the finished groups' products, saturating.
    flows_so_far: Option<u64>,
    /// Product of the cardinalities of the group being built.
    product: Option<u64>,
}

impl Groups {
    /// Adds a field; returns its divisor.
    fn add(&mut self, index: usize, chain: bool, cardinality: u64) -> Result<u64> {
        if !chain {
            self.finish_group();
        }
        let divisor = self.product.unwrap_or(1);
        self.product = Some(divisor.checked_mul(cardinality).ok_or_else(|| {
            field_error(
                index,
                "the chained fields' value counts multiply past 2^64 - 1; chain fewer or smaller ranges",
            )
        })?);
        Ok(divisor)
    }

    fn finish_group(&mut self) {
        if let Some(product) = self.product.take() {
            self.flows_so_far = Some(match self.flows_so_far {
                None => product,
                Some(flows) => (flows / gcd(flows, product)).saturating_mul(product),
            });
        }
    }

    fn flows(mut self) -> u64 {
        self.finish_group();
        self.flows_so_far.unwrap_or(1)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The ICMP message, if only the fields can make it all zero (see
/// `FieldProgram::zero_icmp_message`).
fn zero_icmp_message(
    base: &[u8],
    checksums: &FrameChecksums,
    fields: &[CompiledField],
) -> Option<Range<usize>> {
    let l4 = checksums
        .l4
        .as_ref()
        .filter(|l4| l4.protocol == L4Protocol::Icmp)?;
    let varied = |i: usize| {
        fields.iter().any(|f| {
            let start = usize::from(f.offset);
            (start..start + usize::from(f.width)).contains(&i)
        })
    };
    let fixed_bytes_zero = l4
        .segment
        .clone()
        .filter(|&i| !(l4.at..l4.at + 2).contains(&i) && !varied(i))
        .all(|i| base[i] == 0);
    fixed_bytes_zero.then_some(l4.segment.clone())
}
