/**
 * One loaded plugin module and the ABI v1 calls on it. Runs inside the plugin worker; every
 * failure is thrown as a CallFailure whose text completes `plugin <name>: <text> (<step>)`.
 */
import { readFileSync } from 'node:fs';
import { LogBudget, lineText } from './log-budget.js';
import { capMemory, WasmFormatError, WASM_PAGE_BYTES } from './wasm-memory-cap.js';
import { ProcExit, WASI_MODULE, WASI_PREVIEW1_FUNCTIONS, WasiSandbox } from './wasi-sandbox.js';
import type { LogLevel, ModuleInfo } from './protocol.js';

export class CallFailure extends Error {}

export interface InstanceEvents {
  log(level: LogLevel, message: string): void;
  metric(name: string, value: number, timestampMs: number): void;
  /** What the host has to say about a call, e.g. that it dropped log lines over the cap. */
  notice(message: string): void;
}

const REQUIRED_EXPORTS = ['memory', 'malloc', 'free', 'plugin_init', 'plugin_process'] as const;
const HOST_FUNCTIONS = new Set(['host_log', 'host_report_metric']);
const WASI_FUNCTIONS = new Set<string>(WASI_PREVIEW1_FUNCTIONS);
const LOG_ERROR: LogLevel = 3;

interface PluginExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(pointer: number): void;
  plugin_init(pointer: number, length: number): number;
  plugin_process(inPointer: number, inLength: number, outPointer: number, outCapacity: number): number;
  plugin_cleanup?: () => void;
  _initialize?: () => void;
}

/** Plugin timestamps may be in s, ms, µs or ns since the epoch; the magnitude tells which. */
export function timestampToMs(timestamp: bigint): number {
  const magnitude = timestamp < 0n ? -timestamp : timestamp;
  if (magnitude < 100_000_000_000n) return Number(timestamp) * 1000;
  if (magnitude < 100_000_000_000_000n) return Number(timestamp);
  if (magnitude < 100_000_000_000_000_000n) return Number(timestamp) / 1000;
  return Number(timestamp / 1000n) / 1000;
}

export class PluginInstance {
  private exports!: PluginExports;
  private lastError = '';
  private readonly encoder = new TextEncoder();
  private readonly budget = new LogBudget();

  private constructor(
    private readonly events: InstanceEvents,
    private readonly memoryCapBytes: number,
    private readonly wasi: WasiSandbox,
  ) {}

  static load(path: string, memoryCapBytes: number, events: InstanceEvents): { instance: PluginInstance; info: ModuleInfo } {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new CallFailure(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let capped;
    try {
      capped = capMemory(bytes, memoryCapBytes);
    } catch (error) {
      if (error instanceof WasmFormatError) throw new CallFailure(error.message);
      throw error;
    }
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(capped.bytes);
    } catch (error) {
      throw new CallFailure(`is not a valid WebAssembly module: ${(error as Error).message}`);
    }
    const info: ModuleInfo = {
      exports: WebAssembly.Module.exports(module).map((e) => e.name),
      imports: WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`),
      initialMemoryBytes: capped.initialBytes,
    };
    checkShape(module, info);

    const wasi = new WasiSandbox((stream, head, totalBytes) =>
      instance.logLine(0, head, totalBytes, { prefix: `${stream}: `, isError: stream === 'stderr' }),
    );
    const instance = new PluginInstance(events, memoryCapBytes, wasi);
    let wasm: WebAssembly.Instance;
    try {
      wasm = new WebAssembly.Instance(module, {
        env: { host_log: instance.hostLog.bind(instance), host_report_metric: instance.hostReportMetric.bind(instance) },
        [WASI_MODULE]: wasi.imports(),
      });
    } catch (error) {
      throw new CallFailure(`cannot be instantiated: ${(error as Error).message}`);
    }
    instance.exports = wasm.exports as unknown as PluginExports;
    if (!(instance.exports.memory instanceof WebAssembly.Memory)) throw new CallFailure('export memory is not a memory');
    wasi.bind(instance.exports.memory);
    if (instance.exports._initialize) instance.call(() => instance.guard(() => instance.exports._initialize!()));
    return { instance, info };
  }

  init(config: string): void {
    this.call(() => {
      const { pointer, length } = this.place(config);
      const code = this.guard(() => this.exports.plugin_init(pointer, length));
      const failure = code === 0 ? undefined : this.withLastError(`returned error code ${code}`);
      this.guard(() => this.exports.free(pointer));
      if (failure !== undefined) throw new CallFailure(failure);
    });
  }

  process(request: string, outputCapBytes: number): string {
    return this.call(() => this.runProcess(request, outputCapBytes));
  }

  cleanup(): void {
    if (this.exports.plugin_cleanup) this.call(() => this.guard(() => this.exports.plugin_cleanup!()));
  }

  /** One ABI call with a fresh log budget; what it dropped is told after it, whether it failed or not. */
  private call<T>(run: () => T): T {
    this.budget.begin();
    try {
      return run();
    } finally {
      for (const note of this.budget.overruns()) this.events.notice(note);
    }
  }

  private runProcess(request: string, outputCapBytes: number): string {
    const input = this.place(request);
    const output = this.allocate(outputCapBytes);
    try {
      const written = this.guard(() => this.exports.plugin_process(input.pointer, input.length, output, outputCapBytes));
      if (written < 0) throw new CallFailure(this.withLastError(`returned error code ${written}`));
      if (written > outputCapBytes) {
        throw new CallFailure(
          `returned ${written} bytes, more than its ${outputCapBytes}-byte output buffer (--plugin-output)`,
        );
      }
      const bytes = new Uint8Array(this.exports.memory.buffer, output, written);
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new CallFailure(`returned ${written} bytes that are not UTF-8 text`);
      }
    } finally {
      this.guard(() => this.exports.free(input.pointer));
      this.guard(() => this.exports.free(output));
    }
  }

  private place(text: string): { pointer: number; length: number } {
    const bytes = this.encoder.encode(text);
    const pointer = this.allocate(bytes.length);
    new Uint8Array(this.exports.memory.buffer).set(bytes, pointer);
    return { pointer, length: bytes.length };
  }

  private allocate(size: number): number {
    const pointer = this.guard(() => this.exports.malloc(Math.max(size, 1)));
    if (pointer === 0) throw new CallFailure(this.withLastError(`malloc(${size}) returned 0`));
    return pointer;
  }

  /** Runs plugin code and turns traps and exits into CallFailures that say what happened. */
  private guard<T>(call: () => T): T {
    this.lastError = '';
    try {
      return call();
    } catch (error) {
      if (error instanceof CallFailure) throw error;
      throw new CallFailure(this.withLastError(this.describeAbort(error)));
    } finally {
      this.wasi.flush();
    }
  }

  private describeAbort(error: unknown): string {
    const outOfMemory = this.nearMemoryCap();
    if (error instanceof ProcExit) {
      return outOfMemory ? `exited with code ${error.code} after running out of memory${this.capNote()}` : `exited with code ${error.code}`;
    }
    if (error instanceof WebAssembly.RuntimeError) {
      return outOfMemory ? `ran out of memory${this.capNote()}` : `trapped: ${error.message}`;
    }
    if (error instanceof RangeError && /call stack/.test(error.message)) return 'overflowed the call stack';
    return `failed: ${error instanceof Error ? error.message : String(error)}`;
  }

  /** Growth fails only near the cap; allocators grow in chunks of up to a few MiB. */
  private nearMemoryCap(): boolean {
    const used = this.exports.memory.buffer.byteLength;
    const slack = Math.min(8 * 2 ** 20, this.memoryCapBytes / 4);
    return used + slack >= Math.floor(this.memoryCapBytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES;
  }

  private capNote(): string {
    return ` (the cap is ${this.memoryCapBytes / 2 ** 20} MiB, --plugin-memory)`;
  }

  private withLastError(what: string): string {
    return this.lastError === '' ? what : `${what}: ${this.lastError}`;
  }

  /** The plugin's (pointer, length) as a view of its memory, without copying it. */
  private memoryRange(pointer: number, length: number): Uint8Array {
    const memory = new Uint8Array(this.exports.memory.buffer);
    if (pointer < 0 || length < 0 || pointer + length > memory.length) {
      throw new CallFailure(`passed a string outside its memory (${pointer}+${length})`);
    }
    return memory.subarray(pointer, pointer + length);
  }

  /**
   * Every log line, host_log's and stdout's and stderr's, comes through here. A line over the
   * call's cap is only counted, unless it is an error line: its text (cut like any line) still
   * becomes the last error a failure quotes, it is just not posted.
   */
  private logLine(level: LogLevel, head: Uint8Array, totalBytes: number, line: { prefix?: string; isError: boolean }): void {
    const posted = this.budget.takeLine();
    if (!posted && !line.isError) return;
    const text = lineText(head, totalBytes);
    if (line.isError) this.lastError = text;
    if (posted) this.events.log(level, (line.prefix ?? '') + text);
  }

  private hostLog(level: number, pointer: number, length: number): void {
    const clamped = Math.min(Math.max(level, 0), 3) as LogLevel;
    const bytes = this.memoryRange(pointer, length);
    this.logLine(clamped, bytes, bytes.length, { isError: clamped === LOG_ERROR });
  }

  private hostReportMetric(namePointer: number, nameLength: number, value: number, timestamp: bigint): void {
    const name = this.memoryRange(namePointer, nameLength);
    if (this.budget.takeMetric()) this.events.metric(lineText(name), value, timestampToMs(timestamp));
  }
}

function checkShape(module: WebAssembly.Module, info: ModuleInfo): void {
  if (info.exports.includes('_start') && !info.exports.includes('_initialize')) {
    throw new CallFailure(
      'is a WASI command module (exports _start); build it as a reactor (Go: -buildmode=c-shared, clang: -mexec-model=reactor)',
    );
  }
  for (const name of REQUIRED_EXPORTS) {
    if (!info.exports.includes(name)) throw new CallFailure(`does not export ${name}`);
  }
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    const provided =
      kind === 'function' && ((from === 'env' && HOST_FUNCTIONS.has(name)) || (from === WASI_MODULE && WASI_FUNCTIONS.has(name)));
    if (!provided) throw new CallFailure(`imports ${from}.${name} (${kind}), which the host does not provide`);
  }
  const exportKinds = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  for (const name of ['malloc', 'free', 'plugin_init', 'plugin_process']) {
    if (exportKinds.get(name) !== 'function') throw new CallFailure(`export ${name} is not a function`);
  }
}
