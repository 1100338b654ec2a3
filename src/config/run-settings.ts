/**
 * What `xdperf run` sends and how: the options only `run` takes (options.ts), resolved, with the
 * rate, the queues and the stop condition read into the form the engines take.
 */
import { UsageError } from '../errors.js';
import { GIVEN, resolveOptions, valuesOwn, type CommandFlags, type OptionsOf, type OptionValues, type RunProfile } from './options.js';

export type { XdpMode } from './options.js';

/** The options of run that templates does not take. */
type RunOnly = Exclude<OptionsOf<'run'>, OptionsOf<'templates'>>;

export type RunFlags = CommandFlags<'run'>;

/** The run-only options' values; those below are read into their final form. */
export interface RunSettings extends Omit<Pick<OptionValues<'run'>, RunOnly>, 'bps' | 'gbps' | 'duration' | 'queues' | 'interval'> {
  /** L2 bits per second: frame bytes without FCS, preamble or gap (--bps, or --gbps × 10⁹). */
  bps: number | undefined;
  durationMs: number | undefined;
  /** Queue ids; undefined = the first `queueCount` queues. */
  queueIds: number[] | undefined;
  queueCount: number;
  /** Whether the user set the AF_XDP mode (flag or profile), so auto must not override it. */
  xdpModeGiven: boolean;
  intervalMs: number;
}

export function runSettings(values: OptionValues<'run'>): RunSettings {
  const given = values[GIVEN];
  if ((['pps', 'bps', 'gbps'] as const).filter((rate) => given.has(rate)).length > 1) {
    throw new UsageError('--pps, --bps and --gbps are alternatives: give one rate');
  }
  const { bps, gbps, duration, queues, interval, ...rest } = valuesOwn(values, 'run', 'templates');
  if (rest.cpus && rest.cpus.length !== queues.count) {
    const [cpus, count] = [rest.cpus.length, queues.count];
    throw new UsageError(`--cpus names ${cpus} CPU${cpus === 1 ? '' : 's'} for ${count} queue${count === 1 ? '' : 's'}: give one CPU per queue`);
  }
  return {
    ...rest,
    bps: bps ?? (gbps === undefined ? undefined : gbps * 1e9),
    durationMs: duration,
    queueIds: queues.ids,
    queueCount: queues.count,
    xdpModeGiven: given.has('xdpMode'),
    intervalMs: interval,
  };
}

/** Flags and a profile to run settings in one step. */
export function resolveRunSettings(flags: RunFlags, profile: RunProfile): RunSettings {
  return runSettings(resolveOptions('run', flags, profile));
}
