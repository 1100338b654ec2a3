/**
 * The `wasi_snapshot_preview1` a plugin sees: no files, no environment, no arguments, no
 * sockets. Standard output and error are split into lines and handed to `onLine`, so a plugin's
 * `printf` becomes a debug log line instead of reaching the user's terminal; `proc_exit` ends the
 * call with a ProcExit. Node's own `node:wasi` is not used because it can only write plugin
 * output to real file descriptors and prints an experimental-API warning on every run.
 */
import { webcrypto } from 'node:crypto';
import { LOG_LIMITS } from './log-budget.js';

const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;
const ERRNO_NOTSUP = 58;
const ERRNO_SPIPE = 70;

const FILETYPE_CHARACTER_DEVICE = 2;
const CLOCK_REALTIME = 0;
const EVENTTYPE_CLOCK = 0;
const SUBSCRIPTION_CLOCK_ABSTIME = 1;

/** Every function of WASI preview 1; a plugin may import any of these and no others. */
export const WASI_PREVIEW1_FUNCTIONS = [
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get',
  'clock_time_get', 'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get',
  'fd_fdstat_set_flags', 'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size',
  'fd_filestat_set_times', 'fd_pread', 'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite',
  'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek', 'fd_sync', 'fd_tell', 'fd_write',
  'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link',
  'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
  'path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get',
  'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
] as const;

export const WASI_MODULE = 'wasi_snapshot_preview1';

export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`called proc_exit(${code})`);
  }
}

export type OutputStream = 'stdout' | 'stderr';

/**
 * A line being written: only its first LOG_LIMITS.lineBytes are kept, so output without a newline
 * costs no more memory than a line the host would show anyway.
 */
class PendingLine {
  readonly head = new Uint8Array(LOG_LIMITS.lineBytes);
  kept = 0;
  totalBytes = 0;

  append(bytes: Uint8Array): void {
    const room = this.head.length - this.kept;
    if (room > 0) {
      this.head.set(bytes.subarray(0, room), this.kept);
      this.kept += Math.min(room, bytes.length);
    }
    this.totalBytes += bytes.length;
  }

  reset(): void {
    this.kept = 0;
    this.totalBytes = 0;
  }
}

/** Receives each line: its first bytes (`head`, a view valid only during the call) and its length. */
export type LineSink = (stream: OutputStream, head: Uint8Array, totalBytes: number) => void;

const NEWLINE = 0x0a;

export class WasiSandbox {
  private memory: WebAssembly.Memory | undefined;
  private readonly pending: Record<OutputStream, PendingLine> = { stdout: new PendingLine(), stderr: new PendingLine() };
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly onLine: LineSink) {}

  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** Emits output that did not end in a newline; called after each plugin call. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream].totalBytes > 0) this.emit(stream);
    }
  }

  private emit(stream: OutputStream): void {
    const line = this.pending[stream];
    this.onLine(stream, line.head.subarray(0, line.kept), line.totalBytes);
    line.reset();
  }

  imports(): Record<string, (...args: never[]) => number | void> {
    const functions: Record<string, (...args: never[]) => number | void> = {};
    for (const name of WASI_PREVIEW1_FUNCTIONS) functions[name] = () => ERRNO_NOSYS;
    const isStdio = (fd: number): boolean => fd >= 0 && fd <= 2;
    const zeroPair = (a: number, b: number): number => {
      this.view().setUint32(a, 0, true);
      this.view().setUint32(b, 0, true);
      return ERRNO_SUCCESS;
    };
    return Object.assign(functions, {
      args_sizes_get: zeroPair,
      environ_sizes_get: zeroPair,
      args_get: () => ERRNO_SUCCESS,
      environ_get: () => ERRNO_SUCCESS,
      clock_res_get: (_id: number, out: number) => {
        this.view().setBigUint64(out, 1000n, true);
        return ERRNO_SUCCESS;
      },
      clock_time_get: (id: number, _precision: bigint, out: number) => {
        this.view().setBigUint64(out, this.now(id), true);
        return ERRNO_SUCCESS;
      },
      fd_write: (fd: number, iovs: number, iovsLength: number, written: number) =>
        this.fdWrite(fd, iovs, iovsLength, written),
      fd_read: (fd: number, _iovs: number, _iovsLength: number, read: number) => {
        if (fd !== 0) return ERRNO_BADF;
        this.view().setUint32(read, 0, true);
        return ERRNO_SUCCESS;
      },
      fd_fdstat_get: (fd: number, out: number) => {
        if (!isStdio(fd)) return ERRNO_BADF;
        this.bytes().fill(0, out, out + 24);
        this.view().setUint8(out, FILETYPE_CHARACTER_DEVICE);
        return ERRNO_SUCCESS;
      },
      fd_filestat_get: (fd: number, out: number) => {
        if (!isStdio(fd)) return ERRNO_BADF;
        this.bytes().fill(0, out, out + 64);
        this.view().setUint8(out + 16, FILETYPE_CHARACTER_DEVICE);
        return ERRNO_SUCCESS;
      },
      fd_fdstat_set_flags: (fd: number) => (isStdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF),
      fd_prestat_get: () => ERRNO_BADF,
      fd_close: (fd: number) => (isStdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF),
      fd_seek: (fd: number) => (isStdio(fd) ? ERRNO_SPIPE : ERRNO_BADF),
      fd_sync: (fd: number) => (isStdio(fd) ? ERRNO_SUCCESS : ERRNO_BADF),
      random_get: (buffer: number, length: number) => {
        for (let offset = 0; offset < length; offset += 65536) {
          webcrypto.getRandomValues(this.bytes().subarray(buffer + offset, buffer + Math.min(length, offset + 65536)));
        }
        return ERRNO_SUCCESS;
      },
      poll_oneoff: (subscriptions: number, events: number, count: number, eventCount: number) =>
        this.pollOneoff(subscriptions, events, count, eventCount),
      sched_yield: () => ERRNO_SUCCESS,
      proc_exit: (code: number) => {
        this.flush();
        throw new ProcExit(code);
      },
    });
  }

  private view(): DataView {
    if (!this.memory) throw new Error('WASI call before the module memory was bound');
    return new DataView(this.memory.buffer);
  }

  private bytes(): Uint8Array {
    if (!this.memory) throw new Error('WASI call before the module memory was bound');
    return new Uint8Array(this.memory.buffer);
  }

  private now(clockId: number): bigint {
    if (clockId === CLOCK_REALTIME) {
      return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    }
    return process.hrtime.bigint();
  }

  private fdWrite(fd: number, iovs: number, iovsLength: number, written: number): number {
    if (fd !== 1 && fd !== 2) return ERRNO_BADF;
    const stream: OutputStream = fd === 1 ? 'stdout' : 'stderr';
    const view = this.view();
    const line = this.pending[stream];
    let total = 0;
    for (let i = 0; i < iovsLength; i++) {
      const base = view.getUint32(iovs + i * 8, true);
      const length = view.getUint32(iovs + i * 8 + 4, true);
      const bytes = this.bytes().subarray(base, base + length);
      for (let start = 0; start < bytes.length; ) {
        const newline = bytes.indexOf(NEWLINE, start);
        line.append(bytes.subarray(start, newline < 0 ? bytes.length : newline));
        if (newline < 0) break;
        this.emit(stream);
        start = newline + 1;
      }
      total += length;
    }
    view.setUint32(written, total, true);
    return ERRNO_SUCCESS;
  }

  /**
   * Only clock subscriptions are meaningful without files: the worker thread really sleeps until
   * the earliest one is due, then reports every clock that has expired; file subscriptions are
   * answered at once with ENOTSUP.
   */
  private pollOneoff(subscriptions: number, events: number, count: number, eventCount: number): number {
    if (count === 0) return ERRNO_INVAL;
    const view = this.view();
    const start = this.now(1);
    const waits: (bigint | undefined)[] = [];
    let hasFileSubscription = false;
    for (let i = 0; i < count; i++) {
      const sub = subscriptions + i * 48;
      if (view.getUint8(sub + 8) !== EVENTTYPE_CLOCK) {
        hasFileSubscription = true;
        waits.push(undefined);
        continue;
      }
      const timeout = view.getBigUint64(sub + 24, true);
      const absolute = (view.getUint16(sub + 40, true) & SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
      waits.push(absolute ? timeout - this.now(view.getUint32(sub + 16, true)) : timeout);
    }
    const clockWaits = waits.filter((wait): wait is bigint => wait !== undefined);
    if (!hasFileSubscription && clockWaits.length > 0) {
      const shortest = clockWaits.reduce((a, b) => (b < a ? b : a));
      if (shortest > 0n) Atomics.wait(this.sleeper, 0, 0, Number(shortest) / 1e6);
    }
    const elapsed = this.now(1) - start;
    let produced = 0;
    waits.forEach((wait, i) => {
      if (wait !== undefined && wait > elapsed) return;
      const sub = subscriptions + i * 48;
      const event = events + produced * 32;
      this.bytes().fill(0, event, event + 32);
      view.setBigUint64(event, view.getBigUint64(sub, true), true);
      view.setUint16(event + 8, wait === undefined ? ERRNO_NOTSUP : ERRNO_SUCCESS, true);
      view.setUint8(event + 10, view.getUint8(sub + 8));
      produced++;
    });
    view.setUint32(eventCount, produced, true);
    return ERRNO_SUCCESS;
  }
}
