/**
 * The report's pacing quality: the rate each whole interval achieved against the target, their
 * spread (min, p1, median, p99, max), and how often and how far a sending thread fell behind.
 */
import { lineChart } from '../chart/line-chart.js';
import { el, type Child, type Markup } from '../chart/markup.js';
import { siLabel } from '../chart/scale.js';
import { BEHIND_NS, CATCH_UP_PERCENT } from '../engine/pacer.js';
import { formatBps, formatCount, formatPps } from './format.js';
import { facts, figure, section, table } from './html-parts.js';
import { pacingQuality, type PacingQuality } from './pacing-quality.js';
import { percentLabel, SENT_COLOR, TIME_AXIS } from './rate-section.js';
import type { RunRecord } from './run-record.js';

const deviation = (rate: number, target: number): number => (rate / target - 1) * 100;
const signedPercent = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(Math.abs(v) < 1 ? 3 : 2)} %`;

function spreadTable(quality: PacingQuality): Markup {
  const spread = quality.spread!;
  const rate = quality.unit === 'pps' ? formatPps : formatBps;
  const names: [string, number][] = [['min', spread.min], ['p1', spread.p1], ['median', spread.p50], ['p99', spread.p99], ['max', spread.max]];
  const target = quality.target;
  return table(
    ['', ...names.map(([name]) => name)],
    [['rate', ...names.map(([, v]) => rate(v))], ...(target === undefined ? [] : [['against the target', ...names.map(([, v]) => signedPercent(deviation(v, target)))]])],
  );
}

export function pacingSection(record: RunRecord): Markup {
  const { start, summary, samples } = record;
  const quality = pacingQuality(samples, { pps: start.targetPps, bps: start.targetBps }, summary?.elapsedMs);
  const target = quality.target;
  const rate = quality.unit === 'pps' ? formatPps : formatBps;
  const pacing = summary?.pacing;
  const behindMs = BEHIND_NS / 1e6;
  const overall = summary && (quality.unit === 'pps' ? summary.pps : summary.bps);
  const rows: [string, Child][] = [['target', target === undefined ? 'none: as fast as possible, so there is no schedule to keep' : rate(target)]];
  if (overall !== undefined && target !== undefined) rows.push(['achieved over the run', `${rate(overall)} (${signedPercent(deviation(overall, target))})`]);
  rows.push(['whole intervals judged', `${quality.intervals.length} (the first, which holds the start, and one the end cut short are left out)`]);
  if (pacing) {
    rows.push([
      `fell more than ${behindMs} ms behind`,
      pacing.timesBehind === 0
        ? 'never'
        : `${formatCount(pacing.timesBehind)} time${pacing.timesBehind === 1 ? '' : 's'}, at most ${pacing.mostBehindMs.toFixed(1)} ms; caught up at no more than ${CATCH_UP_PERCENT} % above the rate`,
    ]);
    rows.push(['sending threads pinned (--cpus)', pacing.pinned ? 'yes' : 'no']);
  }
  const chart =
    target !== undefined &&
    quality.intervals.length > 0 &&
    lineChart({
      title: 'Interval rate against the target',
      x: TIME_AXIS,
      y: { title: 'rate of the interval − target, %', format: percentLabel },
      series: [
        {
          label: 'interval rate',
          color: SENT_COLOR,
          points: quality.intervals.map((i) => ({
            x: i.toMs / 1000,
            y: deviation(i.rate, target),
            tip: `${(i.fromMs / 1000).toFixed(2)}–${(i.toMs / 1000).toFixed(2)} s: ${rate(i.rate)}, ${signedPercent(deviation(i.rate, target))}`,
          })),
        },
      ],
      references: [{ label: `target ${siLabel(target, quality.unit)}`, y: 0 }],
      height: 240,
    });
  return section(
    'pacing',
    'Pacing',
    facts(rows),
    quality.spread ? spreadTable(quality) : el('p', {}, 'No whole interval to judge: the run was shorter than three sampling intervals (--interval sets them).'),
    chart && figure('Interval rate against the target', chart, 'Each point: how far the rate of one sampling interval was from the target.'),
  );
}
