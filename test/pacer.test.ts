import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Grant, type Lag, Pacer } from '../src/engine/pacer.js';
import { fromPackageRoot } from '../src/paths.js';

const MS = 1e6;

// The golden cases native/src/pacer.rs is held to as well, so a policy change that reaches one
// pacer and not the other fails; the file says what each field means.
interface Cases {
  quanta: { pps: number; maxQuantum: number; quantum: number }[];
  polls: { name: string; pps: number; maxQuantum: number; steps: ({ at: number; want?: number; lag?: Lag } & Grant)[] }[];
  runs: {
    name: string;
    pps: number;
    maxQuantum: number;
    runNs: number;
    stepNs: number;
    stalls: { atNs: number; forNs: number }[];
    windowNs: number;
    windows: [number, number][];
    total: number;
    lag: Lag;
  }[];
}
const cases = JSON.parse(readFileSync(fromPackageRoot('test', 'pacer-cases.json'), 'utf8')) as Cases;

test('golden: the quantum at each rate', () => {
  const quanta = cases.quanta.map(({ pps, maxQuantum }) => ({ pps, maxQuantum, quantum: new Pacer(pps, maxQuantum, 0).quantum }));
  assert.equal(quanta, cases.quanta);
});

for (const { name, pps, maxQuantum, steps } of cases.polls) {
  test(`golden: ${name}`, () => {
    const pacer = new Pacer(pps, maxQuantum, 0);
    for (const [i, { at, want, lag, ...expected }] of steps.entries()) {
      const grant = pacer.poll(at, want ?? maxQuantum);
      if ('send' in grant) pacer.spend(grant.send);
      assert.equal(grant, expected, `step ${i}`);
      if (lag) assert.equal(pacer.lag(), lag, `step ${i}: lag`);
    }
  });
}

/** Counts in a row as [count, how many], the table's way of writing windows. */
function runLengths(counts: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const count of counts) {
    const last = runs[runs.length - 1];
    if (last?.[0] === count) last[1]++;
    else runs.push([count, 1]);
  }
  return runs;
}

for (const run of cases.runs) {
  test(`golden: ${run.name}`, () => {
    const pacer = new Pacer(run.pps, run.maxQuantum, 0);
    const windows = new Array<number>(Math.ceil(run.runNs / run.windowNs)).fill(0);
    for (let now = 0; now < run.runNs; now += run.stepNs) {
      if (run.stalls.some((stall) => now >= stall.atNs && now < stall.atNs + stall.forNs)) continue;
      const grant = pacer.poll(now, run.maxQuantum);
      if ('send' in grant) {
        pacer.spend(grant.send);
        windows[Math.floor(now / run.windowNs)]! += grant.send;
      }
    }
    assert.equal(runLengths(windows), run.windows);
    assert.is(windows.reduce((a, b) => a + b), run.total);
    assert.equal(pacer.lag(), run.lag);
  });
}

/** Polls like the raw engine: at each grant's due time, `lateNs` late. */
function driveOnTime(pacer: Pacer, runNs: number, lateNs: number, stall?: { atNs: number; forNs: number }): void {
  let now = 0;
  let stalled = false;
  while (now < runNs) {
    if (stall && !stalled && now >= stall.atNs) {
      stalled = true;
      now += stall.forNs;
    }
    const grant = pacer.poll(now, 64);
    if ('send' in grant) {
      pacer.spend(grant.send);
      now += 1_000;
    } else {
      now += grant.waitNs + lateNs;
    }
  }
}

test('a sender on time is never behind, at any rate', () => {
  // One packet a quantum at 2 and 10 pps (a quantum of 500 and 100 ms), whole batches at 1 Mpps.
  for (const pps of [2, 10, 1_000, 20_000, 1_000_000]) {
    const pacer = new Pacer(pps, 64, 0);
    driveOnTime(pacer, 3000 * MS, 20_000);
    assert.equal(pacer.lag(), { times: 0, mostNs: 0 }, `${pps} pps`);
  }
});

test('a sender held up at a low rate is still reported', () => {
  // 10 pps, held up 300 ms as the packet due at 1.1 s comes due: it goes 300 ms late.
  const pacer = new Pacer(10, 64, 0);
  driveOnTime(pacer, 3000 * MS, 20_000, { atNs: 1000.05 * MS, forNs: 300 * MS });
  assert.is(pacer.lag().times, 1);
  const mostNs = pacer.lag().mostNs;
  assert.ok(mostNs >= 300 * MS && mostNs <= 301 * MS, String(mostNs));
});

test.run();
