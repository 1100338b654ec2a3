/** What a run's report is made from: what the run told its reporter, and where and how it ran. */
import type { HostFacts } from './host-facts.js';
import type { RunSample, RunStart, RunSummary } from './run-reporter.js';
import type { SettingRow } from './setting-rows.js';

export interface RunRecord {
  start: RunStart;
  /** Wall clock: when the run started sending, and when the report was written. */
  startedAt: Date;
  endedAt: Date;
  /** One an interval (--interval), in order. */
  samples: RunSample[];
  /** Undefined when the run failed before it could sum up. */
  summary: RunSummary | undefined;
  /** Why the run failed, when it did. */
  failure: string | undefined;
  /** The command line as typed, without `node` and the script. */
  command: string[];
  settings: SettingRow[];
  host: HostFacts;
}

/** The received part of a summary when it holds stamped streams. */
export type StampedSummary = Extract<NonNullable<RunSummary['received']>, { streams: unknown }>;

export function stampedOf(summary: RunSummary | undefined): StampedSummary | undefined {
  const received = summary?.received;
  return received && 'streams' in received ? received : undefined;
}
