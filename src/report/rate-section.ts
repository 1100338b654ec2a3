/**
 * The report's rates over time: sent and received packet and bit rates against the target, loss
 * per interval when stamped, and every sample in a folded table.
 */
import { lineChart, type Point } from '../chart/line-chart.js';
import { el, type Markup } from '../chart/markup.js';
import { PALETTE } from '../chart/plot.js';
import { siLabel } from '../chart/scale.js';
import { formatBps, formatCount, formatPercent, formatPps } from './format.js';
import { figure, folded, section, table } from './html-parts.js';
import type { RunRecord } from './run-record.js';
import type { RunSample } from './run-reporter.js';

export const SENT_COLOR = PALETTE[0];
export const RECEIVED_COLOR = PALETTE[1];
// A longer table is megabytes nobody reads in a page; --json has every sample.
const MAX_ROWS = 10_000;

export const TIME_AXIS = { title: 'time since the start (s)', format: (s: number) => `${s} s` };
/** A percentage on an axis or in a tooltip: `0.05 %`, `-1.25 %`. */
export const percentLabel = (v: number): string => `${Number(v.toPrecision(4))} %`;

/** The interval a sample covers, as a tooltip starts: `1.00–2.00 s`. */
function span(samples: readonly RunSample[], i: number): string {
  return `${((samples[i - 1]?.elapsedMs ?? 0) / 1000).toFixed(2)}–${(samples[i]!.elapsedMs / 1000).toFixed(2)} s`;
}

function points(samples: readonly RunSample[], value: (s: RunSample, i: number) => number | undefined, tip: (v: number) => string): Point[] {
  return samples.flatMap((s, i) => {
    const v = value(s, i);
    return v === undefined ? [] : [{ x: s.elapsedMs / 1000, y: v, tip: `${span(samples, i)}: ${tip(v)}` }];
  });
}

/**
 * The received bit rate of the interval: its received packet rate times the mean frame the
 * receiver counted in it, so that it is taken over the same time as the packet rate.
 */
function receivedBps(samples: readonly RunSample[], i: number): number | undefined {
  const now = samples[i]!.received;
  if (now?.pps === undefined) return undefined;
  const before = samples[i - 1]?.received;
  const packets = now.packets - (before?.packets ?? 0);
  return packets > 0 ? (now.pps * (now.bytes - (before?.bytes ?? 0)) * 8) / packets : 0;
}

/** One kind of rate over time, sent and received, against the target when there is one. */
function rateChart(
  samples: readonly RunSample[],
  title: string,
  axis: { title: string; unit: string; format: (v: number) => string },
  sent: (s: RunSample, i: number) => number | undefined,
  received: (s: RunSample, i: number) => number | undefined,
  target: number | undefined,
): Markup {
  return lineChart({
    title,
    x: TIME_AXIS,
    y: { title: axis.title, format: (v) => siLabel(v, axis.unit) },
    series: [
      { label: 'sent', color: SENT_COLOR, points: points(samples, sent, (v) => `sent ${axis.format(v)}`) },
      { label: 'received', color: RECEIVED_COLOR, open: true, points: points(samples, received, (v) => `received ${axis.format(v)}`) },
    ],
    references: target === undefined ? [] : [{ label: `target ${axis.format(target)}`, y: target }],
  });
}

/** The share of the packets expected in the interval that were lost in it (stamps: by sequence number). */
function intervalLoss(samples: readonly RunSample[], i: number): number | undefined {
  const now = samples[i]!.received;
  if (now?.lost === undefined || now.expected === undefined) return undefined;
  const before = samples[i - 1]?.received;
  const expected = now.expected - (before?.expected ?? 0);
  return expected > 0 ? ((now.lost - (before?.lost ?? 0)) / expected) * 100 : undefined;
}

export function rateSection(record: RunRecord): Markup {
  const { samples, start } = record;
  if (samples.length === 0) {
    return section('rates', 'Rates over time', el('p', {}, 'No sample was taken: the run ended within its first interval (--interval sets how often it samples).'));
  }
  const received = samples.some((s) => s.received?.pps !== undefined);
  const stamped = samples.some((s) => s.received?.lost !== undefined);
  const packetRate = rateChart(
    samples,
    'Packet rate over time',
    { title: 'packets per second', unit: 'pps', format: formatPps },
    (s) => s.pps,
    (s) => s.received?.pps,
    start.targetPps,
  );
  const bitRate = rateChart(
    samples,
    'Bit rate over time',
    { title: 'bits per second (L2, without FCS)', unit: 'bit/s', format: formatBps },
    (s) => s.bps,
    (_, i) => receivedBps(samples, i),
    start.targetBps,
  );
  const loss =
    stamped &&
    lineChart({
      title: 'Loss per interval',
      x: TIME_AXIS,
      y: { title: 'lost, % of the packets expected in the interval', format: percentLabel },
      series: [{ label: 'lost', color: RECEIVED_COLOR, points: points(samples, (_, i) => intervalLoss(samples, i), (v) => `${percentLabel(v)} lost`) }],
      height: 220,
    });
  const header = ['time', 'sent', 'sent bit rate', ...(received ? ['received'] : []), ...(stamped ? ['loss so far'] : []), 'errors', 'ring full', 'times behind'];
  const rows = samples.slice(0, MAX_ROWS).map((s) => [
    `${(s.elapsedMs / 1000).toFixed(2)} s`,
    formatPps(s.pps),
    formatBps(s.bps),
    ...(received ? [s.received?.pps === undefined ? '–' : formatPps(s.received.pps)] : []),
    ...(stamped ? [s.received?.lost === undefined ? '–' : `${formatCount(s.received.lost)} (${formatPercent(s.received.lost, s.received.expected ?? 0)})`] : []),
    formatCount(s.errors),
    formatCount(s.ringFull),
    formatCount(s.timesBehind),
  ]);
  return section(
    'rates',
    'Rates over time',
    figure('Packet rate', packetRate, `Each point is the rate over the interval that ends there (${samples.length} samples).${received ? ' Received: counted by the XDP counter at the far end.' : ''}`),
    figure('Bit rate', bitRate, 'Of L2 frames without FCS, preamble or inter-frame gap, as --bps counts them.'),
    loss && figure('Loss per interval', loss, 'Mid-run loss is read off the sequence numbers that arrived, so packets still in flight do not count as lost.'),
    folded(
      `${samples.length > MAX_ROWS ? `The first ${formatCount(MAX_ROWS)} of ${formatCount(samples.length)} samples (--json has them all)` : `Every sample (${samples.length})`}; errors, ring full and times behind are totals so far`,
      table(header, rows),
    ),
  );
}
