import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { barChart } from '../src/chart/bar-chart.js';
import { histogramChart } from '../src/chart/histogram-chart.js';
import { decimated, lineChart } from '../src/chart/line-chart.js';
import { el, escapeText, fragment, verbatim, type Markup } from '../src/chart/markup.js';
import { linearScale, logScale, logTicks, niceTicks, siLabel } from '../src/chart/scale.js';

const HOSTILE = `<script>alert("x")</script>&'`;

/** The markup's text nodes and attribute values must hold no character that could open markup. */
function occurrences(markup: Markup, text: string): number {
  return markup.source.split(text).length - 1;
}

test('ticks: round steps of 1, 2 or 5 × 10^k that cover the data, without float noise', () => {
  assert.equal(niceTicks(0, 100_000), [0, 20_000, 40_000, 60_000, 80_000, 100_000]);
  assert.equal(niceTicks(0, 1.3), [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4]);
  assert.equal(niceTicks(0, 0.3, 3), [0, 0.1, 0.2, 0.3]);
  assert.equal(niceTicks(-0.06, 0.08, 6), [-0.06, -0.04, -0.02, 0, 0.02, 0.04, 0.06, 0.08]);
  // a sample a few ms past a round end does not add a step
  assert.equal(niceTicks(0, 30.003, 6), [0, 5, 10, 15, 20, 25, 30]);
  assert.equal(niceTicks(0, 30.2, 6), [0, 5, 10, 15, 20, 25, 30, 35]);
});

test('linear scale: the domain widened to its ticks, mapped onto the range (y grows downwards)', () => {
  const y = linearScale(0, 97_000, [200, 0]);
  assert.is(y.lo, 0);
  assert.is(y.hi, 100_000);
  assert.is(y.map(0), 200);
  assert.is(y.map(50_000), 100);
  assert.is(y.map(100_000), 0);
  // all values equal: an axis around them, not a division by zero
  assert.equal(linearScale(0, 0, [0, 1]).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal([linearScale(5, 5, [0, 1]).lo, linearScale(5, 5, [0, 1]).hi], [0, 10]);
});

test('log ticks: decades over a wide span, 1-2-5 over a narrow one, every digit, then round linear steps', () => {
  assert.equal(logTicks(600, 2e6), [1000, 10_000, 100_000, 1_000_000]);
  assert.equal(logTicks(4000, 160_000), [5000, 10_000, 20_000, 50_000, 100_000]);
  assert.equal(logTicks(1100, 4900), [2000, 3000, 4000]);
  assert.equal(logTicks(5_000_000, 6_000_000), [5_000_000, 5_200_000, 5_400_000, 5_600_000, 5_800_000, 6_000_000]);
  const x = logScale(1000, 100_000, [0, 200]);
  assert.is(x.map(1000), 0);
  assert.is(x.map(10_000), 100);
  assert.is(x.map(100_000), 200);
});

test('tick labels: an SI prefix and the unit, no trailing zeros', () => {
  assert.is(siLabel(0, 'pps'), '0 pps');
  assert.is(siLabel(250_000, 'pps'), '250 kpps');
  assert.is(siLabel(1_250_000, 'pps'), '1.25 Mpps');
  assert.is(siLabel(48e6, 'bit/s'), '48 Mbit/s');
  assert.is(siLabel(12e-6, 's'), '12 µs');
  assert.is(siLabel(1.5e-3, 's'), '1.5 ms');
  assert.is(siLabel(650e-9, 's'), '650 ns');
  assert.is(siLabel(1000, ''), '1 k');
  assert.is(siLabel(20, ''), '20');
});

test('escaping: text and attribute values never open markup, in HTML or XML', () => {
  assert.is(escapeText(HOSTILE), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  // characters XML 1.0 does not allow would make a standalone SVG fail to load
  assert.is(escapeText('a\u0000b\u001bc\ud800d\ufffe'), 'a\ufffdb\ufffdc\ufffdd\ufffd');
  const markup = el('text', { 'data-x': HOSTILE }, HOSTILE, 7, false, null, undefined, ['!', HOSTILE]);
  assert.is(occurrences(markup, '<script'), 0);
  assert.is(occurrences(markup, '&lt;script&gt;'), 3);
  assert.is(markup.source.startsWith('<text data-x="&lt;script&gt;'), true);
  assert.ok(markup.source.includes('7!'));
});

test('only markup this module made is inserted as it is: a look-alike object is text', () => {
  const forged = { source: '<script>x</script>', toString: () => '<script>x</script>' } as unknown as Markup;
  assert.is(occurrences(el('p', {}, forged), '<script'), 0);
  assert.is(el('p', {}, el('b', {}, 'x')).source, '<p><b>x</b></p>');
  assert.is(fragment('a', el('br')).source, 'a<br>');
  assert.is(verbatim`<!-- literal -->`.source, '<!-- literal -->');
  assert.is(el('rect', { width: 1 / 3, hidden: false, open: true }).source, '<rect width="0.33" open=""/>');
});

test('a line chart: a polyline per series, a marker with its tooltip per point, the target dashed, the legend', () => {
  const chart = lineChart({
    title: 'rates',
    x: { title: 'time', format: (v) => `${v} s` },
    y: { title: 'rate', format: (v) => siLabel(v, 'pps') },
    series: [
      { label: 'sent', color: '#0072b2', points: [1, 2, 3].map((s) => ({ x: s, y: 100_000, tip: `sent at ${s} s` })) },
      { label: 'received', color: '#d55e00', open: true, points: [1, 2].map((s) => ({ x: s, y: 99_000, tip: `received at ${s} s` })) },
      { label: 'empty', color: '#000000', points: [] },
    ],
    references: [{ label: 'target 100 kpps', y: 100_000 }],
  });
  assert.is(occurrences(chart, '<polyline'), 2);
  assert.is(occurrences(chart, '<circle'), 5);
  assert.ok(chart.source.includes('<title>received at 2 s</title>'));
  assert.ok(chart.source.includes('stroke-dasharray="6 4"'));
  assert.ok(chart.source.includes('>100 kpps</text>'), 'a y tick in its unit');
  assert.not.ok(chart.source.includes('>empty<'), 'a series without points is left out, legend too');
  assert.not.ok(chart.source.includes('xmlns'), 'inline SVG needs no namespace');
});

test('a long series is thinned to its lows and highs, in order: a one-sample spike still shows', () => {
  const points = Array.from({ length: 36_000 }, (_, i) => ({ x: i / 10, y: i === 12_345 ? 0 : 100 + (i % 7), tip: '' }));
  const kept = decimated(points);
  assert.ok(kept.length <= 2000, `${kept.length} points`);
  assert.ok(kept.some((p) => p.y === 0), 'the spike is kept');
  assert.equal(
    kept.map((p) => p.x),
    kept.map((p) => p.x).sort((a, b) => a - b),
  );
  assert.is(decimated(points.slice(0, 100)).length, 100);
});

test('a bar chart: a bar with its tooltip per value, a whisker over a range, no bar where a series has none', () => {
  const chart = barChart({
    title: 'cases',
    value: { title: 'rate', format: (v) => siLabel(v, 'pps') },
    series: [
      { label: '64 B', color: '#0072b2' },
      { label: '1514 B', color: '#d55e00' },
    ],
    groups: [
      { label: HOSTILE, bars: [{ value: 1e6, low: 0.9e6, high: 1.1e6, tip: 'one' }, { value: 0.7e6, tip: 'two' }] },
      { label: 'only 64 B', bars: [{ value: 6e6, tip: 'three' }, undefined] },
    ],
    standalone: true,
  });
  assert.is(occurrences(chart, 'class="bar"'), 3);
  assert.ok(chart.source.includes('<title>three</title>'));
  assert.is(occurrences(chart, '<script'), 0);
  assert.ok(chart.source.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), 'a standalone file has the namespace');
  // the whisker: a line over the range and a cap at each end, all black
  assert.is(occurrences(chart, 'stroke="#000000"'), 3);
});

test('a histogram: a bar per bin from edge to edge on the log axis, a labelled marker per percentile', () => {
  const chart = histogramChart({
    title: 'latency',
    x: { title: 'latency', format: (ns) => siLabel(ns / 1e9, 's') },
    y: { title: 'packets', format: (v) => siLabel(v, '') },
    bins: [
      { from: 1000, to: 1100, count: 5000, tip: '1 µs' },
      { from: 1100, to: 1200, count: 1, tip: 'one packet' },
      { from: 100_000, to: 110_000, count: 2, tip: 'the tail' },
    ],
    markers: [{ at: 1050, label: 'p50 1.05 µs' }],
    color: '#009e73',
  });
  assert.is(occurrences(chart, 'class="bar"'), 3);
  assert.ok(chart.source.includes('<title>the tail</title>'));
  assert.ok(chart.source.includes('>p50 1.05 µs</text>'));
  // a bin of one packet is drawn, not flattened onto the axis of a log scale
  const heights = [...chart.source.matchAll(/class="bar"[^>]* height="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.is(heights.length, 3);
  assert.ok(heights.every((h) => h > 5), `bar heights ${heights}`);
});

test.run();
