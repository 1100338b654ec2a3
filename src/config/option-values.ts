/**
 * The types of option values: for each, how a value given as a flag or in a run profile is read
 * (with the parsers of units.ts), and the JSON Schema a profile's value must match. A parser
 * throws a RangeError saying what is wrong with the value; the resolver (options.ts) prefixes
 * the flag or the profile key it came from. Any other error (a file that cannot be read) is
 * the user's error as it is.
 */
import { formatSize, parseCount, parseDurationMs, parseSizeBytes } from '../units.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import { loadPluginConfigFile, type PluginConfig } from './plugin-config.js';

export type JsonSchema = { readonly [keyword: string]: unknown };

/** T: the value; F: what commander gives for the flag (a string, `true` for a switch, the strings of a repeatable option). */
export interface ValueType<T, F = string> {
  /** The schema of this value in a run profile. */
  readonly schema: JsonSchema;
  /** Whether the flag may be given more than once (commander collects the values). */
  readonly repeatable?: boolean;
  fromFlag(value: F): T;
  /** A profile's value, already valid against `schema`. */
  fromProfile(value: unknown): T;
  /** The value when both the flag and the profile give one; without this, the flag wins. */
  combine?(fromFlag: T, fromProfile: T): T;
}

/** Shared schema parts: the profile's `definitions`, which `$ref` names. */
export const SCHEMA_DEFINITIONS = {
  duration: {
    description: 'a duration such as 500ms, 10s or 2m',
    type: ['number', 'string'],
    minimum: 0,
    pattern: '^\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h)?$',
  },
  size: {
    description: 'a size such as 4096, 64k or 256m (binary multiples)',
    type: ['integer', 'string'],
    minimum: 0,
    pattern: '^\\d+(\\.\\d+)?([kKmMgG]([iI]?[bB])?|[bB])?$',
  },
  count: {
    description: 'a count such as 16, 100k or 1.5m',
    type: ['integer', 'string'],
    minimum: 0,
    pattern: '^\\d+(\\.\\d+)?[kKmMgG]?$',
  },
} as const;

const ref = (name: keyof typeof SCHEMA_DEFINITIONS): JsonSchema => ({ $ref: `#/definitions/${name}` });

/** A value read the same way from a flag's text and from a profile (a string or a number). */
function scalar<T>(schema: JsonSchema, parse: (value: string | number) => T): ValueType<T> {
  return { schema, fromFlag: parse, fromProfile: (value) => parse(value as string | number) };
}

// --- numbers ---------------------------------------------------------------------------------

/** A check on a parsed number; `show` writes a number in the value's unit. */
export type Check = (n: number, show: (n: number) => string) => void;

export const within =
  (min: number, max: number): Check =>
  (n, show) => {
    if (n < min || n > max) throw new RangeError(`${show(n)} is out of range ${show(min)}..${show(max)}`);
  };

/** More than 0; `what` names the value in the message (`the batch must be more than 0`). */
export const positive =
  (what: string): Check =>
  (n) => {
    if (!(n > 0)) throw new RangeError(`${what} must be more than 0`);
  };

function numeric(definition: keyof typeof SCHEMA_DEFINITIONS, parse: (value: string | number) => number, show: (n: number) => string, check?: Check) {
  return scalar(ref(definition), (value) => {
    const n = parse(value);
    check?.(n, show);
    return n;
  });
}


/** A whole count or rate with decimal suffixes: `64`, `100k`, `1.5m`. */
export const count = (check?: Check): ValueType<number> => numeric('count', parseCount, String, check);
/** A duration, in milliseconds: `500ms`, `10s`, `2m` (a bare number is seconds). */
export const duration = (check?: Check): ValueType<number> => numeric('duration', parseDurationMs, (n) => `${n} ms`, check);
/** A size in bytes, binary multiples: `4096`, `64k`, `256m`, `1MiB`. */
export const size = (check?: Check): ValueType<number> => numeric('size', parseSizeBytes, formatSize, check);

/** The longest a Node.js timer waits: past it, setTimeout fires at once (with a warning on stderr). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How often to report: more than 0, and no longer than a timer can wait. */
export function parseInterval(value: string | number): number {
  const n = parseDurationMs(value);
  positive('the interval')(n, String);
  if (n > MAX_TIMER_MS) throw new RangeError(`'${value}' is longer than the longest interval, ${MAX_TIMER_MS} ms (about 24 days)`);
  return n;
}

/** A reporting interval, in milliseconds. */
export const interval: ValueType<number> = scalar(ref('duration'), parseInterval);

/** `--gbps 2.5`: a plain decimal number (the bits per second it makes must stay exact). */
function parseGigabits(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new RangeError(`'${value}' is not a number of Gbit/s (use e.g. 2.5)`);
  if (n * 1e9 > Number.MAX_SAFE_INTEGER) throw new RangeError(`'${value}' is too large`);
  positive('a rate')(n, String);
  return n;
}

/** A rate in Gbit/s, more than 0. */
export const gigabits: ValueType<number> = scalar(
  { type: 'number', exclusiveMinimum: 0, description: 'a number of gigabits per second such as 2.5' },
  parseGigabits,
);

// --- queue and CPU ids -----------------------------------------------------------------------

/** The largest queue or CPU id (and queue count) taken: more than any NIC or machine has. */
export const MAX_ID = 65535;

/** `0-3,6` → [0, 1, 2, 3, 6] */
export function parseIdList(value: string | number): number[] {
  const ids: number[] = [];
  for (const part of String(value).split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new RangeError(`'${value}' is not a list of numbers (use e.g. 0,1 or 0-3)`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last > MAX_ID) throw new RangeError(`${match[2] ?? match[1]} is out of range 0..${MAX_ID}`);
    if (last < first) throw new RangeError(`'${part}' is an empty range`);
    for (let id = first; id <= last; id++) ids.push(id);
  }
  if (ids.length === 0) throw new RangeError(`'${value}' names no numbers`);
  if (new Set(ids).size !== ids.length) throw new RangeError(`'${value}' names a number twice`);
  return ids;
}

/** `--queues 4` is a count (queues 0-3); a list or range (`2,3`, `1-2`, `3,`) names queue ids. */
function parseQueues(value: string | number): { ids?: number[]; count: number } {
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    const count = Number(text);
    if (count < 1) throw new RangeError('at least one queue is needed');
    if (count > MAX_ID + 1) throw new RangeError(`${text} queues is out of range 1..${MAX_ID + 1}`);
    return { count };
  }
  const ids = parseIdList(text);
  return { ids, count: ids.length };
}

/** Queues: a count (`2`: queues 0 and 1), or queue ids (`ids`) such as `0,2` or `1-3`. */
export const queues: ValueType<{ ids?: number[]; count: number }> = scalar(
  { type: ['integer', 'string'], minimum: 1, pattern: '^\\d+([-,]\\d*)*$', description: 'a queue count such as 2, or queue ids such as 0,2 or 1-3' },
  parseQueues,
);

/** CPU ids such as `0,1` or `0-3`. */
export const cpuList: ValueType<number[]> = scalar(
  { type: ['integer', 'string'], minimum: 0, pattern: '^\\d+(-\\d+)?(,\\d+(-\\d+)?)*$', description: 'CPU ids such as 0,1 or 0-3' },
  parseIdList,
);

// --- words, switches, lists ------------------------------------------------------------------

/** One of a few words; the profile's schema lists them. */
export function oneOf<const W extends string>(words: readonly W[]): ValueType<W> {
  return scalar({ enum: [...words], description: `one of ${words.join(', ')}` }, (value) => {
    if (!words.includes(value as W)) throw new RangeError(`'${value}' is not one of ${words.join(', ')}`);
    return value as W;
  });
}

/** A string taken as it is (a name, a path); in a profile not empty. `description` says what it is. */
export function text(description: string): ValueType<string> {
  return scalar({ type: 'string', minLength: 1, description }, String);
}

/** A flag without a value; true or false in a profile. */
export const toggle: ValueType<boolean, boolean> = {
  schema: { type: 'boolean', description: 'true or false' },
  fromFlag: (value) => value,
  fromProfile: (value) => value as boolean,
};

/** A file an HTML page is written to: its name ends in .html (or .htm), as a browser expects. */
export const htmlFile: ValueType<string> = scalar({ type: 'string', pattern: '\\.[hH][tT][mM][lL]?$', description: 'an HTML file path, ending in .html' }, (value) => {
  const path = String(value);
  if (!/\.html?$/i.test(path)) throw new RangeError(`'${path}' does not end in .html: the report is an HTML page`);
  return path;
});

/** A repeatable flag, a list in a profile; the flag's values come first. */
export function strings(description: string): ValueType<string[], string[]> {
  return {
    schema: { type: 'array', items: { type: 'string', minLength: 1 }, description },
    repeatable: true,
    fromFlag: (value) => value,
    fromProfile: (value) => value as string[],
    combine: (fromFlag, fromProfile) => [...fromFlag, ...fromProfile],
  };
}

/**
 * The plugin's own config: a YAML or JSON file on the command line, the mapping itself in a
 * profile; the file's keys over the profile's.
 */
export const pluginConfig: ValueType<PluginConfig> = {
  schema: { type: 'object', description: 'a mapping of plugin config keys to values' },
  fromFlag: (file) => (file ? loadPluginConfigFile(file) : {}),
  fromProfile: (value) => value as PluginConfig,
  combine: (fromFlag, fromProfile) => ({ ...fromProfile, ...fromFlag }),
};

/** RFC 3339 with a zone: 2026-11-29T06:30:00Z, 2026-11-29T07:30:00.250+01:00. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * `--start-at`: an RFC 3339 time with its zone, or `+5s` (a duration from now); ms since the
 * epoch, fractions kept (Date keeps only whole ms, so a fraction of a second is read apart).
 */
export function parseStartAt(value: string | number, now: () => number = Date.now): number {
  const text = String(value).trim();
  if (text.startsWith('+')) return now() + parseDurationMs(text.slice(1));
  if (!RFC3339.test(text)) throw new RangeError(`'${text}' is not a time: give RFC 3339 with a zone (2026-11-29T06:30:00Z) or +DURATION (+5s)`);
  const fraction = /\.(\d+)/.exec(text)?.[1];
  const whole = Date.parse(text.replace(/\.\d+/, ''));
  if (Number.isNaN(whole)) throw new RangeError(`'${text}' is not a valid time`);
  return whole + (fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000);
}

export const startAt: ValueType<number> = scalar({ type: 'string', description: 'an RFC 3339 time or +DURATION' }, parseStartAt);

/** A TCP address to serve on: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (listen-address.ts). */
export const listenAddress: ValueType<ListenAddress> = scalar(
  { type: 'string', minLength: 1, description: 'HOST:PORT, [IPv6]:PORT or :PORT (every interface), e.g. 127.0.0.1:9100' },
  (value) => parseListenAddress(String(value)),
);
