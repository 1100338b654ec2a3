import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Why Debian's chromium cannot render here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  const result = spawnSync('chromium', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 ? undefined : 'chromium is not installed (apt-get install chromium; make test installs it)';
}

/**
 * Runs headless chromium on the file `page` with `args`, as a test in a container runs it: as
 * root without its sandbox, without a GPU, with a profile directory of its own (removed after,
 * whatever happens) and a time limit that `timeout` enforces on chromium's whole process group.
 * `use` reads what it wrote into the profile directory before that goes.
 */
function headless<T>(args: (profile: string) => string[], page: string, use: (stdout: string, profile: string) => T): T {
  const profile = mkdtempSync(join(tmpdir(), 'xdperf-chromium-'));
  try {
    const result = spawnSync(
      'timeout',
      ['-k', '5', '60', 'chromium', '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, ...args(profile), pathToFileURL(page).href],
      { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
    );
    if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return use(result.stdout, profile);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** A PNG of the page drawn in a window of `width` × `height` pixels. */
export function screenshot(page: string, width: number, height: number): Buffer {
  return headless(
    (profile) => [`--screenshot=${join(profile, 'page.png')}`, `--window-size=${width},${height}`, '--hide-scrollbars'],
    page,
    (_, profile) => readFileSync(join(profile, 'page.png')),
  );
}

/** The page's DOM as chromium parsed it, serialized. */
export function renderedDom(page: string): string {
  return headless(() => ['--dump-dom'], page, (stdout) => stdout);
}
