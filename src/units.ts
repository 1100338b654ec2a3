/**
 * Numbers with suffixes, as users type them: counts and rates (`100k`, `1.5m`), durations
 * (`500ms`, `10s`, `2m`) and byte sizes (`256m`, `1MiB`). Each parser throws a RangeError whose
 * message says what was wrong and shows a valid example; callers prefix the option name.
 */

const DECIMAL_SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };
const DURATION_SUFFIX_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1e3,
  m: 60e3,
  h: 3600e3,
};
// Sizes are binary: a memory cap of `256m` is 256 MiB, the unit WebAssembly pages come in.
const BINARY_SUFFIX: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

const NUMBER_WITH_SUFFIX = /^(\d+(?:\.\d+)?)\s*([a-zµ]*)$/i;

function split(value: string | number): { amount: number; suffix: string } | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? { amount: value, suffix: '' } : undefined;
  }
  const match = NUMBER_WITH_SUFFIX.exec(value.trim());
  if (!match) return undefined;
  return { amount: Number(match[1]), suffix: match[2] ?? '' };
}

/** Past 2^53 numbers are no longer exact (and a long enough run of digits is Infinity). */
function checkMagnitude(value: string | number, result: number): number {
  if (!(result <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`'${value}' is too large`);
  return result;
}

/** A whole count or rate: `64`, `100k`, `1.5m`, `2g`. */
export function parseCount(value: string | number): number {
  const parts = split(value);
  const multiplier = parts && DECIMAL_SUFFIX[parts.suffix.toLowerCase()];
  if (!parts || multiplier === undefined) {
    throw new RangeError(`'${value}' is not a count (use e.g. 1000, 100k, 1.5m)`);
  }
  const result = checkMagnitude(value, Math.round(parts.amount * multiplier * 1e6) / 1e6);
  if (!Number.isInteger(result)) {
    throw new RangeError(`'${value}' is not a whole number`);
  }
  return result;
}

/** A duration in milliseconds; a bare number is seconds: `10`, `10s`, `500ms`, `2m`. */
export function parseDurationMs(value: string | number): number {
  const parts = split(value);
  const suffix = parts?.suffix.toLowerCase() ?? '';
  const multiplier = parts && (suffix === '' ? 1e3 : DURATION_SUFFIX_MS[suffix]);
  if (!parts || multiplier === undefined) {
    throw new RangeError(`'${value}' is not a duration (use e.g. 500ms, 10s, 2m)`);
  }
  return checkMagnitude(value, parts.amount * multiplier);
}

/** A size in bytes, binary multiples: `4096`, `64k`, `256m`, `1MiB`. */
export function parseSizeBytes(value: string | number): number {
  const parts = split(value);
  const multiplier = parts && BINARY_SUFFIX[parts.suffix.toLowerCase()];
  if (!parts || multiplier === undefined) {
    throw new RangeError(`'${value}' is not a size (use e.g. 4096, 64k, 256m)`);
  }
  const result = checkMagnitude(value, parts.amount * multiplier);
  if (!Number.isInteger(result)) {
    throw new RangeError(`'${value}' is not a whole number of bytes`);
  }
  return result;
}

/** A size in bytes for a message: `256 MiB` from 1 MiB on, else `4096 bytes`. */
export function formatSize(bytes: number): string {
  return bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

export function formatDuration(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
