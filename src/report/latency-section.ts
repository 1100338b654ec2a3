/**
 * The report's stamped streams: each stream's counts and latency percentiles with the total's,
 * and the latency histogram of the total (and of each stream, folded) on a log time axis.
 */
import { histogramChart } from '../chart/histogram-chart.js';
import { el, type Markup } from '../chart/markup.js';
import { PALETTE } from '../chart/plot.js';
import { siLabel } from '../chart/scale.js';
import { formatCount, formatNs, formatPercent } from './format.js';
import { figure, folded, section, table } from './html-parts.js';
import { latencyBins } from './latency-bins.js';
import { stampedOf, type RunRecord } from './run-record.js';
import { CLOCK_NOTE } from './stamped-text.js';
import { expectedPackets, type LatencySummary, type ReceivedCounts } from './stamped-streams.js';

export const LATENCY_COLOR = PALETTE[2];
// Histograms of more streams than this make a page nobody scrolls; the table has every stream.
const MAX_STREAM_CHARTS = 16;

function histogram(title: string, latency: LatencySummary): Markup {
  const total = latency.histogram.reduce((sum, bucket) => sum + bucket.count, 0);
  const chart = histogramChart({
    title,
    x: { title: 'one-way latency (log scale)', format: (ns) => siLabel(ns / 1e9, 's') },
    y: { title: 'packets per bin (log scale)', format: (v) => siLabel(v, '') },
    bins: latencyBins(latency.histogram).map((bin) => ({
      from: bin.fromNs,
      to: bin.toNs,
      count: bin.count,
      tip: `${formatNs(bin.fromNs)} – ${formatNs(bin.toNs)}: ${formatCount(bin.count)} packets (${formatPercent(bin.count, total)})`,
    })),
    markers: [
      { at: latency.p50Ns, label: `p50 ${formatNs(latency.p50Ns)}` },
      { at: latency.p90Ns, label: `p90 ${formatNs(latency.p90Ns)}` },
      { at: latency.p99Ns, label: `p99 ${formatNs(latency.p99Ns)}` },
      { at: latency.p999Ns, label: `p99.9 ${formatNs(latency.p999Ns)}` },
    ],
    color: LATENCY_COLOR,
  });
  return figure(title, chart, `${formatCount(total)} packets; bins of equal width on the log axis; min ${formatNs(latency.minNs)}, max ${formatNs(latency.maxNs)}.`);
}

function row(name: string, tags: string, sent: number | null, r: ReceivedCounts): string[] {
  const l = r.latency;
  const ns = (v: number | undefined): string => (v === undefined ? '–' : formatNs(v));
  return [
    name,
    tags,
    sent === null ? '–' : formatCount(sent),
    formatCount(r.packets),
    `${formatCount(r.lost)} (${formatPercent(r.lost, expectedPackets(r))})`,
    formatCount(r.duplicated),
    formatCount(r.reordered),
    ...[l?.minNs, l?.meanNs, l?.p50Ns, l?.p90Ns, l?.p99Ns, l?.p999Ns, l?.maxNs, l?.jitterNs].map(ns),
  ];
}

/** Undefined for a run without stamps. */
export function latencySection(record: RunRecord): Markup | undefined {
  const stamped = stampedOf(record.summary);
  if (!stamped) return undefined;
  const header = ['stream', 'tags', 'sent', 'received', 'lost', 'duplicated', 'reordered', 'min', 'mean', 'p50', 'p90', 'p99', 'p99.9', 'max', 'jitter'];
  const rows = [
    row('all', '', stamped.streams.reduce((sum, s) => sum + (s.sent ?? 0), 0), stamped),
    ...stamped.streams.map((s) => row(String(s.stream), s.tags.join(','), s.sent, s)),
  ];
  const charted = stamped.streams.filter((s) => s.latency !== null).slice(0, MAX_STREAM_CHARTS);
  return section(
    'latency',
    'Stamped streams: loss and latency',
    el('p', {}, stamped.latency ? `Latency: ${CLOCK_NOTE[stamped.clock ?? 'monotonic']}. Jitter as RFC 3550 defines it; reordered as RFC 4737 counts it.` : 'No stamped packet was measured.'),
    table(header, rows, (column) => column >= 2),
    stamped.latency && histogram('Latency of all streams', stamped.latency),
    stamped.streams.length > 1 &&
      charted.length > 0 &&
      folded(
        `Latency of each stream${stamped.streams.length > charted.length ? ` (the first ${charted.length} with packets)` : ''}`,
        charted.map((s) => histogram(`Latency of stream ${s.stream}${s.tags.length ? ` (${s.tags.join(',')})` : ''}`, s.latency!)),
      ),
  );
}
