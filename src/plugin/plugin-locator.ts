/**
 * Finds plugins: `--plugin` takes a path to a .wasm file or a bare name looked up on the search
 * path (`--plugin-dir` first, then ./plugins/*\/out, the package's own plugins, the user's and
 * the system's plugin directories).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { XdperfError } from '../errors.js';
import { packageRoot } from '../paths.js';

export interface PluginFile {
  name: string;
  path: string;
}

function builtPluginDirs(root: string): string[] {
  const plugins = join(root, 'plugins');
  if (!existsSync(plugins)) return [];
  return readdirSync(plugins)
    .map((entry) => join(plugins, entry, 'out'))
    .filter((dir) => existsSync(dir));
}

export function pluginSearchPath(extraDirs: string[]): string[] {
  const dirs = [
    ...extraDirs.map((dir) => resolve(dir)),
    ...builtPluginDirs(process.cwd()),
    ...builtPluginDirs(packageRoot),
    join(homedir(), '.config', 'xdperf', 'plugins'),
    '/usr/local/share/xdperf/plugins',
  ];
  return [...new Set(dirs)];
}

export function pluginNameOf(path: string): string {
  return basename(path).replace(/\.wasm$/, '');
}

function isPath(spec: string): boolean {
  return spec.includes('/') || spec.endsWith('.wasm');
}

export function locatePlugin(spec: string, searchPath: string[]): PluginFile {
  if (spec.trim() === '') throw new XdperfError('--plugin: a path or a plugin name is required');
  if (isPath(spec)) {
    if (!existsSync(spec)) throw new XdperfError(`plugin file ${spec}: no such file`);
    if (!statSync(spec).isFile()) throw new XdperfError(`plugin file ${spec}: not a regular file`);
    return { name: pluginNameOf(spec), path: resolve(spec) };
  }
  for (const dir of searchPath) {
    const candidate = join(dir, `${spec}.wasm`);
    if (existsSync(candidate)) return { name: spec, path: candidate };
  }
  throw new XdperfError(
    `plugin ${spec}: not found in ${searchPath.join(', ')} (run 'make plugins', or give a path to a .wasm file)`,
  );
}

/** Every .wasm on the search path; a name found twice is listed once, where it is found first. */
export function listPluginFiles(searchPath: string[]): PluginFile[] {
  const seen = new Map<string, PluginFile>();
  for (const dir of searchPath) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).sort()) {
      if (!entry.endsWith('.wasm')) continue;
      const name = pluginNameOf(entry);
      if (!seen.has(name)) seen.set(name, { name, path: join(dir, entry) });
    }
  }
  return [...seen.values()];
}
