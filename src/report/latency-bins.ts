/**
 * The receiver's latency histogram regrouped for a chart on a log axis. Its buckets are
 * log-linear (exact below 128 ns, then 128 a power of two), so their widths on a log axis jump
 * at each power of two and a bar a bucket would draw a sawtooth that is not in the data. Bins of
 * equal width on the log axis show the distribution's shape: as many a decade as give about 40
 * bars over the span the data covers, never narrower than the receiver's own buckets.
 */
import type { StreamLatency } from '../engine/native-core.js';

type LatencyBucket = StreamLatency['histogram'][number];

export interface LatencyBin {
  fromNs: number;
  toNs: number;
  count: number;
}

const BARS = 40;
const MIN_PER_DECADE = 10;
const MAX_PER_DECADE = 200;

/** Where a bucket's samples lie: an exact bucket's value, else its middle (0 ns read as 1 ns: the log axis has no 0). */
function valueOf(bucket: LatencyBucket): number {
  return Math.max(1, bucket.toNs - bucket.fromNs <= 1 ? bucket.fromNs : (bucket.fromNs + bucket.toNs) / 2);
}

export function latencyBins(buckets: LatencyBucket[]): LatencyBin[] {
  const filled = buckets.filter((b) => b.count > 0);
  if (filled.length === 0) return [];
  const logs = filled.map((b) => Math.log10(valueOf(b)));
  const span = Math.max(...logs) - Math.min(...logs);
  const widest = Math.max(...filled.map((b) => (b.toNs - b.fromNs) / Math.max(1, b.fromNs)));
  const finest = Math.min(MAX_PER_DECADE, Math.floor(1 / Math.log10(1 + widest)));
  const perDecade = Math.max(MIN_PER_DECADE, Math.min(finest, Math.ceil(BARS / Math.max(span, 1e-3))));
  const counts = new Map<number, number>();
  filled.forEach((bucket, i) => {
    const k = Math.floor(logs[i]! * perDecade + 1e-9);
    counts.set(k, (counts.get(k) ?? 0) + bucket.count);
  });
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, count]) => ({ fromNs: 10 ** (k / perDecade), toNs: 10 ** ((k + 1) / perDecade), count }));
}
