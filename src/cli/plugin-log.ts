/**
 * Plugin log lines and metrics as the user sees them: on stderr, `plugin <name> <level>: ...`,
 * debug lines (plugin stdout/stderr among them) only with --verbose; the host's notices on the
 * plugin (what it dropped over the log caps) as `plugin <name>: ...`. With --json they are
 * collected into the command's JSON output instead, a notice as a warn record.
 */
import type { LogLevel } from '../plugin/protocol.js';
import type { PluginListener } from '../plugin/plugin-session.js';

export const LOG_LEVEL_NAMES = ['debug', 'info', 'warn', 'error'] as const;

export interface LogRecord {
  level: (typeof LOG_LEVEL_NAMES)[number];
  message: string;
}

export interface MetricRecord {
  name: string;
  value: number;
  timestamp: string;
}

export class PluginLog implements PluginListener {
  readonly logs: LogRecord[] = [];
  readonly metrics: MetricRecord[] = [];
  private readonly heldErrors: LogRecord[] = [];

  constructor(
    private readonly plugin: string,
    private readonly echo: boolean,
    private readonly verbose: boolean,
  ) {}

  log(level: LogLevel, message: string): void {
    const record = { level: LOG_LEVEL_NAMES[level], message };
    this.logs.push(record);
    // Error lines wait: when the call fails, its one-line error already quotes the last of them.
    if (level === 3) this.heldErrors.push(record);
    else if (this.echo && (level > 0 || this.verbose)) this.print(record);
  }

  notice(message: string): void {
    this.logs.push({ level: 'warn', message });
    if (this.echo) process.stderr.write(`plugin ${this.plugin}: ${message}\n`);
  }

  /** Shows the error lines of calls that succeeded anyway. */
  releaseErrors(): void {
    if (this.echo) this.heldErrors.forEach((record) => this.print(record));
    this.heldErrors.length = 0;
  }

  private print(record: LogRecord): void {
    process.stderr.write(`plugin ${this.plugin} ${record.level}: ${record.message}\n`);
  }

  metric(name: string, value: number, timestampMs: number): void {
    const timestamp = Number.isFinite(timestampMs) && Math.abs(timestampMs) < 8.64e15 ? new Date(timestampMs).toISOString() : String(timestampMs);
    this.metrics.push({ name, value, timestamp });
  }
}
