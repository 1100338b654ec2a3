/**
 * A run's resolved options as a report lists them: every option of `run` in --help order, its
 * value written as it could be typed back (durations and sizes with their units, a start time
 * in RFC 3339), and whether it was given (on the command line or in the profile) or is the
 * default.
 */
import { formatListenAddress, type ListenAddress } from '../config/listen-address.js';
import { flagName, GIVEN, optionsOf, type OptionName, type OptionValues } from '../config/options.js';
import { formatDuration, formatSize } from '../units.js';

export interface SettingRow {
  flag: string;
  value: string;
  given: boolean;
}

function valueText(name: OptionName, value: unknown, schema: { readonly [keyword: string]: unknown }): string {
  if (value === undefined) return 'not set';
  if (name === 'startAt') return new Date(value as number).toISOString();
  if (name === 'metricsAddr') return formatListenAddress(value as ListenAddress);
  if (name === 'queues') {
    const queues = value as { ids?: number[]; count: number };
    return queues.ids?.join(',') ?? String(queues.count);
  }
  if (schema.$ref === '#/definitions/duration') return formatDuration(value as number);
  if (schema.$ref === '#/definitions/size') return formatSize(value as number);
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

export function settingRows(values: OptionValues<'run'>): SettingRow[] {
  const given = values[GIVEN] as ReadonlySet<OptionName>;
  const all = values as unknown as Record<OptionName, unknown>;
  return optionsOf('run').map(([name, row]) => ({ flag: flagName(name), value: valueText(name, all[name], row.type.schema), given: given.has(name) }));
}
