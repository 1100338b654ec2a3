/**
 * The native core's errors, worded at the edge: the core reports a stable code and, as data,
 * the setting an error is about and what would work instead (native/src/lib.rs, `to_js`); here
 * they become one line in xdperf's own terms, its command-line flags.
 */
import { XdperfError } from '../errors.js';

/** The core's name of each setting of a transmit request, and the flag a user gives it with. */
const FLAG_OF_SETTING: Record<string, string> = {
  engine: '--engine',
  xdpMode: '--xdp-mode',
  xdpBatchSize: '--xdp-batch',
  batch: '--batch',
  cpus: '--cpus',
  count: '--count',
  duration: '--duration',
  pps: '--pps',
  bps: '--bps',
};

interface NativeErrorDetail {
  message: string;
  setting?: string;
  instead?: { setting: string; values: string[] };
  errno?: number;
}

/** An error of the native core, worded for the user; `code` is the core's ERR_XDPERF_* code. */
export class NativeError extends XdperfError {
  constructor(
    message: string,
    readonly code: string,
    readonly errno: number | undefined,
  ) {
    super(message);
    this.name = 'NativeError';
  }
}

function flagOf(setting: string): string {
  return FLAG_OF_SETTING[setting] ?? setting;
}

function detailOf(message: string): NativeErrorDetail {
  try {
    const detail = JSON.parse(message) as NativeErrorDetail;
    if (typeof detail.message === 'string') return detail;
  } catch {
    // A message that is no detail object (napi's own, for a request of the wrong shape).
  }
  return { message };
}

/** The line a user reads for `detail`. */
export function wordNativeError(detail: NativeErrorDetail): string {
  let line = detail.setting === undefined ? detail.message : `${flagOf(detail.setting)} ${detail.message}`;
  if (detail.instead !== undefined && detail.instead.values.length > 0) {
    const flag = flagOf(detail.instead.setting);
    line += `; use ${detail.instead.values.map((value) => `${flag} ${value}`).join(' or ')}`;
  }
  return line;
}

/** `error` as a NativeError when it is one of the core's coded errors; anything else as it is. */
export function fromNative(error: unknown): unknown {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !code.startsWith('ERR_XDPERF_')) return error;
  const detail = detailOf((error as Error).message);
  return new NativeError(wordNativeError(detail), code, detail.errno);
}
