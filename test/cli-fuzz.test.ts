/**
 * Property-based fuzzing of the command line and of run profiles (fast-check).
 *
 * Property: whatever the command line and the profile, xdperf exits 0, or exits 1 or 2 with
 * exactly one `xdperf: ...` line on stderr (besides the plugin's own log lines and
 * `xdperf: warning:` lines) — no stack trace, no `internal error`, no Node.js warning — within
 * 15 s, and a command that fails leaves no file behind (a half-written --pcap, say).
 *
 * Safety: every fuzzed process runs in a fresh, empty network namespace made for this test
 * (`ip netns exec`), where only `lo` exists, and no generated interface is `lo`, a host
 * interface, or a real namespace; so nothing can be sent anywhere. Without root (or under
 * `make unit`) the CLI part skips, saying so in one line.
 *
 * XDPERF_FUZZ_SEED=N reproduces a run; XDPERF_FUZZ_RUNS=N sets the number of command lines
 * (default 160, about 45 s on two idle cores); XDPERF_FUZZ_SHRINK=0 reports the first failure as found, without shrinking;
 * XDPERF_FUZZ_LOG=FILE appends each command line, its exit and last stderr line to FILE.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { resolvePluginSettings } from '../src/config/plugin-settings.js';
import { parseProfile } from '../src/config/run-profile.js';
import { resolveRunSettings } from '../src/config/run-settings.js';
import { XdperfError } from '../src/errors.js';
import { parseCount, parseDurationMs, parseSizeBytes } from '../src/units.js';
import { argv, numberish, pluginConfigText, profileText, setting, VALUES } from './support/fuzz-inputs.js';
import { rootSkipReason } from './support/root.js';

const SEED = Number(process.env.XDPERF_FUZZ_SEED ?? 20_240_808);
const RUNS = Number(process.env.XDPERF_FUZZ_RUNS ?? 160);
if (!Number.isSafeInteger(SEED) || !Number.isSafeInteger(RUNS)) throw new Error('XDPERF_FUZZ_SEED and XDPERF_FUZZ_RUNS must be whole numbers');
const SHRINK = process.env.XDPERF_FUZZ_SHRINK !== '0';
const LOG = process.env.XDPERF_FUZZ_LOG; // a file to append one JSON line per command line to
const CHILD_TIMEOUT_MS = 15_000;
const LANES = 2; // fuzzed processes at a time (the machine may have only 2 cores)
const LANE_TIME_LIMIT_MS = 150_000; // a cap on a lane, shrinking included
const NETNS = `xdperf-fuzz-${process.pid}`;
// The CLI built with this test (dist/src/cli/main.js after `make ts`).
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const reproduce = `XDPERF_FUZZ_SEED=${SEED} reproduces this`;

// --- in process: profiles and flags to settings ----------------------------------------------

const inProcess = suite('fuzz: settings from flags and profiles');

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype);
const TO_STRING = Object.prototype.toString;

/**
 * Runs fn, failing on any process warning it emits (a YAML warning on stderr, say) and on any
 * change it makes to Object.prototype (a `--set __proto__.x=1` taken literally).
 */
function withoutWarnings<T>(fn: () => T): T {
  const warnings: string[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error) => {
    warnings.push(String(warning instanceof Error ? warning.message : warning));
  }) as typeof process.emitWarning;
  let outcome: { result: T } | { error: unknown };
  try {
    outcome = { result: fn() };
  } catch (error) {
    outcome = { error };
  } finally {
    process.emitWarning = original;
  }
  // Checked whether fn returned or threw: a warning printed before an error is a second line.
  if (warnings.length > 0) throw new Error(`a process warning: ${warnings[0]}`);
  const added = Object.getOwnPropertyNames(Object.prototype).filter((name) => !PROTOTYPE_KEYS.includes(name));
  if (added.length > 0 || Object.prototype.toString !== TO_STRING) {
    // undone, so that the next cases (and shrinking) start from a clean Object.prototype
    for (const name of added) delete (Object.prototype as Record<string, unknown>)[name];
    Object.prototype.toString = TO_STRING;
    throw new Error(`Object.prototype was changed (${added.join(', ') || 'toString'})`);
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}

const finite = (n: number | undefined, what: string, { whole = false, positive = true } = {}): void => {
  if (n === undefined) return;
  if (!Number.isFinite(n) || (whole && !Number.isSafeInteger(n)) || (positive ? n <= 0 : n < 0)) {
    throw new Error(`${what} resolved to ${n}`);
  }
};

inProcess('number parsers return finite numbers or throw a RangeError', () => {
  fc.assert(
    fc.property(numberish, (text) => {
      for (const [parse, whole] of [[parseCount, true], [parseDurationMs, false], [parseSizeBytes, true]] as const) {
        let n: number;
        try {
          n = parse(text);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          continue;
        }
        finite(n, `${parse.name}(${JSON.stringify(text)})`, { whole, positive: false });
      }
    }),
    { seed: SEED, numRuns: 3000, includeErrorInReport: true },
  );
});

const runFlags = fc.record(
  {
    plugin: VALUES.plugin,
    templates: VALUES.count,
    pluginTimeout: VALUES.duration,
    pluginMemory: VALUES.size,
    pluginOutput: VALUES.size,
    set: fc.array(setting, { maxLength: 3 }),
    pps: VALUES.rate,
    bps: VALUES.rate,
    gbps: VALUES.gbps,
    count: VALUES.count,
    duration: VALUES.duration,
    queues: VALUES.ids,
    cpus: VALUES.ids,
    batch: VALUES.count,
    xdpMode: VALUES.xdpMode,
    xdpBatch: VALUES.count,
    engine: VALUES.engine,
    interval: VALUES.duration,
  },
  { requiredKeys: [] },
)
  // A few flags at a time: with all of them set, nearly every case stops at the first bad one.
  .chain((flags) => fc.shuffledSubarray(Object.entries(flags), { maxLength: Math.min(4, Object.keys(flags).length) }).map((entries) => Object.fromEntries(entries) as typeof flags));

inProcess('any profile and flags give settings, or an XdperfError', () => {
  fc.assert(
    fc.property(profileText, runFlags, (text, flags) => {
      const config = 'p.yaml';
      try {
        withoutWarnings(() => {
          const profile = parseProfile(config, text);
          const plugin = resolvePluginSettings({ ...flags, config }, profile);
          finite(plugin.templates, 'templates', { whole: true });
          finite(plugin.limits.timeoutMs, 'plugin timeout');
          finite(plugin.limits.memoryBytes, 'plugin memory', { whole: true });
          finite(plugin.limits.outputBytes, 'plugin output', { whole: true });
          const run = resolveRunSettings({ ...flags, config }, profile);
          finite(run.pps, 'pps');
          finite(run.bps, 'bps');
          finite(run.count, 'count', { whole: true });
          finite(run.durationMs, 'duration');
          finite(run.intervalMs, 'interval');
          finite(run.batch, 'batch', { whole: true });
          finite(run.xdpBatch, 'xdp batch', { whole: true });
          finite(run.queueCount, 'queue count', { whole: true });
          for (const id of [...(run.queueIds ?? []), ...(run.cpus ?? [])]) finite(id, 'queue or CPU id', { whole: true, positive: false });
        });
      } catch (error) {
        if (!(error instanceof XdperfError)) throw error;
        assert.ok(error.exitCode === 1 || error.exitCode === 2, `exit code ${error.exitCode}`);
        assert.ok(error.message.trim() !== '', 'an empty message');
      }
    }),
    { seed: SEED, numRuns: 2000, includeErrorInReport: true },
  );
});

inProcess.run();

// --- the command line, in a network namespace of its own -------------------------------------

const cli = suite('fuzz: the command line in an empty network namespace');

let skipReason: string | undefined;
let scratch: string | undefined;

function netnsDown(): void {
  spawnSync('ip', ['netns', 'delete', NETNS], { stdio: 'ignore' });
}
const onSignal = (signal: NodeJS.Signals): void => {
  netnsDown();
  process.kill(process.pid, signal);
};

cli.before(() => {
  skipReason = rootSkipReason('needs root to create a network namespace (ip netns add)');
  if (skipReason !== undefined) return;
  // Safety: nothing generated may name a real namespace or reach outside the scratch directory.
  const namespaces = existsSync('/var/run/netns') ? readdirSync('/var/run/netns') : [];
  assert.not.ok(namespaces.some((name) => name.startsWith('fz')), `a namespace named fz… exists: ${namespaces.join(', ')}`);
  assert.not.ok(existsSync('/nonexistent-xdperf-fuzz'), '/nonexistent-xdperf-fuzz exists');
  const added = spawnSync('ip', ['netns', 'add', NETNS], { encoding: 'utf8' });
  if (added.status !== 0) {
    skipReason = `cannot create a network namespace (ip netns add: ${(added.stderr ?? '').trim() || added.error?.message})`;
    return;
  }
  process.once('exit', netnsDown);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const inside = spawnSync('ip', ['netns', 'exec', NETNS, 'ls', '/sys/class/net'], { encoding: 'utf8' });
  assert.is(inside.stdout.trim(), 'lo', `the fuzz namespace ${NETNS} must hold only lo`);
  scratch = mkdtempSync(join(tmpdir(), 'xdperf-fuzz-'));
});

cli.after(() => {
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (skipReason === undefined) netnsDown();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface FuzzCase {
  argv: string[];
  profile: string;
  pluginConfig: string;
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    argv,
    withProfile: fc.boolean(),
    profile: profileText,
    pluginConfig: pluginConfigText,
  })
  .map(({ argv, withProfile, profile, pluginConfig }) => ({
    argv: withProfile && (argv[0] === 'run' || argv[0] === 'templates') ? [argv[0], '-c', 'p.yaml', ...argv.slice(1)] : argv,
    profile,
    pluginConfig,
  }));

/** What every case directory holds besides p.yaml and cfg.yaml: things for paths to point at. */
function layOut(dir: string, c: FuzzCase): void {
  writeFileSync(join(dir, 'p.yaml'), c.profile);
  writeFileSync(join(dir, 'cfg.yaml'), c.pluginConfig);
  writeFileSync(join(dir, 'bad.wasm'), 'not WebAssembly\n');
  writeFileSync(join(dir, 'empty.wasm'), '');
  mkdirSync(join(dir, 'subdir'));
  mkdirSync(join(dir, 'plugdir'));
  writeFileSync(join(dir, 'plugdir', 'junk.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff, 0xff]));
}

/** Every file and directory under dir, with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const stat = statSync(join(dir, name));
    entries.set(name, stat.isDirectory() ? 'dir' : `${stat.size} bytes, mtime ${stat.mtimeMs}`);
  }
  return entries;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

/** The CLI with these arguments, inside the fuzz namespace, killed after CHILD_TIMEOUT_MS. */
function runInNamespace(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('ip', ['netns', 'exec', NETNS, process.execPath, CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < 1e6) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 1e6) stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('error', (error) => {
      stderr += `(spawn failed: ${error.message})`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: performance.now() - started });
    });
  });
}

const PLUGIN_LOG_LINE = /^plugin .+ (debug|info|warn|error): /;
const WARNING_LINE = /^xdperf: warning: /;

/** What is wrong with an outcome, if anything. */
function problemsOf(outcome: Outcome, before: Map<string, string>, after: Map<string, string>): string[] {
  const problems: string[] = [];
  const { code, stderr } = outcome;
  if (outcome.timedOut) problems.push(`still running after ${CHILD_TIMEOUT_MS / 1000} s (killed)`);
  else if (outcome.signal) problems.push(`ended by ${outcome.signal}`);
  else if (code !== 0 && code !== 1 && code !== 2) problems.push(`exit code ${code}`);
  if (/internal error/i.test(stderr)) problems.push('an internal error');
  if (/^\s+at .+:\d+:\d+\)?$/m.test(stderr)) problems.push('a stack trace on stderr');
  if (/^\(node:\d+\)/m.test(stderr)) problems.push('a Node.js warning on stderr');
  if (stderr !== '' && !stderr.endsWith('\n')) problems.push('stderr does not end with a newline');
  const lines = stderr.split('\n').slice(0, -1);
  if (lines.some((line) => line.trim() === '')) problems.push('a blank line on stderr');
  const own = lines.filter((line) => line.trim() !== '' && !PLUGIN_LOG_LINE.test(line) && !WARNING_LINE.test(line));
  if (code === 1 || code === 2) {
    if (own.length !== 1 || !own[0]!.startsWith('xdperf: ')) {
      problems.push(`exit ${code} with ${own.length} lines of its own on stderr, not one 'xdperf: ...' line`);
    } else if (lines[lines.length - 1] !== own[0]) {
      problems.push('the error line is not the last line on stderr');
    }
  } else if (code === 0 && own.length > 0) {
    problems.push(`exit 0 with ${own.length} line(s) of its own on stderr`);
  }
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name));
  if (code !== 0 && changed.length > 0) {
    problems.push(`failed, but changed files: ${changed.map((name) => `${JSON.stringify(name)} (${before.get(name) ?? 'new'} -> ${after.get(name) ?? 'gone'})`).join(', ')}`);
  }
  const temporary = [...after.keys()].filter((name) => !before.has(name) && /\.tmp$/.test(name));
  if (temporary.length > 0) problems.push(`left temporary files: ${temporary.join(', ')}`);
  return problems;
}

const tally = new Map<string, number>();
let slowest = 0;

async function check(c: FuzzCase): Promise<void> {
  const dir = mkdtempSync(join(scratch!, 'case-'));
  try {
    layOut(dir, c);
    const before = snapshot(dir);
    const outcome = await runInNamespace(c.argv, dir);
    const problems = problemsOf(outcome, before, snapshot(dir));
    const key = outcome.timedOut ? 'timeout' : `exit ${outcome.code ?? outcome.signal}`;
    if (LOG) appendFileSync(LOG, JSON.stringify({ argv: c.argv, exit: key, ms: Math.round(outcome.ms), stderr: outcome.stderr.split('\n').slice(-2)[0] }) + '\n');
    tally.set(key, (tally.get(key) ?? 0) + 1);
    slowest = Math.max(slowest, outcome.ms);
    if (problems.length > 0) {
      throw new Error(
        [
          problems.join('; '),
          `  xdperf ${c.argv.map((a) => JSON.stringify(a)).join(' ')}`,
          `  exit ${outcome.code ?? outcome.signal} after ${Math.round(outcome.ms)} ms`,
          `  stderr: ${JSON.stringify(outcome.stderr.slice(0, 2000))}`,
          `  p.yaml: ${JSON.stringify(c.profile.slice(0, 500))}`,
          `  cfg.yaml: ${JSON.stringify(c.pluginConfig.slice(0, 200))}`,
        ].join('\n'),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

cli('every command line exits 0, or 1/2 with one line, in time, leaving no file behind', async () => {
  if (skipReason !== undefined) {
    console.log(`  fuzz: the command line: skipped: ${skipReason}`);
    return;
  }
  const started = performance.now();
  const perLane = Math.ceil(RUNS / LANES);
  const lanes = await Promise.allSettled(
    Array.from({ length: LANES }, (_, lane) =>
      fc.assert(fc.asyncProperty(fuzzCase, check), {
        seed: SEED + lane,
        numRuns: perLane,
        endOnFailure: !SHRINK,
        includeErrorInReport: true,
        // (the parameter, not the plugin: the plugin's timer outlives a run that ends in an exception)
        interruptAfterTimeLimit: LANE_TIME_LIMIT_MS,
      }),
    ),
  );
  const failures = lanes.flatMap((lane, index) => (lane.status === 'rejected' ? [`lane ${index} (seed ${SEED + index}): ${(lane.reason as Error).message}`] : []));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const counts = [...tally].sort().map(([key, n]) => `${key}: ${n}`).join(', ');
  console.log(`  fuzz: ${[...tally.values()].reduce((a, b) => a + b, 0)} command lines in ${seconds} s, slowest ${(slowest / 1000).toFixed(1)} s (${counts}; seed ${SEED})`);
  if (failures.length > 0) {
    console.error(`  fuzz: FAILED: ${reproduce}`);
    assert.unreachable(`${reproduce}\n${failures.join('\n\n')}`);
  }
});

cli.run();
