/** Numbers as a person reads them in a report line. */

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
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
