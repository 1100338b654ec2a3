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

test.run();
