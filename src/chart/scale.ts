/**
 * Scales map data values to pixels and say where the ticks go: linear ones on round steps
 * (1, 2 or 5 × 10^k) that cover the data, logarithmic ones on decades, or on 1-2-5 or every
 * digit in between when the data spans too little for decades to show.
 */

export interface Scale {
  /** The domain, as widened to round ends. */
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly number[];
  /** The pixel of a value; values outside the domain map outside the range. */
  map(value: number): number;
}

/** A step of 1, 2 or 5 × 10^k near `rough`. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const mantissa = rough / power;
  return (mantissa < 1.5 ? 1 : mantissa < 3.5 ? 2 : mantissa < 7.5 ? 5 : 10) * power;
}

/** `k × step` without the float noise of the multiplication (0.30000000000000004). */
function onStep(k: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Number((k * step).toFixed(Math.min(decimals, 20)));
}

// How far past the last tick a value may lie before the axis takes another step: a sample at
// 30.003 s does not stretch a 30 s axis to 35 s for three milliseconds.
const OVERSHOOT = 0.01;

/** About `count` round ticks from below `min` to above `max` (within a hundredth of a step), both ends on a tick. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step = niceStep((max - min) / count);
  const first = Math.floor(min / step + OVERSHOOT);
  const last = Math.ceil(max / step - OVERSHOOT);
  return Array.from({ length: last - first + 1 }, (_, i) => onStep(first + i, step));
}

/**
 * A linear scale over [min, max] widened to round ticks. An empty span (all values equal) is
 * widened around the value, so a flat line still has an axis.
 */
export function linearScale(min: number, max: number, range: [number, number], count = 5): Scale {
  const [lo0, hi0] = max > min ? [min, max] : min === 0 ? [0, 1] : [Math.min(0, min * 2), Math.max(0, max * 2)];
  const ticks = niceTicks(lo0, hi0, count);
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const [from, to] = range;
  return { lo, hi, ticks, map: (value) => from + ((value - lo) / (hi - lo)) * (to - from) };
}

/** Ticks of a log axis over [lo, hi]: the first mantissa set that gives at least three. */
export function logTicks(lo: number, hi: number): number[] {
  for (const mantissas of [[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const ticks: number[] = [];
    for (let exponent = Math.floor(Math.log10(lo)); exponent <= Math.ceil(Math.log10(hi)); exponent++) {
      for (const m of mantissas) {
        const tick = Number((m * 10 ** exponent).toPrecision(12));
        if (tick >= lo * (1 - 1e-9) && tick <= hi * (1 + 1e-9)) ticks.push(tick);
      }
    }
    if (ticks.length >= 3) return ticks;
  }
  // Less than a factor of about 1.5: round linear steps read better than sparse digits.
  return niceTicks(lo, hi, 4).filter((tick) => tick >= lo && tick <= hi);
}

/** A logarithmic scale over [min, max] (both more than 0). */
export function logScale(min: number, max: number, range: [number, number]): Scale {
  const lo = Math.log10(min);
  const hi = Math.log10(max > min ? max : min * 10);
  const [from, to] = range;
  return { lo: 10 ** lo, hi: 10 ** hi, ticks: logTicks(10 ** lo, 10 ** hi), map: (value) => from + ((Math.log10(value) - lo) / (hi - lo)) * (to - from) };
}

const PREFIXES: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
];

/** A tick label: the value with an SI prefix and its unit, no trailing zeros: `250 kpps`, `1.5 ms`, `0 pps`. */
export function siLabel(value: number, unit: string): string {
  if (value === 0) return `0 ${unit}`.trimEnd();
  const [scale, prefix] = PREFIXES.find(([s]) => Math.abs(value) >= s * (1 - 1e-9)) ?? PREFIXES[PREFIXES.length - 1]!;
  return `${Number((value / scale).toPrecision(4))} ${prefix}${unit}`.trimEnd();
}
