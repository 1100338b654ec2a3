import { spawnSync } from 'node:child_process';
import { fromPackageRoot } from '../../src/paths.js';
import { CLI, type CliResult } from './cli.js';

// Loaded into the child before the CLI: when it exits, it reports its peak resident memory
// (getrusage's ru_maxrss, KiB on Linux) on stderr. It needs no tool the machine may lack, and it
// sees the whole process, worker threads included, up to its last moment.
const REPORT_PEAK_RSS =
  "data:text/javascript,import{writeSync}from'node:fs';" +
  "process.on('exit',()=>writeSync(2,'\\npeak-rss-kib '+process.resourceUsage().maxRSS+'\\n'))";
const PEAK_LINE = /\npeak-rss-kib (\d+)\n$/;

/** Runs the built CLI as runCli does, and measures the child's peak RSS. */
export function runCliMeasured(args: string[], timeoutMs = 60_000): CliResult & { peakRssBytes: number } {
  const result = spawnSync(process.execPath, ['--import', REPORT_PEAK_RSS, CLI, ...args], {
    cwd: fromPackageRoot(),
    encoding: 'utf8',
    timeout: timeoutMs,
    // Room for what a capped plugin may print; a cap that fails overflows it, and the test says so.
    maxBuffer: 16 * 2 ** 20,
  });
  if (result.error) throw result.error;
  const peak = PEAK_LINE.exec(result.stderr);
  if (!peak) throw new Error(`the child reported no peak RSS (exit ${result.status}): ${result.stderr.slice(-500)}`);
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr.slice(0, peak.index),
    peakRssBytes: Number(peak[1]) * 1024,
  };
}
