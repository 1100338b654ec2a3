import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatFlows } from '../src/report/format.js';
import { RunReporter, type ReportStyle, type RunStart, type RunSummary, type TemplateFlows } from '../src/report/run-reporter.js';

function reporter(style: ReportStyle): { reporter: RunReporter; lines: () => string[] } {
  let text = '';
  const out = { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { reporter: new RunReporter(style, out), lines: () => text.trimEnd().split('\n') };
}

function start(flows: TemplateFlows[]): RunStart {
  return {
    plugin: 'simpleudp',
    device: 'veth0',
    driver: 'veth',
    engine: 'xdp',
    engineReason: 'chosen with --engine',
    mode: 'live-frames',
    queues: [0],
    templates: flows.length,
    flows,
    targetPps: undefined,
    targetBps: undefined,
    count: 1000,
    durationMs: undefined,
  };
}

function summary(perTemplate: RunSummary['perTemplate']): RunSummary {
  const packets = perTemplate.reduce((sum, t) => sum + t.packets, 0);
  return { packets, bytes: packets * 60, elapsedMs: 1000, pps: packets, bps: packets * 480, targetPps: undefined, targetBps: undefined, errors: 0, stoppedBy: 'count', perTemplate, perTag: {}, metrics: [] };
}

test('the text summary says each template\'s flows when one varies; a random one as the space drawn from', () => {
  const { reporter: r, lines } = reporter('plain');
  r.summary(
    summary([
      { index: 0, tags: [], packets: 65535, flows: 65535, random: false },
      { index: 1, tags: ['rnd'], packets: 100, flows: 65535, random: true },
      { index: 2, tags: [], packets: 1, flows: 1, random: false },
    ]),
  );
  assert.equal(lines().slice(1), [
    '  template 0: 65,535 packets, flows: 65,535',
    '  template 1 (rnd): 100 packets, random over 65,535 values',
    '  template 2: 1 packet, flows: 1',
  ]);
});

test('a flow count the core saturated says so', () => {
  assert.is(formatFlows(Number(2n ** 64n - 1n), false), 'flows: 2^64 - 1 or more');
  assert.is(formatFlows(2 ** 40, true), 'random over 1,099,511,627,776 values');
});

test('a single template without fields adds no line, as before', () => {
  const { reporter: r, lines } = reporter('plain');
  r.summary(summary([{ index: 0, tags: [], packets: 1000, flows: 1, random: false }]));
  assert.is(lines().length, 1);
});

test('NDJSON: the start and summary events carry each template\'s flows', () => {
  const { reporter: r, lines } = reporter('json');
  r.start(start([{ index: 0, flows: 1000, random: false }]));
  r.summary(summary([{ index: 0, tags: [], packets: 1000, flows: 1000, random: false }]));
  const [started, ended] = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(started!.flows, [{ index: 0, flows: 1000, random: false }]);
  assert.equal(ended!.perTemplate, [{ index: 0, tags: [], packets: 1000, flows: 1000, random: false }]);
});


test('a stamped run says what arrived of each stream, its latency, and the frames without a stamp', () => {
  const { reporter: r, lines } = reporter('plain');
  const latency = (p50Ns: number) => ({ count: 1, minNs: 900, sumNs: 5_000, meanNs: 5_000, p50Ns, p90Ns: 8_000, p99Ns: 20_000, p999Ns: 40_000, maxNs: 1_500_000, jitterNs: 1_200, histogram: [] });
  const stream = { packets: 0, bytes: 0, lost: 0, duplicated: 0, reordered: 0, beyondWindow: 0, clockAhead: 0 };
  r.summary({
    ...summary([
      { index: 0, tags: ['a'], packets: 30_000, flows: 1, random: false },
      { index: 1, tags: ['b'], packets: 10_000, flows: 1, random: false },
    ]),
    received: {
      device: 'veth1',
      ...stream,
      packets: 39_200,
      bytes: 2_352_000,
      lost: 1_200,
      duplicated: 400,
      reordered: 3,
      clock: 'monotonic',
      latency: latency(4_500),
      streams: [
        { ...stream, stream: 0, tags: ['a'], sent: 30_000, packets: 29_200, lost: 1_200, duplicated: 400, reordered: 3, latency: latency(4_500) },
        { ...stream, stream: 1, tags: ['b'], sent: 10_000, packets: 10_000, latency: null },
      ],
      unstamped: { packets: 2, bytes: 120 },
    },
  });
  assert.equal(lines().slice(1, 8), [
    'received 39,200 stamped packets (2,352,000 bytes) on veth1: 1,200 lost (3.000%), 400 duplicated, 3 reordered',
    'latency (CLOCK_MONOTONIC: valid when the sender runs on this host): min 900 ns, mean 5.00 µs, p50 4.50 µs, p90 8.00 µs, p99 20.0 µs, p99.9 40.0 µs, max 1.50 ms, jitter 1.20 µs',
    '  stream  tags    sent  received   lost  duplicated  reordered      p50      p99      max',
    '  0       a     30,000    29,200  1,200         400          3  4.50 µs  20.0 µs  1.50 ms',
    '  1       b     10,000    10,000      0           0          0        -        -        -',
    '  also 2 frames without this run\'s stamps (ARP, other traffic)',
    '  template 0 (a): 30,000 packets',
  ]);
});

test.run();
