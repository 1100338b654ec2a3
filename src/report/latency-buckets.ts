/**
 * The receiver's latency histogram (log-linear: a bucket per nanosecond below 256 ns, then 128
 * buckets per power of two, each [fromNs, toNs) of whole nanoseconds) re-bucketed onto a fixed
 * set of Prometheus bounds, which every scrape and every stream share so that PromQL can add
 * streams and compute quantiles over time.
 *
 * A Prometheus bucket counts the samples ≤ le. The native buckets are summed, never split: a
 * bound counts every native bucket wholly at or below it, so its count is exact for the samples
 * up to the last native edge at or below le + 1 ns, and never more than the samples ≤ le. Up to
 * 255 ns every nanosecond is an edge (exact); above, a native bucket is at most 1/128 of its
 * values wide, so the samples a bound leaves to the next one lie within 0.8 % below it, and
 * within 0.4 % for these bounds (le = 1 ms counts the samples up to 999,423 ns; docs/metrics.md
 * has them all).
 */
import type { StreamLatency } from '../engine/native-core.js';

/** 1-2-5 from 100 ns to 10 s: the veth lab's microseconds to a congested WAN's seconds. */
export const LATENCY_BOUNDS_SECONDS = [
  1e-7, 2e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
] as const;

export interface PromBuckets {
  /** Cumulative count at each of LATENCY_BOUNDS_SECONDS. */
  cumulative: number[];
  /** Every sample: the +Inf bucket and _count. */
  count: number;
  /** Of every sample, in seconds. */
  sumSeconds: number;
}

/** `latency`'s samples in the Prometheus buckets. */
export function promBuckets(latency: Pick<StreamLatency, 'histogram' | 'sumNs'>): PromBuckets {
  const boundsNs = LATENCY_BOUNDS_SECONDS.map((le) => Math.round(le * 1e9));
  const cumulative = boundsNs.map(() => 0);
  let count = 0;
  for (const bucket of latency.histogram) {
    count += bucket.count;
    // Its highest sample is toNs - 1: it counts under every bound from there on.
    const first = boundsNs.findIndex((le) => bucket.toNs - 1 <= le);
    if (first === -1) continue;
    for (let i = first; i < cumulative.length; i++) cumulative[i]! += bucket.count;
  }
  // The histogram's count, not the stream's: the receiver adds a sample to its stream's count
  // a moment before its bucket, and a histogram whose +Inf bucket is below a finite one is
  // invalid. Once the packets stopped arriving the two are the same. The sum is the receiver's
  // own, exact and only growing, as a histogram's _sum must be.
  return { cumulative, count, sumSeconds: latency.sumNs / 1e9 };
}
