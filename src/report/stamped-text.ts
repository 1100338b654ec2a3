/** The text form of stamped streams at a receiver: totals, latency, and a table of the streams. */
import { formatCount, formatNs, formatPercent } from './format.js';
import { expectedPackets, type LatencySummary, type StampedReceived } from './stamped-streams.js';

export const CLOCK_NOTE: Record<string, string> = {
  monotonic: "CLOCK_MONOTONIC: valid when the sender runs on this host",
  tai: "CLOCK_TAI: valid across hosts only when both clocks are PTP-synchronized",
  mixed: 'stamped with both clocks by different senders',
};

function latencyText(l: LatencySummary): string {
  return [
    `min ${formatNs(l.minNs)}`,
    `mean ${formatNs(l.meanNs)}`,
    `p50 ${formatNs(l.p50Ns)}`,
    `p90 ${formatNs(l.p90Ns)}`,
    `p99 ${formatNs(l.p99Ns)}`,
    `p99.9 ${formatNs(l.p999Ns)}`,
    `max ${formatNs(l.maxNs)}`,
    `jitter ${formatNs(l.jitterNs)}`,
  ].join(', ');
}

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => '  ' + row.map((cell, column) => (column <= 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd());
}

export function stampedLines(r: StampedReceived & { unstamped?: { packets: number } }, device: string): string[] {
  const notes = [
    r.beyondWindow > 0 ? `, ${formatCount(r.beyondWindow)} too late to check for duplicates (over 4,096 behind)` : '',
    r.clockAhead > 0 ? `, ${formatCount(r.clockAhead)} stamped by a clock ahead of this host's (no latency for them)` : '',
  ].join('');
  const lines = [
    `received ${formatCount(r.packets)} stamped packets (${formatCount(r.bytes)} bytes) on ${device}: ` +
      `${formatCount(r.lost)} lost (${formatPercent(r.lost, expectedPackets(r))}), ${formatCount(r.duplicated)} duplicated, ${formatCount(r.reordered)} reordered${notes}`,
    r.latency ? `latency (${CLOCK_NOTE[r.clock ?? 'monotonic']}): ${latencyText(r.latency)}` : 'latency: no stamped packet measured',
  ];
  const run = r.streams.some((s) => s.sent !== null);
  const header = ['stream', 'tags', ...(run ? ['sent'] : []), 'received', 'lost', 'duplicated', 'reordered', 'p50', 'p99', 'max'];
  const rows = r.streams.map((s) => [
    String(s.stream),
    s.tags.join(',') || '-',
    ...(run ? [formatCount(s.sent ?? 0)] : []),
    formatCount(s.packets),
    formatCount(s.lost),
    formatCount(s.duplicated),
    formatCount(s.reordered),
    s.latency ? formatNs(s.latency.p50Ns) : '-',
    s.latency ? formatNs(s.latency.p99Ns) : '-',
    s.latency ? formatNs(s.latency.maxNs) : '-',
  ]);
  if (rows.length > 0) lines.push(...table([header, ...rows]));
  if (!run) lines.push('  (lost: by sequence number; a loss after the last packet that arrived cannot be seen here)');
  if (r.unstamped && r.unstamped.packets > 0) lines.push(`  also ${formatCount(r.unstamped.packets)} frames without this run's stamps (ARP, other traffic)`);
  return lines;
}
