/**
 * The settings every plugin-loading command (run, templates) shares: the plugin's options from
 * the option table (options.ts), resolved, with the plugin config built and the limits grouped.
 */
import { UsageError } from '../errors.js';
import { formatSize } from '../units.js';
import type { PluginLimits } from '../plugin/plugin-session.js';
import { buildPluginConfig, type PluginConfig } from './plugin-config.js';
import { resolveOptions, valuesShared, type CommandFlags, type OptionsOf, type OptionValues, type RunProfile } from './options.js';

/** The options run and templates both take. */
type Shared = OptionsOf<'run'> & OptionsOf<'templates'>;

/** Flags of either command (a test may hand in both commands' flags). */
export type PluginFlags = CommandFlags<'templates'> & CommandFlags<'run'>;

/** The shared options' values; those below are read into their final form. */
export interface PluginSettings
  extends Omit<Pick<OptionValues<'templates'>, Shared>, 'config' | 'plugin' | 'pluginDir' | 'pluginConfig' | 'set' | 'pluginTimeout' | 'pluginMemory' | 'pluginOutput'> {
  plugin: string;
  pluginDirs: string[];
  /** The profile's plugin_config, the --plugin-config file over it, each --set over both. */
  pluginConfig: PluginConfig;
  limits: PluginLimits;
}

/** From the values of either command (run or templates). */
export function pluginSettings(values: Pick<OptionValues<'run'>, Shared>): PluginSettings {
  const { config: _config, plugin, pluginDir, pluginConfig, set, pluginTimeout, pluginMemory, pluginOutput, ...rest } = valuesShared(values, 'run', 'templates');
  if (plugin === undefined) throw new UsageError('--plugin is required (a plugin name or a path to a .wasm file)');
  // The output buffer is allocated in the plugin's own memory.
  if (pluginOutput >= pluginMemory) {
    throw new UsageError(`--plugin-output ${formatSize(pluginOutput)} does not fit in --plugin-memory ${formatSize(pluginMemory)}: the plugin writes its output into its own memory`);
  }
  return {
    ...rest,
    plugin,
    pluginDirs: pluginDir,
    pluginConfig: buildPluginConfig(pluginConfig, undefined, set),
    limits: { timeoutMs: pluginTimeout, memoryBytes: pluginMemory, outputBytes: pluginOutput },
  };
}

/** Flags and a profile to plugin settings in one step (as `templates` resolves them). */
export function resolvePluginSettings(flags: PluginFlags, profile: RunProfile): PluginSettings {
  return pluginSettings(resolveOptions('templates', flags, profile));
}
