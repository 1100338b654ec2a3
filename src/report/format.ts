/** Numbers as a person reads them in a report line. */

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A template's flow count: distinct variants before its sequence repeats; with a random field,
 * the size of the space its values are drawn from, which is not a count of distinct flows sent.
 */
export function formatFlows(flows: number, random: boolean): string {
  // The core's count saturates at 2^64 - 1, which a JavaScript number rounds up to 2^64.
  const count = flows >= 2 ** 64 ? '2^64 - 1 or more' : formatCount(flows);
  return random ? `random over ${count} values` : `flows: ${count}`;
}

function scaled(value: number, unit: string): string {
  const prefixes: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, prefix] of prefixes) {
    if (Math.abs(value) >= scale) return `${(value / scale).toFixed(2)} ${prefix}${unit}`;
  }
  return `${value.toFixed(value < 10 ? 2 : 0)} ${unit}`;
}

export const formatPps = (pps: number): string => scaled(pps, 'pps');
export const formatBps = (bps: number): string => scaled(bps, 'bit/s');

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 1)} s`;
}

export function progressBar(fraction: number, width = 20): string {
  const clamped = Math.min(Math.max(fraction, 0), 1);
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(clamped * 100).toFixed(0).padStart(3)}%`;
}

/** A latency or other time in nanoseconds, in the unit that keeps it readable: `850 ns`, `12.3 µs`, `5.12 ms`. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${Math.round(ns)} ns`;
  if (ns < 1_000_000) return `${(ns / 1e3).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1e6).toFixed(ns < 10_000_000 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}

/** A share as a percentage with enough digits to show one packet in a million. */
export function formatPercent(part: number, whole: number): string {
  return `${whole > 0 ? ((part / whole) * 100).toFixed(part > 0 && part / whole < 0.0001 ? 4 : 3) : '0.000'}%`;
}
