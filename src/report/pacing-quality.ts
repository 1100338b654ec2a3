/**
 * How evenly a run sent, from its samples: the rate of each sampling interval that lies wholly
 * inside the sending, and their spread, next to the target when there is one. The interval that
 * holds the start (threads starting, the first batch) and the one the end cuts short are left
 * out: their rate says when the run began and ended, not how it was paced.
 */
import type { RunSample } from './run-reporter.js';

export interface IntervalRate {
  fromMs: number;
  toMs: number;
  /** In the target's unit: packets/s, or bit/s for a --bps target. */
  rate: number;
}

export interface Spread {
  min: number;
  p1: number;
  p50: number;
  p99: number;
  max: number;
}

export interface PacingQuality {
  unit: 'pps' | 'bit/s';
  /** Undefined for a run as fast as possible. */
  target: number | undefined;
  intervals: IntervalRate[];
  /** Of the intervals' rates; undefined without an interval. */
  spread: Spread | undefined;
}

/** The nearest-rank percentile `p` (0–100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * `endMs`: when the sending ended (the summary's elapsed time); undefined for a run that failed,
 * whose samples all stand.
 */
export function pacingQuality(samples: readonly RunSample[], target: { pps?: number; bps?: number }, endMs: number | undefined): PacingQuality {
  const byBits = target.pps === undefined && target.bps !== undefined;
  const intervals: IntervalRate[] = [];
  for (let i = 1; i < samples.length; i++) {
    const [before, sample] = [samples[i - 1]!, samples[i]!];
    if (before.packets === 0 || (endMs !== undefined && sample.elapsedMs >= endMs)) continue;
    intervals.push({ fromMs: before.elapsedMs, toMs: sample.elapsedMs, rate: byBits ? sample.bps : sample.pps });
  }
  const sorted = intervals.map((i) => i.rate).sort((a, b) => a - b);
  const spread =
    sorted.length === 0
      ? undefined
      : { min: sorted[0]!, p1: percentile(sorted, 1), p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
  return { unit: byBits ? 'bit/s' : 'pps', target: byBits ? target.bps : target.pps, intervals, spread };
}
