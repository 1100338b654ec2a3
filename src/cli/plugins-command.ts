/** `xdperf plugins`: what is on the plugin search path, and whether each one loads. */
import { existsSync, statSync } from 'node:fs';
import type { CommandFlags } from '../config/options.js';
import { describeError, XdperfError } from '../errors.js';
import { listPluginFiles, pluginSearchPath } from '../plugin/plugin-locator.js';
import { DEFAULT_LIMITS, PluginSession } from '../plugin/plugin-session.js';

export type PluginsFlags = CommandFlags<'plugins'>;

interface PluginListing {
  name: string;
  path: string;
  size: number;
  exports: string[];
  loads: boolean;
  error?: string;
}

async function inspect(name: string, path: string): Promise<PluginListing> {
  const listing: PluginListing = { name, path, size: statSync(path).size, exports: [], loads: false };
  try {
    const session = await PluginSession.open(path, name, DEFAULT_LIMITS);
    listing.exports = session.module?.exports ?? [];
    listing.loads = true;
    await session.close();
  } catch (error) {
    listing.error = describeError(error);
  }
  return listing;
}

/** The plugin files on the search path; a directory on it that cannot be listed is named. */
function pluginFiles(searchPath: string[]): ReturnType<typeof listPluginFiles> {
  for (const dir of searchPath) {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new XdperfError(`plugin directory ${dir}: not a directory`);
  }
  try {
    return listPluginFiles(searchPath);
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    if (code === undefined) throw error;
    throw new XdperfError(`plugin directory ${path ?? searchPath.join(', ')}: cannot list it (${code})`);
  }
}

export async function runPluginsCommand(flags: PluginsFlags): Promise<void> {
  const searchPath = pluginSearchPath(flags.pluginDir ?? []);
  const listings: PluginListing[] = [];
  for (const file of pluginFiles(searchPath)) listings.push(await inspect(file.name, file.path));
  if (flags.json) {
    process.stdout.write(JSON.stringify({ search_path: searchPath, plugins: listings }, null, 2) + '\n');
    return;
  }
  if (listings.length === 0) {
    process.stdout.write(`no plugins found in ${searchPath.join(', ')}\n`);
    return;
  }
  for (const p of listings) {
    process.stdout.write(
      `${p.name.padEnd(16)} ${String(p.size).padStart(9)} bytes  ${p.loads ? 'loads' : 'FAILS'}  ${p.path}\n` +
        (p.loads ? `${''.padEnd(17)}exports ${p.exports.join(', ')}\n` : `${''.padEnd(17)}${p.error}\n`),
    );
  }
}
