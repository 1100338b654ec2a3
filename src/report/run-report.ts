/**
 * `run --report FILE.html`: records what the run tells its reporter (the start, a sample an
 * interval, the summary) and writes the HTML report when the run ends, however it ends: by its
 * count or duration, by a signal, or by an error once it had started (then with what was
 * recorded, and why it failed). A run that fails before it starts writes none.
 */
import type { OptionValues } from '../config/options.js';
import { describeError } from '../errors.js';
import { hostFacts } from './host-facts.js';
import { htmlReport } from './html-report.js';
import { checkReportPath, writeAtomically } from './report-file.js';
import type { RunSample, RunStart, RunSummary } from './run-reporter.js';
import { settingRows, type SettingRow } from './setting-rows.js';

export class RunReport {
  private started: { start: RunStart; at: Date } | undefined;
  private readonly samples: RunSample[] = [];

  private constructor(
    private readonly path: string,
    private readonly settings: SettingRow[],
  ) {}

  /** Checks now, before anything is sent, that the report can be written at `path`. */
  static open(path: string, options: OptionValues<'run'>): RunReport {
    checkReportPath(path);
    return new RunReport(path, settingRows(options));
  }

  start(start: RunStart): void {
    this.started = { start, at: new Date() };
  }

  sample(sample: RunSample): void {
    this.samples.push(sample);
  }

  /** Writes the report of a run that summed up; with `failure` when it failed all the same. */
  finish(summary: RunSummary, failure?: unknown): void {
    this.write(summary, failure);
  }

  /**
   * Writes what was recorded of a run that failed after it started. The run's error is what the
   * user must see, so a report that cannot be written is only a warning here.
   */
  fail(error: unknown): void {
    try {
      this.write(undefined, error);
    } catch (writeError) {
      process.stderr.write(`xdperf: warning: ${describeError(writeError)}\n`);
    }
  }

  private write(summary: RunSummary | undefined, failure: unknown): void {
    if (!this.started) return;
    const record = {
      start: this.started.start,
      startedAt: this.started.at,
      endedAt: new Date(),
      samples: this.samples,
      summary,
      failure: failure === undefined ? undefined : describeError(failure),
      command: process.argv.slice(2),
      settings: this.settings,
      host: hostFacts(),
    };
    writeAtomically(this.path, htmlReport(record));
  }
}
