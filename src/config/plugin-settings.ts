/**
 * The settings every plugin-loading command shares, resolved from flags over the run profile
 * over defaults. A bad flag value is a usage error (exit 2); a bad profile value names the file.
 */
import { UsageError, XdperfError } from '../errors.js';
import { DEFAULT_LIMITS, type PluginLimits } from '../plugin/plugin-session.js';
import { parseCount, parseDurationMs, parseSizeBytes } from '../units.js';
import { buildPluginConfig, type PluginConfig } from './plugin-config.js';
import { loadProfile, type RunProfile } from './run-profile.js';

export interface PluginFlags {
  config?: string;
  plugin?: string;
  pluginDir?: string[];
  pluginConfig?: string;
  set?: string[];
  pluginTimeout?: string;
  pluginMemory?: string;
  pluginOutput?: string;
  templates?: string;
  dev?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface PluginSettings {
  plugin: string;
  pluginDirs: string[];
  pluginConfig: PluginConfig;
  limits: PluginLimits;
  templates: number;
  dev: string | undefined;
  json: boolean;
  verbose: boolean;
}

const MAX_WASM32_MEMORY = 4 * 2 ** 30;
const MAX_TEMPLATES = 65536;

/** Parses one setting, blaming the flag or the profile key it came from. */
export function pick<T>(
  flag: string | undefined,
  flagName: string,
  fromProfile: string | number | undefined,
  profileKey: string,
  profileFile: string | undefined,
  parse: (value: string | number) => T,
  fallback: T,
): T {
  const [value, source] =
    flag !== undefined ? [flag, flagName] : fromProfile !== undefined ? [fromProfile, `${profileFile}: key '${profileKey}'`] : [];
  if (value === undefined) return fallback;
  try {
    return parse(value);
  } catch (error) {
    const message = `${source}: ${(error as Error).message}`;
    throw flag !== undefined ? new UsageError(message) : new XdperfError(message);
  }
}

function within(min: number, max: number, describe: (n: number) => string, parse: (v: string | number) => number) {
  return (value: string | number): number => {
    const n = parse(value);
    if (n < min || n > max) throw new RangeError(`${describe(n)} is out of range ${describe(min)}..${describe(max)}`);
    return n;
  };
}

const mib = (n: number): string => (n >= 2 ** 20 ? `${n / 2 ** 20} MiB` : `${n} bytes`);

export function readProfile(file: string | undefined): RunProfile {
  return file === undefined ? {} : loadProfile(file);
}

export function resolvePluginSettings(flags: PluginFlags, profile: RunProfile): PluginSettings {
  const file = flags.config;
  const plugin = flags.plugin ?? profile.plugin;
  if (plugin === undefined) throw new UsageError('--plugin is required (a plugin name or a path to a .wasm file)');
  return {
    plugin,
    pluginDirs: [...(flags.pluginDir ?? []), ...(profile.plugin_dir ?? [])],
    pluginConfig: buildPluginConfig(profile.plugin_config, flags.pluginConfig, flags.set ?? []),
    limits: {
      timeoutMs: pick(flags.pluginTimeout, '--plugin-timeout', profile.plugin_timeout, 'plugin_timeout', file,
        within(1, 600_000, (n) => `${n} ms`, parseDurationMs), DEFAULT_LIMITS.timeoutMs),
      memoryBytes: pick(flags.pluginMemory, '--plugin-memory', profile.plugin_memory, 'plugin_memory', file,
        within(2 ** 20, MAX_WASM32_MEMORY, mib, parseSizeBytes), DEFAULT_LIMITS.memoryBytes),
      outputBytes: pick(flags.pluginOutput, '--plugin-output', profile.plugin_output, 'plugin_output', file,
        within(1024, 2 ** 30, mib, parseSizeBytes), DEFAULT_LIMITS.outputBytes),
    },
    templates: pick(flags.templates, '--templates', profile.templates, 'templates', file,
      within(1, MAX_TEMPLATES, String, parseCount), 1),
    dev: flags.dev ?? profile.dev,
    json: flags.json ?? profile.json ?? false,
    verbose: flags.verbose ?? profile.verbose ?? false,
  };
}
