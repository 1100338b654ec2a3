// The module's side of xdperf's plugin ABI v1. A plugin's entry file
// re-exports these, and only these, from its top:
//
//   export { malloc, free, plugin_init, plugin_process, plugin_cleanup } from "../sdk/assemblyscript/abi";
//
// Memory the host asks for comes from the runtime's allocator (TLSF) as raw
// blocks that the garbage collector neither tracks nor frees, so a buffer
// lent to the host stays put until the host frees it. The SDK builds with
// the minimal runtime, whose collector runs only when asked: each call below
// ends with a collection, when no managed object is on the stack, so garbage
// never outlives the call that made it and nothing live is ever moved or freed
// under the plugin.

import { runCleanup, runInit, runProcess } from "./plugin";

// The allocator's own limit (TLSF's largest block is just under 1 GiB).
const MAX_ALLOCATION: u32 = (1 << 30) - 64;

/** (size i32) -> i32: a block of at least size bytes, 16-byte aligned; 0 when too large. */
export function malloc(size: u32): usize {
  if (size > MAX_ALLOCATION) return 0;
  return heap.alloc(<usize>max<u32>(size, 1));
}

/** (ptr i32): releases a block malloc gave; 0 is ignored. */
export function free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** (cfg_ptr, cfg_len) -> 0, or 1 when Init refused the config (its error is logged). */
export function plugin_init(ptr: usize, len: i32): i32 {
  const code = runInit(ptr, len);
  __collect();
  return code;
}

/**
 * (in_ptr, in_len, out_ptr, out_cap) -> bytes of GeneratorResponse[] JSON
 * written to out, or -1 (the request or Process failed; the error is logged),
 * or -3 (the JSON does not fit out_cap).
 */
export function plugin_process(inPtr: usize, inLen: i32, outPtr: usize, outCap: i32): i32 {
  const code = runProcess(inPtr, inLen, outPtr, outCap);
  __collect();
  return code;
}

/** Called once before the host unloads the plugin. */
export function plugin_cleanup(): void {
  runCleanup();
  __collect();
}
