/**
 * The native core (native/, Rust via napi-rs), loaded on first use so that commands which do
 * not send (`templates`, `plugins`) work without it. It is used only through this facade: the
 * module's own types, with every call (of the module and of the objects it returns, promises
 * included) turning the core's coded errors into NativeErrors worded for the user
 * (native-error.ts), exit 1 and one line.
 */
import { createRequire } from 'node:module';
import { XdperfError } from '../errors.js';
import { fromPackageRoot } from '../paths.js';
import { fromNative } from './native-error.js';
import type * as Native from '../../native/index.js';
import { Engine, XdpMode } from '../../native/index.js';

export type { Counter, Counts, DeviceInfo, FieldSpec, FieldsSummary, ProbeResult, Stamps, StreamLatency, StreamStamps, Template, TxRequest, TxSession, TxStats } from '../../native/index.js';

/** The core's engine and AF_XDP mode for the controller's names (const enums, inlined by tsc). */
export const NATIVE_ENGINE = { afxdp: Engine.Afxdp, xdp: Engine.Xdp, packet: Engine.Packet } as const;
export const NATIVE_XDP_MODE = { auto: XdpMode.Auto, zerocopy: XdpMode.Zerocopy, copy: XdpMode.Copy } as const;

let core: typeof Native | undefined;

export function nativeCore(): typeof Native {
  if (!core) {
    let module: typeof Native;
    try {
      module = createRequire(import.meta.url)(fromPackageRoot('native', 'index.js')) as typeof Native;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
      throw new XdperfError(`the native core is not built (${reason}): run 'make native'`);
    }
    core = guarded(module);
  }
  return core;
}

/** A native class instance (a session, a counter), as opposed to a plain result object. */
function isNativeObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype;
}

function guardedResult(value: unknown): unknown {
  if (value instanceof Promise) {
    return value.then(guardedResult, (error: unknown) => {
      throw fromNative(error);
    });
  }
  return isNativeObject(value) ? guarded(value) : value;
}

function guarded<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property) {
      // The native object itself as `this`: napi's getters and methods need it.
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        let result: unknown;
        try {
          result = (value as (...args: unknown[]) => unknown).apply(object, args);
        } catch (error) {
          throw fromNative(error);
        }
        return guardedResult(result);
      };
    },
  });
}
