import { execFileSync, spawnSync } from 'node:child_process';
import type { Test } from 'uvu';
import { fromPackageRoot } from '../../src/paths.js';
import { rootSkipReason } from './root.js';

/** The names scripts/lab.sh gives lab `id` (its XDPERF_LAB). */
function labNames(id: string) {
  return { tx: `xdperf${id}0`, rx: `xdperf${id}1`, netns: `xdperf-lab${id}`, txIp: `10.77.${id}.1`, rxIp: `10.77.${id}.2` } as const;
}

// Tests use a lab of their own (scripts/lab.sh's XDPERF_LAB), so they never tear down the one a
// developer or a benchmark is using. XDPERF_TEST_LAB (and XDPERF_TEST_ROUTER_LAB) move them to
// other ids, so two checkouts can run their lab suites at once.
const LAB_ID = process.env.XDPERF_TEST_LAB ?? '9';
export const LAB = labNames(LAB_ID);

// The impairment tests' lab, with the router namespace between the two ends: an id of its own,
// so it and the plain lab can be up at once.
const ROUTER_LAB_ID = process.env.XDPERF_TEST_ROUTER_LAB ?? '8';
export const ROUTER_LAB = {
  ...labNames(ROUTER_LAB_ID),
  router: `xdperf-lab${ROUTER_LAB_ID}-router`,
  routerIn: `xdperf${ROUTER_LAB_ID}r0`,
  routerOut: `xdperf${ROUTER_LAB_ID}r1`,
} as const;

const LAB_SCRIPT = fromPackageRoot('scripts', 'lab.sh');

function labEnv(id: string): NodeJS.ProcessEnv {
  return { ...process.env, XDPERF_LAB: id };
}

/** What the receiver's counter does with a frame once counted: `pass` lets a capture see it. */
export type RxAction = 'drop' | 'pass';

function needRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab integration tests need root (they create a veth pair and a network namespace)');
}

function up(id: string, args: string[]): void {
  needRoot();
  execFileSync(LAB_SCRIPT, ['up', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: labEnv(id) });
}

function down(id: string): void {
  spawnSync(LAB_SCRIPT, ['down'], { stdio: 'ignore', env: labEnv(id) });
}

export function labUp(queues = 1, action: RxAction = 'drop'): void {
  up(LAB_ID, [String(queues), action]);
}

export function labDown(): void {
  down(LAB_ID);
}

export function routerLabDown(): void {
  down(ROUTER_LAB_ID);
}

const downOnExit = new Set<string>();
let skipAnnounced = false;

/**
 * Brings lab `id` up with `upArgs` for a suite and makes sure it goes down, even when a test or
 * the process fails; without root (or under `make unit`) the suite does not run, and one line
 * says so.
 */
function useLabWith(suite: Test, id: string, upArgs: string[]): void {
  const skipped = rootSkipReason('they need root (a veth pair and a network namespace)');
  if (skipped !== undefined) {
    // uvu has no way to skip a suite from a hook, so it is never queued.
    suite.run = () => {
      if (!skipAnnounced) console.log(`lab tests skipped: ${skipped}`);
      skipAnnounced = true;
    };
    return;
  }
  suite.before(() => up(id, upArgs));
  suite.after(() => down(id));
  if (!downOnExit.has(id)) {
    downOnExit.add(id);
    process.on('exit', () => down(id));
  }
}

export function useLab(suite: Test, queues = 1, action: RxAction = 'drop'): void {
  useLabWith(suite, LAB_ID, [String(queues), action]);
}

/** The router lab (one queue) for a suite, as `useLab` does the plain one. */
export function useRouterLab(suite: Test, action: RxAction = 'pass'): void {
  useLabWith(suite, ROUTER_LAB_ID, ['1', action, '--router']);
}

/** scripts/lab.sh `args` on the router lab, as a user runs it. */
export function routerLabScript(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(LAB_SCRIPT, args, { encoding: 'utf8', env: labEnv(ROUTER_LAB_ID) });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Sets the router lab's impairment: `none`, `drop=N`, `dup=N`, `swap=N` or `delay=D`. */
export function impair(spec: string): void {
  const result = routerLabScript(['impair', spec]);
  if (result.code !== 0) throw new Error(`lab.sh impair ${spec}: ${result.stderr.trim()}`);
}

/** What the impairment forwarder has done (scripts/lab.sh impair, without a spec). */
export interface ImpairmentState {
  impairment: string;
  received: number;
  sent: number;
  dropped: number;
  duplicated: number;
  swapped: number;
  pending: number;
  lost: number;
  txInvalid: number;
}

export function impairmentState(): ImpairmentState {
  const result = routerLabScript(['impair']);
  if (result.code !== 0) throw new Error(`lab.sh impair: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ImpairmentState;
}

/**
 * The forwarder's counts once it holds nothing and they have stopped changing (it writes them
 * every 50 ms while they change), or after 3 s whatever they are.
 */
export async function settledImpairmentState(): Promise<ImpairmentState> {
  const deadline = Date.now() + 3000;
  let last = impairmentState();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 120));
    const now = impairmentState();
    if ((now.pending === 0 && JSON.stringify(now) === JSON.stringify(last)) || Date.now() > deadline) return now;
    last = now;
  }
}

/** True when an XDP program or AF_XDP socket is still attached to the lab's sending interface. */
export function leftovers(): string[] {
  const found: string[] = [];
  const link = execFileSync('ip', ['-d', 'link', 'show', LAB.tx], { encoding: 'utf8' });
  // `ip -d link` shows an attached program as `prog/xdp id N` after an `xdp`/`xdpgeneric` keyword.
  if (/prog\/xdp|\sxdp(generic|drv|offload)?\s/.test(link)) found.push(`XDP program on ${LAB.tx}`);
  const sockets = execFileSync('ss', ['-a', '--xdp'], { encoding: 'utf8' }).trim().split('\n').slice(1);
  if (sockets.length > 0) found.push(`${sockets.length} AF_XDP socket(s)`);
  return found;
}

export const simpleUdpToLab = ['--plugin', 'simpleudp', '--set', `src_ip=${LAB.txIp}`, '--set', `dst_ip=${LAB.rxIp}`];
export const rxOnLab = ['--rx-dev', LAB.rx, '--rx-netns', LAB.netns];
