import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pacer } from '../src/engine/pacer.js';

const MS = 1e6;

/** Polls every `stepNs` for `runNs`, sending whatever is granted; returns packets per 10 ms window. */
function drive(pacer: Pacer, runNs: number, stepNs: number, stall?: { atNs: number; forNs: number }): number[] {
  const windows = new Array<number>(Math.ceil(runNs / (10 * MS))).fill(0);
  for (let now = 0; now < runNs; now += stepNs) {
    if (stall && now >= stall.atNs && now < stall.atNs + stall.forNs) continue;
    const grant = pacer.poll(now, 64);
    if ('send' in grant) {
      pacer.spend(grant.send);
      windows[Math.floor(now / (10 * MS))]! += grant.send;
    }
  }
  return windows;
}

test('20 kpps comes out as 200 a window, in quanta of 5', () => {
  const pacer = new Pacer(20_000, 64, 0);
  assert.is(pacer.quantum, 5);
  const windows = drive(pacer, 1000 * MS, 10_000);
  for (const count of windows) assert.ok(count >= 195 && count <= 205, String(count));
  const total = windows.reduce((a, b) => a + b);
  assert.ok(total >= 19_995 && total <= 20_000, String(total));
});

test('a stall is made good at 5 % above the rate, never in a burst', () => {
  const pacer = new Pacer(20_000, 64, 0);
  // 8 ms without a poll at 100 ms: 160 packets behind.
  const windows = drive(pacer, 1000 * MS, 10_000, { atNs: 100 * MS, forNs: 8 * MS });
  assert.ok(windows[10]! < 60, `the stall leaves its hole: ${windows[10]}`);
  // rate × 1.05 and two quanta: 210 + 10
  for (const [i, count] of windows.entries()) assert.ok(count <= 220, `window ${i}: ${count}`);
  assert.ok(windows.reduce((a, b) => a + b) >= 19_990, 'and the total reaches the rate');
});

test('what a stalled sender missed beyond 100 ms is forgiven', () => {
  const pacer = new Pacer(1_000_000, 64, 0);
  // After a 1 s stall, 100 ms of backlog (100 000) is made good over the next 2 s, not 1 000 000.
  let sent = 0;
  for (let now = 1000 * MS; now < 4000 * MS; now += 10_000) {
    const g = pacer.poll(now, 64);
    if ('send' in g) {
      pacer.spend(g.send);
      sent += g.send;
    }
  }
  assert.ok(sent >= 3_099_800 && sent <= 3_100_000, String(sent));
});

test('falling behind is counted once a stretch, with the most it lagged', () => {
  const onTime = new Pacer(100_000, 64, 0);
  drive(onTime, 100 * MS, 10_000);
  assert.equal(onTime.lag(), { times: 0, mostNs: 0 }, 'polled every 10 µs: never behind');
  // 3 ms without a poll at 20 ms: one stretch behind, made good at +5 % within 60 ms.
  const late = new Pacer(100_000, 64, 0);
  drive(late, 150 * MS, 10_000, { atNs: 20 * MS, forNs: 3 * MS });
  assert.is(late.lag().times, 1);
  // 3 ms less the quantum that was accruing anyway (25 packets, 250 µs).
  const mostNs = late.lag().mostNs;
  assert.ok(mostNs >= 2.75 * MS && mostNs <= 3 * MS, String(mostNs));
});

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

test('the wait is the time to the next quantum', () => {
  const pacer = new Pacer(1000, 64, 0);
  assert.equal(pacer.poll(0, 64), { waitNs: 1 * MS });
  assert.equal(pacer.poll(1 * MS, 64), { send: 1 });
});

test.run();
