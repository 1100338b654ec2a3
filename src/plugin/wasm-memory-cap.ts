/**
 * Caps a WebAssembly module's memory by rewriting the maximum its memory section declares,
 * before the module is compiled. The engine then refuses any `memory.grow` past the cap, so a
 * plugin cannot take more than the user allowed however it allocates.
 */

export const WASM_PAGE_BYTES = 65536;

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const MEMORY_SECTION_ID = 5;

export class WasmFormatError extends Error {}

interface Cursor {
  bytes: Uint8Array;
  offset: number;
}

function readU32(cursor: Cursor): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (cursor.offset >= cursor.bytes.length) throw new WasmFormatError('truncated LEB128 number');
    const byte = cursor.bytes[cursor.offset++]!;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 28) throw new WasmFormatError('LEB128 number too long');
  }
}

function encodeU32(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

export interface MemoryCapResult {
  /** The module bytes with every defined memory's maximum at most the cap. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Initial size of the module's memory in bytes (0 when it defines none). */
  initialBytes: number;
}

/** Rewrites the memory section; throws WasmFormatError when the module cannot fit the cap. */
export function capMemory(module: Uint8Array, capBytes: number): MemoryCapResult {
  if (module.length < 8 || MAGIC.some((b, i) => module[i] !== b)) {
    throw new WasmFormatError('not a WebAssembly module (bad magic number)');
  }
  const capPages = Math.floor(capBytes / WASM_PAGE_BYTES);
  const cursor: Cursor = { bytes: module, offset: 8 };
  while (cursor.offset < module.length) {
    const sectionStart = cursor.offset;
    const id = module[cursor.offset++]!;
    const size = readU32(cursor);
    const contentStart = cursor.offset;
    const contentEnd = contentStart + size;
    if (contentEnd > module.length) throw new WasmFormatError(`section ${id} runs past the end of the file`);
    if (id === MEMORY_SECTION_ID) {
      const { content, initialPages } = rewriteMemorySection(module.subarray(contentStart, contentEnd), capPages);
      const section = Uint8Array.from([MEMORY_SECTION_ID, ...encodeU32(content.length), ...content]);
      const out = new Uint8Array(sectionStart + section.length + (module.length - contentEnd));
      out.set(module.subarray(0, sectionStart), 0);
      out.set(section, sectionStart);
      out.set(module.subarray(contentEnd), sectionStart + section.length);
      return { bytes: out, initialBytes: initialPages * WASM_PAGE_BYTES };
    }
    cursor.offset = contentEnd;
  }
  return { bytes: new Uint8Array(module), initialBytes: 0 };
}

function rewriteMemorySection(
  content: Uint8Array,
  capPages: number,
): { content: number[]; initialPages: number } {
  const cursor: Cursor = { bytes: content, offset: 0 };
  const count = readU32(cursor);
  const out = encodeU32(count);
  let initialPages = 0;
  for (let i = 0; i < count; i++) {
    const flags = readU32(cursor);
    if (flags > 1) {
      throw new WasmFormatError('uses shared or 64-bit memory, which the host does not support');
    }
    const minimum = readU32(cursor);
    const maximum = flags === 1 ? readU32(cursor) : Infinity;
    if (minimum > capPages) {
      throw new WasmFormatError(
        `declares ${(minimum * WASM_PAGE_BYTES) / 2 ** 20} MiB of initial memory, more than the ` +
          `${(capPages * WASM_PAGE_BYTES) / 2 ** 20} MiB cap (--plugin-memory)`,
      );
    }
    initialPages += minimum;
    out.push(1, ...encodeU32(minimum), ...encodeU32(Math.min(maximum, capPages)));
  }
  if (cursor.offset !== content.length) throw new WasmFormatError('memory section has trailing bytes');
  return { content: out, initialPages };
}
