import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorLine, runCli } from './support/cli.js';
import { startCapture, tsharkRows } from './support/capture.js';
import { LAB, useLab } from './support/lab.js';

// --start-at as a user checks it: a capture at the receiving end, whose timestamps are the
// kernel's wall clock, sees the first packet no earlier than the instant asked for and within
// 5 ms after it. The receiver passes frames on (lab 'pass'), so the capture sees them.
const startAt = suite('--start-at: the first packet leaves at the instant asked for');
useLab(startAt, 1, 'pass');

const toLab = ['--plugin', 'simpleudp', '--set', `src_ip=${LAB.txIp}`, '--set', `dst_ip=${LAB.rxIp}`, '--dev', LAB.tx];

for (const engine of ['afxdp', 'xdp', 'packet']) {
  startAt(`${engine}: --start-at +2s: the first frame at the receiver is at or up to 5 ms after the instant, and the start event says when`, async () => {
    const capture = await startCapture(LAB.netns, LAB.rx);
    try {
      const result = runCli(['run', ...toLab, '--engine', engine, '--count', '100', '--pps', '10k', '--start-at', '+2s', '--json']);
      await capture.stop();
      assert.is(result.code, 0, result.stderr);
      const start = JSON.parse(result.stdout.split('\n').find((line) => line.includes('"event":"start"'))!) as { startAt: string; firstPacketAt: string; startSkewNs: number };
      const askedMs = Date.parse(start.startAt);
      const [first] = tsharkRows(capture.pcap, ['frame.time_epoch'], `udp && ip.dst == ${LAB.rxIp}`);
      assert.ok(first, 'no frame captured');
      const firstMs = Number(first[0]) * 1000;
      assert.ok(firstMs >= askedMs && firstMs - askedMs <= 5, `first frame ${(firstMs - askedMs).toFixed(3)} ms after ${start.startAt}`);
      assert.ok(start.startSkewNs >= 0 && start.startSkewNs <= 5e6, `reported skew ${start.startSkewNs} ns`);
    } finally {
      await capture.stop();
      capture.remove();
    }
  });
}

startAt('a start that has passed, or that is not a time, is refused in one line', () => {
  const past = runCli(['run', ...toLab, '--engine', 'afxdp', '--count', '10', '--start-at', '2020-01-01T00:00:00Z']);
  assert.is(past.code, 1);
  assert.match(errorLine(past), /^xdperf: --start-at: 1577836800\.000 s since the epoch has passed \(now \d+\.\d{3} s since the epoch\)$/);
  const garbled = runCli(['run', ...toLab, '--engine', 'afxdp', '--count', '10', '--start-at', 'tomorrow']);
  assert.is(garbled.code, 2);
  assert.is(errorLine(garbled), "xdperf: --start-at: 'tomorrow' is not a time: give RFC 3339 with a zone (2026-11-29T06:30:00Z) or +DURATION (+5s)");
});

startAt.run();
