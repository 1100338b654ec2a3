import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveOptions } from '../src/config/options.js';
import { parseProfile } from '../src/config/run-profile.js';
import { htmlReport, shellWords } from '../src/report/html-report.js';
import { latencyBins } from '../src/report/latency-bins.js';
import { pacingQuality } from '../src/report/pacing-quality.js';
import { checkReportPath, writeAtomically } from '../src/report/report-file.js';
import type { RunRecord, StampedSummary } from '../src/report/run-record.js';
import type { RunSample, RunSummary } from '../src/report/run-reporter.js';
import { settingRows } from '../src/report/setting-rows.js';
import { errorLine, runCli } from './support/cli.js';

// What a plugin could put in its tags or name, or a user in a --set value: markup that would
// load a script and an image if it were not escaped.
const HOSTILE = '<script src="https://evil.example/x.js"></script><img src=x onerror=alert(1)>';
// The same without a URL or an attribute, which would be in the page as escaped text.
const MARKUP = '<script>alert("x")</script>';

/** Anything in a page that would make a browser fetch: a URL, an attribute that loads, a CSS import. */
const FETCHES = /https?:\/\/|\/\/[a-z0-9]|\s(src|href|srcset|action|poster|data|xlink:href)\s*=|url\(|@import|<(script|link|iframe|img|object|embed|base)\b/i;

function sample(i: number, pps: number, lost = 0): RunSample {
  return {
    elapsedMs: i * 1000,
    packets: i * 100_000,
    bytes: i * 6_000_000,
    pps,
    bps: pps * 480,
    errors: 0,
    ringFull: 0,
    kicks: i,
    timesBehind: 0,
    received: { packets: i * 100_000 - lost, bytes: (i * 100_000 - lost) * 60, pps, lost, expected: i * 100_000, p99Ns: 9000 },
  };
}

const latency = {
  count: 100_000,
  minNs: 900,
  sumNs: 150_000_000,
  meanNs: 1500,
  p50Ns: 1400,
  p90Ns: 1900,
  p99Ns: 4500,
  p999Ns: 19_000,
  maxNs: 150_000,
  jitterNs: 300,
  histogram: [
    { fromNs: 900, toNs: 901, count: 10 },
    { fromNs: 1400, toNs: 1408, count: 99_980 },
    { fromNs: 149_504, toNs: 150_528, count: 10 },
  ],
};

function stamped(tags: string[]): StampedSummary {
  const stream = { stream: 0, tags, sent: 400_000, packets: 399_990, bytes: 0, lost: 10, duplicated: 0, reordered: 2, beyondWindow: 0, clockAhead: 0, latency };
  return { ...stream, device: 'xdperf1', clock: 'monotonic', streams: [stream], unstamped: { packets: 0, bytes: 0 } };
}

function summary(tags: string[], received?: RunSummary['received'], text = HOSTILE): RunSummary {
  return {
    packets: 400_000,
    bytes: 24_000_000,
    elapsedMs: 4000,
    pps: 100_000,
    bps: 48e6,
    targetPps: 100_000,
    targetBps: undefined,
    errors: 0,
    pacing: { timesBehind: 0, mostBehindMs: 0, pinned: true },
    stoppedBy: 'duration',
    perTemplate: [{ index: 0, flows: 1, random: false, tags, packets: 400_000 }],
    perTag: Object.fromEntries(tags.map((tag) => [tag, 400_000])),
    metrics: [{ name: text, value: 1, timestamp: '2026-11-29T07:00:00.000Z' }],
    received,
  };
}

/** A record of a stamped run; `text` stands wherever a plugin, the user or the host names something. */
function record(overrides: Partial<RunRecord> = {}, text = HOSTILE): RunRecord {
  const tags = [text, 'udp'];
  return {
    start: {
      plugin: text,
      device: 'xdperf0',
      driver: 'veth',
      engine: 'xdp',
      engineReason: text,
      mode: 'live-frames',
      queues: [0],
      templates: 1,
      flows: [{ index: 0, flows: 1, random: false }],
      targetPps: 100_000,
      targetBps: undefined,
      count: undefined,
      durationMs: 4000,
    },
    startedAt: new Date('2026-11-29T07:00:00Z'),
    endedAt: new Date('2026-11-29T07:00:05Z'),
    samples: [sample(1, 90_000), sample(2, 100_100), sample(3, 99_900, 10), sample(4, 100_000, 10)],
    summary: summary(tags, stamped(tags), text),
    failure: undefined,
    command: ['run', '--plugin', 'simpleudp', '--set', `name=${text}`, '--report', 'r.html'],
    settings: settingRows(resolveOptions('run', { plugin: text, pps: '100k', duration: '4s' })),
    host: { hostname: text, kernel: '6.1.0', cpuModel: 'AMD EPYC', cpus: 2, usableCpus: 2, xdperf: '0.1.0', node: 'v20.0.0' },
    ...overrides,
  };
}

/** The part of the page under the heading with `id`. */
function sectionOf(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}">.*?</section>`, 's').exec(html);
  assert.ok(match, `no section ${id}`);
  return match[0];
}

const count = (text: string, what: string): number => text.split(what).length - 1;

test('the page fetches nothing: no URL, no attribute or CSS that loads, and a policy that forbids it', () => {
  for (const [what, page] of [
    ['stamped', htmlReport(record({}, MARKUP))],
    ['without a receiver', htmlReport(record({ summary: summary(['udp'], undefined, MARKUP) }, MARKUP))],
    ['failed', htmlReport(record({ summary: undefined, failure: `interface xdperf0: went away ${MARKUP}` }, MARKUP))],
  ] as const) {
    assert.not.match(page, FETCHES, what);
    assert.ok(page.includes(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;">`), what);
  }
});

test('text from plugins, the command line, the host and errors is escaped wherever it lands', () => {
  const page = htmlReport(record({ failure: HOSTILE }));
  assert.is(count(page, '<script'), 0);
  assert.is(count(page, '<img'), 0);
  // plugin (title, heading, settings), reason, tags (tables, chart labels and tooltips), metric, host, failure, command
  assert.ok(count(page, '&lt;script src=&quot;https://evil.example/x.js&quot;&gt;') >= 10, 'the text is shown, escaped');
});

test('a stamped run: rates over time with the target, the latency histogram with its percentiles, the streams table', () => {
  const page = htmlReport(record());
  const rates = sectionOf(page, 'rates');
  assert.is(count(rates, '<polyline'), 5, 'sent and received packet and bit rates, loss');
  assert.ok(rates.includes('target 100.00 kpps'));
  // 1.00–2.00 s: 100,100 pps of the 100,000 60-byte frames counted in the interval
  assert.ok(rates.includes('<title>1.00–2.00 s: received 48.05 Mbit/s</title>'));
  const latencySection = sectionOf(page, 'latency');
  assert.is(count(latencySection, 'class="bar"'), 3, 'a bar per bin');
  for (const label of ['p50 1.40 µs', 'p90 1.90 µs', 'p99 4.50 µs', 'p99.9 19.0 µs']) assert.ok(latencySection.includes(`>${label}</text>`), label);
  assert.ok(latencySection.includes('<td class="num">10 (0.0025%)</td>'), 'lost, of the packets expected');
  const pacing = sectionOf(page, 'pacing');
  assert.ok(pacing.includes('<dd>2 (the first'), 'intervals 2 and 3; the first holds the start, the last the end');
  assert.is(count(sectionOf(page, 'templates'), 'class="bar"'), 3, 'one template, two tags');
});

test('a run without a receiver has no received series and no stamped section; a failed run says why and keeps its samples', () => {
  const plain = htmlReport(record({ summary: summary(['udp']), samples: [sample(1, 100_000), sample(2, 100_000)].map(({ received, ...s }) => s) }));
  assert.is(count(sectionOf(plain, 'rates'), '<polyline'), 2);
  assert.not.ok(plain.includes('<section id="latency">'));
  const failed = htmlReport(record({ summary: undefined, failure: 'interface xdperf0: went down' }));
  assert.ok(failed.includes('<p class="failed">The run failed: interface xdperf0: went down. This report holds what was recorded until then.</p>'));
  assert.ok(sectionOf(failed, 'summary').includes('400,000 packets in 4.000 s'), 'what the last sample says');
  assert.is(count(sectionOf(failed, 'rates'), '<polyline'), 5);
});

test('pacing quality: the whole intervals only, their spread, in the unit of the target', () => {
  const samples = [sample(1, 50_000), sample(2, 99_000), sample(3, 100_000), sample(4, 101_000), sample(5, 100_000), sample(6, 40_000)];
  const quality = pacingQuality(samples, { pps: 100_000 }, 6000);
  assert.equal(
    quality.intervals.map((i) => [i.fromMs, i.toMs, i.rate]),
    [
      [1000, 2000, 99_000],
      [2000, 3000, 100_000],
      [3000, 4000, 101_000],
      [4000, 5000, 100_000],
    ],
  );
  assert.equal(quality.spread, { min: 99_000, p1: 99_000, p50: 100_000, p99: 101_000, max: 101_000 });
  // a failed run has no end to cut; a --bps target is judged in bit/s
  const byBits = pacingQuality(samples, { bps: 48e6 }, undefined);
  assert.equal([byBits.unit, byBits.target, byBits.intervals.length, byBits.spread?.max], ['bit/s', 48e6, 5, 101_000 * 480]);
  assert.is(pacingQuality(samples.slice(0, 1), {}, undefined).spread, undefined);
});

test('latency bins: every packet kept, in order, of equal width on the log axis', () => {
  const buckets = [
    { fromNs: 0, toNs: 1, count: 1 },
    { fromNs: 120, toNs: 121, count: 3 },
    ...Array.from({ length: 300 }, (_, i) => ({ fromNs: 1024 + 8 * i, toNs: 1032 + 8 * i, count: i })),
    { fromNs: 1_048_576, toNs: 1_056_768, count: 2 },
  ];
  const bins = latencyBins(buckets);
  assert.is(
    bins.reduce((sum, b) => sum + b.count, 0),
    buckets.reduce((sum, b) => sum + b.count, 0),
  );
  const widths = bins.map((b) => Math.log10(b.toNs / b.fromNs));
  assert.ok(widths.every((w) => Math.abs(w - widths[0]!) < 1e-9), 'equal log widths');
  assert.ok(bins.every((b, i) => i === 0 || b.fromNs >= bins[i - 1]!.toNs - 1e-6), 'in order, apart');
  assert.equal(latencyBins([]), []);
});

test('settings: every option of run, its value as it could be typed back, given or default', () => {
  const rows = settingRows(resolveOptions('run', { pps: '100k', duration: '2m', queues: '2,3', startAt: '2026-11-29T06:30:00.5Z', stamp: true }, parseProfile('p.yaml', 'plugin_memory: 64m\n')));
  const byFlag = Object.fromEntries(rows.map((r) => [r.flag, [r.value, r.given]]));
  assert.equal(byFlag['--pps'], ['100000', true]);
  assert.equal(byFlag['--duration'], ['120 s', true]);
  assert.equal(byFlag['--queues'], ['2,3', true]);
  assert.equal(byFlag['--start-at'], ['2026-11-29T06:30:00.500Z', true]);
  assert.equal(byFlag['--plugin-memory'], ['64 MiB', true]);
  assert.equal(byFlag['--rx-linger'], ['1 s', false]);
  assert.equal(byFlag['--count'], ['not set', false]);
  assert.equal(byFlag['--report'], ['not set', false]);
  assert.is(rows[0]!.flag, '--config', 'in --help order');
});

test('the command line is shown as a shell takes it back', () => {
  assert.is(shellWords(['run', '--set', 'a=1', '--report', 'my report.html', "it's"]), `run --set a=1 --report 'my report.html' 'it'\\''s'`);
});

test('the report file: replaced whole, no temporary file left; a path that cannot take it is refused before the run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdperf-report-'));
  try {
    const path = join(dir, 'r.html');
    writeFileSync(path, 'old');
    checkReportPath(path);
    writeAtomically(path, 'new');
    assert.is(readFileSync(path, 'utf8'), 'new');
    assert.equal(readdirSync(dir), ['r.html']);
    mkdirSync(join(dir, 'd.html'));
    assert.throws(() => checkReportPath(join(dir, 'd.html')), (e: Error) => e.message === `--report ${dir}/d.html: is a directory`);
    assert.throws(() => checkReportPath(join(dir, 'no', 'r.html')), (e: Error) => e.message === `--report ${dir}/no/r.html: cannot write in ${dir}/no: no such directory`);
    assert.throws(() => writeAtomically(join(dir, 'd.html'), 'x'), /^--report .*\/d\.html: cannot write it: /);
    assert.equal(readdirSync(dir).sort(), ['d.html', 'r.html'], 'a failed write leaves nothing behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: a bad --report is one line naming it, before anything is sent', () => {
  const missing = runCli(['run', '--plugin', 'simpleudp', '--dev', 'lo', '--count', '1', '--report', '/nonexistent/dir/r.html']);
  assert.is(missing.code, 1);
  assert.is(errorLine(missing), 'xdperf: --report /nonexistent/dir/r.html: cannot write in /nonexistent/dir: no such directory');
  const notHtml = runCli(['run', '--plugin', 'simpleudp', '--dev', 'lo', '--count', '1', '--report', 'r.json']);
  assert.is(notHtml.code, 2);
  assert.is(errorLine(notHtml), "xdperf: --report: 'r.json' does not end in .html: the report is an HTML page");
  assert.not.ok(existsSync('r.json'));
  assert.throws(() => parseProfile('p.yaml', 'report: r.txt\n'), (e: Error) => e.message === `p.yaml: key 'report' must be an HTML file path, ending in .html, not "r.txt"`);
});

test.run();
