/**
 * One plugin run from file to validated templates: load, plugin_init(config) (not under the seed's
 * contract), plugin_process(request), validate, plugin_cleanup. The worker is always ended.
 */
import { lookupNeighbour, type DeviceContext } from '../device/local-device.js';
import type { PluginConfig } from '../config/plugin-config.js';
import { parseTemplates, type PacketTemplate } from './packet-template.js';
import { PluginSession, type PluginLimits, type PluginListener } from './plugin-session.js';
import type { ModuleInfo } from './protocol.js';

/**
 * Which host contract to follow. `xdperf` calls plugin_init with the config and also merges it into
 * the request; `seed` does what the seed's xdperf host does, which never calls plugin_init and
 * passes the config only in the request. Tests use it to check that plugins work under both.
 */
export type PluginContract = 'xdperf' | 'seed';

export interface GenerateOptions {
  name: string;
  path: string;
  limits: PluginLimits;
  config: PluginConfig;
  templates: number;
  device: DeviceContext;
  /** Whether the device is real, so its neighbour table may be asked for `dst_ip`. */
  deviceIsReal: boolean;
  listener?: PluginListener;
  /** `xdperf` unless said. */
  contract?: PluginContract;
}

export interface GeneratedTemplates {
  templates: PacketTemplate[];
  module: ModuleInfo;
  request: Record<string, unknown>;
  /** Wall time from starting the worker to the validated response. */
  elapsedMs: number;
}

export function buildRequest(config: PluginConfig, device: DeviceContext, templates: number, deviceIsReal: boolean): Record<string, unknown> {
  const request: Record<string, unknown> = {
    ...config,
    count: templates,
    device_mac_addr: device.mac.toString('base64'),
    device_name: device.name,
    mtu: device.mtu,
    queues: device.queues,
  };
  const dstIp = config.dst_ip;
  if (deviceIsReal && typeof dstIp === 'string') {
    const mac = lookupNeighbour(device.name, dstIp);
    if (mac) request.dst_mac_addr = mac.toString('base64');
  }
  return request;
}

/** What the seed's host sends: the config with `count`, `device_mac_addr` and `device_name`, no more. */
function seedRequest(config: PluginConfig, device: DeviceContext, templates: number): Record<string, unknown> {
  return { ...config, count: templates, device_mac_addr: device.mac.toString('base64'), device_name: device.name };
}

export async function generateTemplates(options: GenerateOptions): Promise<GeneratedTemplates> {
  const started = performance.now();
  const session = await PluginSession.open(options.path, options.name, options.limits, options.listener);
  let result: GeneratedTemplates;
  try {
    const seed = options.contract === 'seed';
    if (!seed) await session.init(options.config);
    const request = seed
      ? seedRequest(options.config, options.device, options.templates)
      : buildRequest(options.config, options.device, options.templates, options.deviceIsReal);
    const templates = parseTemplates(options.name, await session.process(request));
    result = { templates, module: session.module!, request, elapsedMs: performance.now() - started };
  } catch (error) {
    // The first failure is the one to report; a cleanup failing after it would only hide it.
    await session.close().catch(() => undefined);
    throw error;
  }
  await session.close();
  return result;
}
