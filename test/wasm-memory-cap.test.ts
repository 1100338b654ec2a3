import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capMemory, WASM_PAGE_BYTES } from '../src/plugin/wasm-memory-cap.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/** A module with one memory (flags, limits as LEB128 bytes) and an exported `memory`. */
function moduleWithMemory(limits: number[]): Uint8Array<ArrayBuffer> {
  const memory = [0x05, limits.length + 1, 0x01, ...limits];
  const exports = [0x07, 0x0a, 0x01, 0x06, ...Buffer.from('memory'), 0x02, 0x00];
  return Uint8Array.from([...HEADER, ...memory, ...exports]);
}

function declaredMaximum(bytes: Uint8Array<ArrayBuffer>): number | undefined {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const exported = instance.exports.memory as WebAssembly.Memory;
  // Growing one page past the cap must fail; growing to exactly the cap must work.
  const pages = exported.buffer.byteLength / WASM_PAGE_BYTES;
  let maximum = pages;
  try {
    for (;;) {
      exported.grow(1);
      maximum++;
      if (maximum > 70000) return undefined;
    }
  } catch {
    return maximum;
  }
}

test('a memory without a maximum gets the cap as its maximum', () => {
  const { bytes, initialBytes } = capMemory(moduleWithMemory([0x00, 0x02]), 16 * WASM_PAGE_BYTES);
  assert.is(initialBytes, 2 * WASM_PAGE_BYTES);
  assert.is(declaredMaximum(bytes), 16);
});

test('a maximum above the cap is lowered, one below it is kept', () => {
  assert.is(declaredMaximum(capMemory(moduleWithMemory([0x01, 0x01, 0x80, 0x02]), 8 * WASM_PAGE_BYTES).bytes), 8);
  assert.is(declaredMaximum(capMemory(moduleWithMemory([0x01, 0x01, 0x04]), 8 * WASM_PAGE_BYTES).bytes), 4);
});

test('an initial size above the cap is refused, naming both sizes', () => {
  // 64 pages = 4 MiB initial, cap 1 MiB.
  assert.throws(() => capMemory(moduleWithMemory([0x00, 0x40]), 2 ** 20), /declares 4 MiB of initial memory, more than the 1 MiB cap/);
});

test('bytes that are not WebAssembly are refused', () => {
  assert.throws(() => capMemory(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 2 ** 20), /not a WebAssembly module/);
});

test.run();
