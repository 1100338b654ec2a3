import { execFileSync, spawnSync } from 'node:child_process';
import type { Test } from 'uvu';
import { fromPackageRoot } from '../../src/paths.js';
import { rootSkipReason } from './root.js';

// Tests use a lab of their own (scripts/lab.sh's XDPERF_LAB), so they never tear down the one a
// developer or a benchmark is using.
const LAB_ID = '9';
export const LAB = { tx: `xdperf${LAB_ID}0`, rx: `xdperf${LAB_ID}1`, netns: `xdperf-lab${LAB_ID}`, txIp: `10.77.${LAB_ID}.1`, rxIp: `10.77.${LAB_ID}.2` } as const;

const LAB_SCRIPT = fromPackageRoot('scripts', 'lab.sh');
const LAB_ENV = { ...process.env, XDPERF_LAB: LAB_ID };

/** What the receiver's counter does with a frame once counted: `pass` lets a capture see it. */
export type RxAction = 'drop' | 'pass';

export function labUp(queues = 1, action: RxAction = 'drop'): void {
  if (process.getuid?.() !== 0) throw new Error('the lab integration tests need root (they create a veth pair and a network namespace)');
  execFileSync(LAB_SCRIPT, ['up', String(queues), action], { stdio: ['ignore', 'ignore', 'inherit'], env: LAB_ENV });
}

export function labDown(): void {
  spawnSync(LAB_SCRIPT, ['down'], { stdio: 'ignore', env: LAB_ENV });
}

let registered = false;
let skipAnnounced = false;
/**
 * Brings the lab up for a suite and makes sure it goes down, even when a test or the process
 * fails; without root (or under `make unit`) the suite does not run, and one line says so.
 */
export function useLab(suite: Test, queues = 1, action: RxAction = 'drop'): void {
  const skipped = rootSkipReason('they need root (a veth pair and a network namespace)');
  if (skipped !== undefined) {
    // uvu has no way to skip a suite from a hook, so it is never queued.
    suite.run = () => {
      if (!skipAnnounced) console.log(`lab tests skipped: ${skipped}`);
      skipAnnounced = true;
    };
    return;
  }
  suite.before(() => labUp(queues, action));
  suite.after(() => labDown());
  if (!registered) {
    registered = true;
    process.on('exit', labDown);
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
