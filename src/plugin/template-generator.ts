/**
 * One plugin run from file to validated templates: load, plugin_init(config),
 * plugin_process(request), validate, plugin_cleanup. The worker is always ended.
 */
import { lookupNeighbour, type DeviceContext } from '../device/local-device.js';
import type { PluginConfig } from '../config/plugin-config.js';
import { parseTemplates, type PacketTemplate } from './packet-template.js';
import { PluginSession, type PluginLimits, type PluginListener } from './plugin-session.js';
import type { ModuleInfo } from './protocol.js';

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

export async function generateTemplates(options: GenerateOptions): Promise<GeneratedTemplates> {
  const started = performance.now();
  const session = await PluginSession.open(options.path, options.name, options.limits, options.listener);
  let result: GeneratedTemplates;
  try {
    await session.init(options.config);
    const request = buildRequest(options.config, options.device, options.templates, options.deviceIsReal);
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
