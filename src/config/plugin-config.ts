/**
 * The plugin's own config: the profile's `plugin_config`, then a `--plugin-config` file (YAML
 * or JSON), then each `--set key=value`, later ones winning. Values given with --set are read as
 * YAML scalars, so `--set dst_port=53` is a number and `--set dst_ip=10.0.0.1` a string.
 */
import { readFileSync } from 'node:fs';
import { UsageError, XdperfError } from '../errors.js';
import { parseYamlText } from './yaml-text.js';

export type PluginConfig = Record<string, unknown>;

/** Keys the host fills in for every plugin_process call; a user setting them would be overridden. */
export const HOST_INJECTED_KEYS = ['count', 'device_mac_addr', 'dst_mac_addr', 'device_name', 'mtu', 'queues'] as const;

function isMapping(value: unknown): value is PluginConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function loadPluginConfigFile(file: string): PluginConfig {
  let text: string;
  let document: unknown;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new XdperfError(`plugin config ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    document = parseYamlText(text);
  } catch (error) {
    throw new XdperfError(`plugin config ${file}: not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (!isMapping(document)) throw new XdperfError(`plugin config ${file}: must be a mapping of keys to values`);
  return document;
}

/** Applies `key=value`; a dotted key (`flow.dst_port=53`) sets a nested value. */
export function applySetting(config: PluginConfig, assignment: string): PluginConfig {
  const equals = assignment.indexOf('=');
  const key = assignment.slice(0, equals);
  if (equals <= 0 || key.split('.').some((part) => part === '')) {
    throw new UsageError(`--set '${assignment}': expected key=value`);
  }
  const raw = assignment.slice(equals + 1);
  let value: unknown;
  try {
    value = raw === '' ? '' : parseYamlText(raw);
  } catch {
    // Not a plain YAML value (`%`, `!tag x`, `[unclosed`): the text as it is.
    value = raw;
  }
  const result = structuredClone(config);
  const parts = key.split('.');
  let target = result;
  // Own keys only: `__proto__.x=1` sets a key named __proto__, not one on every object.
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(target, part) ? target[part] : undefined;
    target = isMapping(next) ? next : setOwn(target, part, {});
  }
  setOwn(target, parts[parts.length - 1]!, value);
  return result;
}

function setOwn<T>(object: PluginConfig, key: string, value: T): T {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

export function buildPluginConfig(fromProfile: PluginConfig | undefined, file: string | undefined, assignments: string[]): PluginConfig {
  let config: PluginConfig = { ...(fromProfile ?? {}), ...(file ? loadPluginConfigFile(file) : {}) };
  for (const assignment of assignments) config = applySetting(config, assignment);
  const clash = HOST_INJECTED_KEYS.find((key) => Object.hasOwn(config, key));
  if (clash) {
    throw new XdperfError(
      `plugin config key '${clash}' is set by the host${clash === 'count' ? ' (use --templates)' : clash === 'dst_mac_addr' ? ' (set the plugin\'s own dst_mac key)' : ' from the device (--dev)'}`,
    );
  }
  return config;
}
