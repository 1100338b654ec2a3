import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (the directory holding package.json). Code runs from `dist/src/...` after
 * the build, so paths to data files shipped in the repo are found from here, not from __dirname.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('xdperf: package.json not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot();

export function fromPackageRoot(...parts: string[]): string {
  return join(packageRoot, ...parts);
}

let version: string | undefined;

/** The version in package.json (read once: a metrics scrape asks for it every time). */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(fromPackageRoot('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
