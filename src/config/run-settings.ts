/**
 * What `xdperf run` sends and how: rate, stop condition, queues, CPUs, batch and AF_XDP mode,
 * resolved from flags over the run profile, each error naming the flag or the profile key.
 */
import { UsageError } from '../errors.js';
import { parseCount, parseDurationMs } from '../units.js';
import { pick } from './plugin-settings.js';
import type { RunProfile } from './run-profile.js';
import { ENGINE_REQUESTS, type EngineRequest } from '../engine/engine-choice.js';

export interface RunFlags {
  config?: string;
  pps?: string;
  bps?: string;
  gbps?: string;
  count?: string;
  duration?: string;
  queues?: string;
  cpus?: string;
  batch?: string;
  xdpMode?: string;
  xdpBatch?: string;
  engine?: string;
  interval?: string;
}

export type XdpMode = 'auto' | 'zerocopy' | 'copy';

export interface RunSettings {
  pps: number | undefined;
  /** L2 bits per second: frame bytes without FCS, preamble or gap. */
  bps: number | undefined;
  count: number | undefined;
  durationMs: number | undefined;
  /** Queue ids; undefined = the first `queueCount` queues. */
  queueIds: number[] | undefined;
  queueCount: number;
  cpus: number[] | undefined;
  batch: number;
  xdpMode: XdpMode;
  /** Whether the user set the AF_XDP mode (flag or profile), so auto must not override it. */
  xdpModeGiven: boolean;
  /** Live frames per BPF_PROG_RUN batch (xdp engine); undefined = the engine's default. */
  xdpBatch: number | undefined;
  engine: EngineRequest;
  intervalMs: number;
}

const XDP_MODES: readonly XdpMode[] = ['auto', 'zerocopy', 'copy'];

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

export function positive(parse: (value: string | number) => number, what: string) {
  return (value: string | number): number => {
    const n = parse(value);
    if (!(n > 0)) throw new RangeError(`${what} must be more than 0`);
    return n;
  };
}

/** `--gbps 2.5`: a plain decimal number (the bits per second it makes must stay exact). */
function parseGigabits(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new RangeError(`'${value}' is not a number of Gbit/s (use e.g. 2.5)`);
  if (n * 1e9 > Number.MAX_SAFE_INTEGER) throw new RangeError(`'${value}' is too large`);
  return n;
}

/** The longest a Node.js timer waits: past it, setTimeout fires at once (with a warning on stderr). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** How often to report: more than 0, and no longer than a timer can wait. */
export function parseInterval(value: string | number): number {
  const n = positive(parseDurationMs, 'the interval')(value);
  if (n > MAX_TIMER_MS) throw new RangeError(`'${value}' is longer than the longest interval, ${MAX_TIMER_MS} ms (about 24 days)`);
  return n;
}

export function resolveRunSettings(flags: RunFlags, profile: RunProfile): RunSettings {
  const file = flags.config;
  const rates = [flags.pps ?? profile.pps, flags.bps ?? profile.bps, flags.gbps ?? profile.gbps].filter((r) => r !== undefined);
  if (rates.length > 1) throw new UsageError('--pps, --bps and --gbps are alternatives: give one rate');
  const parseRate = positive(parseCount, 'a rate');
  const pps = pick(flags.pps, '--pps', profile.pps, 'pps', file, parseRate, undefined);
  const bits = pick(flags.bps, '--bps', profile.bps, 'bps', file, parseRate, undefined);
  const gigabits = pick(flags.gbps, '--gbps', profile.gbps, 'gbps', file, positive(parseGigabits, 'a rate'), undefined);
  const queues = pick(flags.queues, '--queues', profile.queues, 'queues', file, parseQueues, { count: 1 });
  const cpus = pick(flags.cpus, '--cpus', profile.cpus, 'cpus', file, parseIdList, undefined);
  if (cpus && cpus.length !== queues.count) {
    throw new UsageError(`--cpus names ${cpus.length} CPU${cpus.length === 1 ? '' : 's'} for ${queues.count} queue${queues.count === 1 ? '' : 's'}: give one CPU per queue`);
  }
  const batch = pick(flags.batch, '--batch', profile.batch, 'batch', file, positive(parseCount, 'the batch'), 64);
  const xdpMode = pick(flags.xdpMode, '--xdp-mode', profile.xdp_mode, 'xdp_mode', file, (value) => {
    if (!XDP_MODES.includes(value as XdpMode)) throw new RangeError(`'${value}' is not one of ${XDP_MODES.join(', ')}`);
    return value as XdpMode;
  }, 'auto');
  return {
    pps,
    bps: bits ?? (gigabits === undefined ? undefined : gigabits * 1e9),
    count: pick(flags.count, '--count', profile.count, 'count', file, positive(parseCount, 'the count'), undefined),
    durationMs: pick(flags.duration, '--duration', profile.duration, 'duration', file, positive(parseDurationMs, 'the duration'), undefined),
    queueIds: queues.ids,
    queueCount: queues.count,
    cpus,
    batch,
    xdpMode,
    xdpModeGiven: (flags.xdpMode ?? profile.xdp_mode) !== undefined,
    xdpBatch: pick(flags.xdpBatch, '--xdp-batch', profile.xdp_batch, 'xdp_batch', file, positive(parseCount, 'the batch'), undefined),
    engine: pick(flags.engine, '--engine', profile.engine, 'engine', file, (value) => {
      if (!ENGINE_REQUESTS.includes(value as EngineRequest)) throw new RangeError(`'${value}' is not one of ${ENGINE_REQUESTS.join(', ')}`);
      return value as EngineRequest;
    }, 'auto'),
    intervalMs: pick(flags.interval, '--interval', profile.interval, 'interval', file, parseInterval, 1000),
  };
}
