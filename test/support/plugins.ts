import { NO_DEVICE, type DeviceContext } from '../../src/device/local-device.js';
import { fromPackageRoot } from '../../src/paths.js';
import { DEFAULT_LIMITS, type PluginLimits } from '../../src/plugin/plugin-session.js';
import { generateTemplates, type GeneratedTemplates, type PluginContract } from '../../src/plugin/template-generator.js';
import type { LogLevel } from '../../src/plugin/protocol.js';

export const fixture = (name: string): string => fromPackageRoot('test', 'fixtures', 'out', `${name}.wasm`);
export const builtPlugin = (name: string): string => fromPackageRoot('plugins', name, 'out', `${name}.wasm`);

export interface Captured {
  logs: { level: LogLevel; message: string }[];
  metrics: { name: string; value: number; timestampMs: number }[];
  notices: string[];
}

export async function runPlugin(
  path: string,
  options: {
    config?: Record<string, unknown>;
    limits?: Partial<PluginLimits>;
    device?: DeviceContext;
    templates?: number;
    contract?: PluginContract;
  } = {},
): Promise<GeneratedTemplates & Captured> {
  const captured: Captured = { logs: [], metrics: [], notices: [] };
  const result = await generateTemplates({
    name: path.replace(/^.*\//, '').replace(/\.wasm$/, ''),
    path,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    config: options.config ?? {},
    templates: options.templates ?? 1,
    device: options.device ?? NO_DEVICE,
    deviceIsReal: false,
    contract: options.contract ?? 'xdperf',
    listener: {
      log: (level, message) => captured.logs.push({ level, message }),
      metric: (name, value, timestampMs) => captured.metrics.push({ name, value, timestampMs }),
      notice: (message) => captured.notices.push(message),
    },
  });
  return { ...result, ...captured };
}

/** The one-line message a failing plugin run gives. */
export async function failureOf(path: string, limits: Partial<PluginLimits> = {}): Promise<string> {
  try {
    await runPlugin(path, { limits });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${path} did not fail`);
}
