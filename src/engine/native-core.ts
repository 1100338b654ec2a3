/**
 * The native core (native/, Rust via napi-rs), loaded on first use so that commands which do
 * not send (`templates`, `plugins`) work without it. Its errors carry a stable `code`
 * (ERR_XDPERF_*) and a one-line message written for the user.
 */
import { createRequire } from 'node:module';
import { XdperfError } from '../errors.js';
import { fromPackageRoot } from '../paths.js';
import type * as Native from '../../native/index.js';

export type { Counter, Counts, DeviceInfo, ProbeResult, Template, TxPlan, TxSession, TxStats } from '../../native/index.js';

let core: typeof Native | undefined;

export function nativeCore(): typeof Native {
  if (!core) {
    try {
      core = createRequire(import.meta.url)(fromPackageRoot('native', 'index.js')) as typeof Native;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
      throw new XdperfError(`the native core is not built (${reason}): run 'make native'`);
    }
  }
  return core;
}

function isEngineError(error: unknown): error is Error & { code: string } {
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_XDPERF_');
}

/** Runs a native call, turning its coded errors into XdperfErrors (exit 1, one line). */
export function engineCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (isEngineError(error)) throw new XdperfError(error.message);
    throw error;
  }
}

export async function engineWait<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (isEngineError(error)) throw new XdperfError(error.message);
    throw error;
  }
}
