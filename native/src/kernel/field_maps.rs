//! The field programs of the xdp engine's BPF program as it reads them
//! (bpf/field_program.h): `#[repr(C)]` mirrors of the C structs, the maps
//! that hold them and the templates' pre-rendered variants (patches), and
//! the metadata a live frame of a template with fields (or of any template
//! in a stamped run) carries in front of it.

use std::ops::{Deref, DerefMut, Range};
use std::os::fd::{AsFd, AsRawFd};
use std::ptr::NonNull;

use aya::maps::{Array, Map, MapData};
use aya::{Ebpf, EbpfLoader, Pod};

use crate::error::{Error, ErrorKind, Result};
use crate::fields::{FieldOp, FieldProgram, MAX_FIELDS};

/// Each template's program, by template index.
const PROGRAMS_MAP: &str = "xdperf_field_programs";
/// The values of every list field, each field's from its `list_start`.
const LISTS_MAP: &str = "xdperf_field_lists";
/// Each sender slot's position in its current call.
const CURSORS_MAP: &str = "xdperf_slot_cursors";
/// 8-byte words a patch may have: the patch maps bpf/xdp_live_tx.c has.
pub const MAX_PATCH_WORDS: u8 = 8;
/// The patches, by their size: entry n - 1 holds those of n 8-byte words.
const PATCH_MAPS: [&str; MAX_PATCH_WORDS as usize] = [
    "xdperf_patches_1",
    "xdperf_patches_2",
    "xdperf_patches_3",
    "xdperf_patches_4",
    "xdperf_patches_5",
    "xdperf_patches_6",
    "xdperf_patches_7",
    "xdperf_patches_8",
];

/// Where a template's patches are: patch `base + k % period` of the map of
/// `words`-word patches is variant k's bytes `offset..offset + 8 * words`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchPlacement {
    pub base: u32,
    pub period: u32,
    pub offset: u16,
    pub words: u8,
}

impl PatchPlacement {
    /// The frame bytes a patch is written over.
    pub fn span(&self) -> Range<usize> {
        usize::from(self.offset)..usize::from(self.offset) + self.patch_len()
    }

    /// Bytes of one patch.
    pub fn patch_len(&self) -> usize {
        8 * usize::from(self.words)
    }

    /// The bytes of the template's patches in its map's values.
    pub fn bytes(&self) -> Range<usize> {
        let start = self.base as usize * self.patch_len();
        start..start + self.period as usize * self.patch_len()
    }
}

/// `struct xdperf_field`.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct FieldValue {
    min: u64,
    span: u64,
    step: u64,
    cardinality: u64,
    divisor: u64,
    seed: u64,
    list_start: u32,
    offset: u16,
    width: u8,
    op: u8,
    checksums: u8,
    pad: [u8; 7],
}

/// `struct xdperf_field_program`.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
struct ProgramValue {
    flow_limit: u64,
    field_count: u32,
    ip_checksum: u16,
    l4_checksum: u16,
    l4_is_udp: u8,
    pad: u8,
    zero_message_start: u16,
    zero_message_end: u16,
    pad2: [u8; 2],
    fields: [FieldValue; MAX_FIELDS],
}

// The sizes bpf/field_program.h gives them, with no padding the compiler adds.
const _: () = assert!(std::mem::size_of::<FieldValue>() == 64);
const _: () = assert!(std::mem::size_of::<ProgramValue>() == 24 + 64 * MAX_FIELDS);

// SAFETY: FieldValue is repr(C) with explicit padding (no bytes the
// compiler leaves undefined), integers only, so every bit pattern is a
// valid value, as aya requires of map values.
unsafe impl Pod for FieldValue {}
// SAFETY: ProgramValue is repr(C) with explicit padding, integers and
// FieldValues only, so every bit pattern is a valid value.
unsafe impl Pod for ProgramValue {}

/// `enum xdperf_field_op`.
fn op_code(op: FieldOp) -> u8 {
    match op {
        FieldOp::Inc => 0,
        FieldOp::Dec => 1,
        FieldOp::Random => 2,
        FieldOp::List => 3,
    }
}

impl ProgramValue {
    /// `program` as the BPF program reads it, its list values appended to
    /// `lists`.
    fn of(program: &FieldProgram, lists: &mut Vec<u64>) -> ProgramValue {
        let mut value = ProgramValue {
            flow_limit: program.flow_limit().unwrap_or(0),
            field_count: program.fields().len() as u32,
            ip_checksum: program.ip_checksum().unwrap_or(0),
            l4_checksum: program.l4_checksum().unwrap_or(0),
            l4_is_udp: u8::from(program.l4_is_udp()),
            ..ProgramValue::default()
        };
        if let Some(message) = program.zero_icmp_message() {
            // Within the frame, whose offsets the program's u16s hold.
            value.zero_message_start = message.start as u16;
            value.zero_message_end = message.end as u16;
        }
        for (slot, field) in value.fields.iter_mut().zip(program.fields()) {
            *slot = FieldValue {
                min: field.min,
                span: field.span,
                step: field.step,
                cardinality: field.cardinality,
                divisor: field.divisor,
                seed: field.seed,
                list_start: lists.len() as u32,
                offset: field.offset,
                width: field.width,
                op: op_code(field.op),
                checksums: field.checksums,
                pad: [0; 7],
            };
            lists.extend_from_slice(&field.values);
        }
        value
    }
}

/// Sizes the field maps for `programs` (one per template, in template
/// order), their `patches` (likewise) and `slots` sender slots; before the
/// object is loaded.
pub fn size_field_maps(
    loader: &mut EbpfLoader,
    programs: &[FieldProgram],
    patches: &[Option<PatchPlacement>],
    slots: usize,
) {
    let list_values: usize = programs
        .iter()
        .flat_map(FieldProgram::fields)
        .map(|field| field.values.len())
        .sum();
    // An array map cannot be empty.
    let entries = |count: usize| count.max(1) as u32;
    loader
        .map_max_entries(PROGRAMS_MAP, entries(programs.len()))
        .map_max_entries(LISTS_MAP, entries(list_values))
        .map_max_entries(CURSORS_MAP, entries(slots));
    for (words, name) in (1..=MAX_PATCH_WORDS).zip(PATCH_MAPS) {
        let count: usize = patches
            .iter()
            .flatten()
            .filter(|placement| placement.words == words)
            .map(|placement| placement.period as usize)
            .sum();
        loader.map_max_entries(name, entries(count));
    }
}

/// Writes `programs` into the loaded object's maps; errors name `subject`.
pub fn fill_field_maps(ebpf: &mut Ebpf, programs: &[FieldProgram], subject: &str) -> Result<()> {
    let mut lists = Vec::new();
    let values: Vec<ProgramValue> = programs
        .iter()
        .map(|program| ProgramValue::of(program, &mut lists))
        .collect();
    let mut program_map = array::<ProgramValue>(ebpf, PROGRAMS_MAP, subject)?;
    for (index, value) in values.iter().enumerate() {
        program_map
            .set(index as u32, value, 0)
            .map_err(|err| Error::from_source_chain(&format!("{subject}: {PROGRAMS_MAP}"), &err))?;
    }
    let mut list_map = array::<u64>(ebpf, LISTS_MAP, subject)?;
    for (index, value) in lists.iter().enumerate() {
        list_map
            .set(index as u32, value, 0)
            .map_err(|err| Error::from_source_chain(&format!("{subject}: {LISTS_MAP}"), &err))?;
    }
    Ok(())
}

/// The values of the loaded map of `words`-word patches, mapped for
/// writing (the map is BPF_F_MMAPABLE), so millions of patches are written
/// as memory, not with a syscall each. Errors name `subject`.
pub fn map_patches(ebpf: &Ebpf, words: u8, subject: &str) -> Result<MappedPatches> {
    let name = PATCH_MAPS[usize::from(words) - 1];
    let what = format!("{subject}: {name}");
    let Some(Map::Array(map)) = ebpf.map(name) else {
        return Err(Error::new(
            ErrorKind::Kernel,
            format!("{subject}: map {name} missing"),
        ));
    };
    let info = map
        .info()
        .map_err(|err| Error::from_source_chain(&what, &err))?;
    let len = info.value_size() as usize * info.max_entries() as usize;
    // SAFETY: a fresh shared mapping of the map's values (offset 0, where
    // an mmapable array map has them, and no more than they hold); nothing
    // else in this process maps them, the BPF program only reads them, and
    // the mapping holds the map, whatever becomes of the fd.
    let address = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            map.fd().as_fd().as_raw_fd(),
            0,
        )
    };
    if address == libc::MAP_FAILED {
        return Err(Error::from_errno(
            &format!("{what}: mmap"),
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        ));
    }
    let address = NonNull::new(address.cast()).expect("mmap gives MAP_FAILED, not null");
    Ok(MappedPatches { address, len })
}

/// A patch map's values, mapped for writing; unmapped on drop.
pub struct MappedPatches {
    address: NonNull<u8>,
    len: usize,
}

impl Deref for MappedPatches {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `len` bytes mapped readable at `address` until drop, and
        // only this value hands out references to them.
        unsafe { std::slice::from_raw_parts(self.address.as_ptr(), self.len) }
    }
}

impl DerefMut for MappedPatches {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: `len` bytes mapped writable at `address` until drop, and
        // `&mut self` makes this the only reference to them.
        unsafe { std::slice::from_raw_parts_mut(self.address.as_ptr(), self.len) }
    }
}

impl Drop for MappedPatches {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping map_patches made, which no
        // reference outlives (they borrow self).
        unsafe {
            libc::munmap(self.address.as_ptr().cast(), self.len);
        }
    }
}

fn array<'a, V: Pod>(
    ebpf: &'a mut Ebpf,
    name: &str,
    subject: &str,
) -> Result<Array<&'a mut MapData, V>> {
    let map = ebpf
        .map_mut(name)
        .ok_or_else(|| Error::new(ErrorKind::Kernel, format!("{subject}: map {name} missing")))?;
    Array::try_from(map)
        .map_err(|err| Error::from_source_chain(&format!("{subject}: {name}"), &err))
}

/// `sizeof(struct xdperf_live_meta)`.
const LIVE_META_LEN: usize = 32;
/// `xdperf_live_meta.flags` and its XDPERF_META_STAMP_ONLY.
const META_FLAGS_AT: usize = 31;
const META_STAMP_ONLY: u8 = 1;
/// `sizeof(struct xdp_md)`: data, data_end, data_meta, ingress_ifindex,
/// rx_queue_index, egress_ifindex.
const XDP_MD_LEN: usize = 24;

/// A template's frame as BPF_PROG_RUN takes it when the template has
/// fields or the run stamps: a `struct xdperf_live_meta` then the frame
/// (data_in), and the `struct xdp_md` that puts the frame's start after it
/// (ctx_in), so the kernel hands the program the metadata in front of the
/// frame.
#[derive(Debug, Clone)]
pub struct MetaFrame {
    data: Vec<u8>,
    context: [u8; XDP_MD_LEN],
}

impl MetaFrame {
    /// `frame` of template `template_index`, whose variants are in
    /// `patches` if it has them, sent by sender slot `slot`.
    pub fn new(
        frame: &[u8],
        template_index: u32,
        patches: Option<&PatchPlacement>,
        slot: u32,
    ) -> MetaFrame {
        let mut data = vec![0; LIVE_META_LEN];
        data[12..16].copy_from_slice(&template_index.to_ne_bytes());
        data[16..20].copy_from_slice(&slot.to_ne_bytes());
        if let Some(patches) = patches {
            data[20..24].copy_from_slice(&patches.base.to_ne_bytes());
            data[24..28].copy_from_slice(&patches.period.to_ne_bytes());
            data[28..30].copy_from_slice(&patches.offset.to_ne_bytes());
            data[30] = patches.words;
        }
        data.extend_from_slice(frame);
        let mut context = [0; XDP_MD_LEN];
        context[0..4].copy_from_slice(&(LIVE_META_LEN as u32).to_ne_bytes());
        context[4..8].copy_from_slice(&(data.len() as u32).to_ne_bytes());
        MetaFrame { data, context }
    }

    /// `frame` of template `template_index`, which has no fields, sent by
    /// sender slot `slot` in a stamped run: its frames get only their stamp.
    pub fn stamp_only(frame: &[u8], template_index: u32, slot: u32) -> MetaFrame {
        let mut meta_frame = MetaFrame::new(frame, template_index, None, slot);
        meta_frame.data[META_FLAGS_AT] = META_STAMP_ONLY;
        meta_frame
    }

    /// Sets the call the next run is: its number (a new one restarts the
    /// slot's count) and the variant index of its first frame.
    #[inline]
    pub fn set_call(&mut self, call: u32, base: u64) {
        self.data[0..8].copy_from_slice(&base.to_ne_bytes());
        self.data[8..12].copy_from_slice(&call.to_ne_bytes());
    }

    /// data_in: the metadata, then the frame.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// ctx_in.
    pub fn context(&self) -> &[u8] {
        &self.context
    }

    /// The frame in `data_out` of a run that was not live (the metadata
    /// comes back in front of it).
    #[cfg(test)]
    pub fn frame_of(data_out: &[u8]) -> &[u8] {
        &data_out[LIVE_META_LEN..]
    }
}
