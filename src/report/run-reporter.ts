/**
 * How a run is shown: a live line with a progress bar on a terminal, one plain line per interval
 * otherwise, or NDJSON events with --json (start, stats, log, metric, summary). Every form ends
 * with the same summary.
 */
import { formatBps, formatCount, formatFlows, formatNs, formatPercent, formatPps, formatSeconds, progressBar } from './format.js';
import type { StampedReceived } from './stamped-streams.js';
import { stampedLines } from './stamped-text.js';
import { BEHIND_NS, CATCH_UP_PERCENT } from '../engine/pacer.js';

export interface RunStart {
  plugin: string;
  device: string;
  driver: string;
  engine: string;
  /** Why this engine: auto's finding, or that the user chose it. */
  engineReason: string;
  mode: string;
  queues: number[];
  templates: number;
  /** Each template's flows, in template order. */
  flows: TemplateFlows[];
  targetPps: number | undefined;
  targetBps: number | undefined;
  count: number | undefined;
  durationMs: number | undefined;
  /** --start-at: the instant asked for, when the first packet could leave, and the skew (ns). */
  startAt?: string;
  firstPacketAt?: string;
  startSkewNs?: number;
}

export interface RunSample {
  elapsedMs: number;
  packets: number;
  bytes: number;
  /** Over the last interval. */
  pps: number;
  bps: number;
  errors: number;
  ringFull: number;
  kicks: number;
  /** So far: times a paced sending thread fell more than 1 ms behind its schedule. */
  timesBehind: number;
  /**
   * At the receiver; with stamps also the packets lost so far (by sequence number: those in
   * flight are not), of those expected so far, and the p99 latency.
   */
  received?: { packets: number; bytes: number; pps?: number; lost?: number; expected?: number; p99Ns?: number };
}

/**
 * How many distinct flows a template sends: its variants before the sequence repeats (1 without
 * fields); with a random field (`random`), the size of the space its values are drawn from.
 */
export interface TemplateFlows {
  index: number;
  flows: number;
  random: boolean;
}

export interface TemplateCount extends TemplateFlows {
  tags: string[];
  packets: number;
}

export interface RunSummary {
  packets: number;
  bytes: number;
  elapsedMs: number;
  pps: number;
  bps: number;
  targetPps: number | undefined;
  targetBps: number | undefined;
  errors: number;
  /** Paced runs: how often a sending thread fell more than 1 ms behind its schedule, and the most. */
  pacing?: { timesBehind: number; mostBehindMs: number; pinned: boolean };
  stoppedBy: 'count' | 'duration' | 'signal' | 'error';
  perTemplate: TemplateCount[];
  perTag: Record<string, number>;
  metrics: { name: string; value: number; timestamp: string }[];
  received?: ({ packets: number; bytes: number } | (StampedReceived & { unstamped: { packets: number; bytes: number } })) & { device: string };
}

export type ReportStyle = 'terminal' | 'plain' | 'json';

export class RunReporter {
  private liveLineOpen = false;
  private started: RunStart | undefined;

  constructor(
    private readonly style: ReportStyle,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  start(start: RunStart): void {
    this.started = start;
    if (this.style === 'json') return this.event('start', { ...start });
    const rate =
      start.targetPps !== undefined ? `at ${formatPps(start.targetPps)}` : start.targetBps !== undefined ? `at ${formatBps(start.targetBps)} (L2)` : 'as fast as possible';
    const limit = [start.count !== undefined ? `${formatCount(start.count)} packets` : '', start.durationMs !== undefined ? `for ${formatSeconds(start.durationMs)}` : '']
      .filter((s) => s !== '')
      .join(', ');
    this.line(`engine ${start.engine} (${start.mode}): ${start.engineReason}`);
    if (start.startAt !== undefined) this.line(`started at ${start.firstPacketAt}, ${formatNs(start.startSkewNs ?? 0)} after the ${start.startAt} asked for`);
    this.line(
      `sending ${start.templates} template${start.templates === 1 ? '' : 's'} from ${start.plugin} on ${start.device} (${start.driver || 'no driver'}, ` +
        `queue${start.queues.length === 1 ? '' : 's'} ${start.queues.join(',')}) ${rate}${limit ? `, ${limit}` : ', until Ctrl-C'}`,
    );
  }

  sample(sample: RunSample): void {
    if (this.style === 'json') return this.event('stats', { ...sample });
    const start = this.started;
    const target = start?.targetPps !== undefined ? sample.pps / start.targetPps : start?.targetBps !== undefined ? sample.bps / start.targetBps : undefined;
    const parts = [
      formatPps(sample.pps).padStart(12),
      formatBps(sample.bps).padStart(15),
      `total ${formatCount(sample.packets)}`,
      target !== undefined ? `${(target * 100).toFixed(1)}% of target` : '',
      sample.received ? `received ${sample.received.pps !== undefined ? `${formatPps(sample.received.pps)}, ` : ''}${formatCount(sample.received.packets)}` : '',
      sample.received?.lost !== undefined ? `loss ${formatPercent(sample.received.lost, sample.received.expected ?? 0)}` : '',
      sample.received?.p99Ns !== undefined ? `p99 ${formatNs(sample.received.p99Ns)}` : '',
      sample.errors > 0 ? `errors ${formatCount(sample.errors)}` : '',
    ];
    const progress = this.progress(sample);
    if (progress !== undefined && this.style === 'terminal') parts.push(progressBar(progress));
    const text = parts.filter((p) => p !== '').join('  ');
    if (this.style === 'terminal') {
      this.out.write(`\r\x1b[2K${text}`);
      this.liveLineOpen = true;
    } else {
      this.line(`${formatSeconds(sample.elapsedMs).padStart(9)} ${text}`);
    }
  }

  log(level: string, message: string): void {
    if (this.style === 'json') return this.event('log', { level, message });
    this.closeLiveLine();
    process.stderr.write(`plugin ${this.started?.plugin ?? ''} ${level}: ${message}\n`);
  }

  /** Plugin metrics go out as events with --json; text output lists them in the summary. */
  metric(metric: { name: string; value: number; timestamp: string }): void {
    if (this.style === 'json') this.event('metric', { ...metric });
  }

  summary(summary: RunSummary): void {
    if (this.style === 'json') return this.event('summary', { ...summary });
    this.closeLiveLine();
    const achieved =
      summary.targetPps !== undefined
        ? `, ${((summary.pps / summary.targetPps) * 100).toFixed(2)}% of the ${formatPps(summary.targetPps)} target`
        : summary.targetBps !== undefined
          ? `, ${((summary.bps / summary.targetBps) * 100).toFixed(2)}% of the ${formatBps(summary.targetBps)} target`
          : '';
    const lines = [
      `sent ${formatCount(summary.packets)} packets (${formatCount(summary.bytes)} bytes) in ${formatSeconds(summary.elapsedMs)}: ` +
        `${formatPps(summary.pps)}, ${formatBps(summary.bps)} L2${achieved}; stopped by ${summary.stoppedBy}` +
        (summary.errors > 0 ? `; ${formatCount(summary.errors)} errors` : ''),
    ];
    if (summary.pacing) {
      const { timesBehind, mostBehindMs, pinned } = summary.pacing;
      const behindMs = BEHIND_NS / 1e6;
      lines.push(
        timesBehind === 0
          ? `pacing: never more than ${behindMs} ms behind schedule`
          : `pacing: fell more than ${behindMs} ms behind schedule ${formatCount(timesBehind)} time${timesBehind === 1 ? '' : 's'} (at most ${mostBehindMs.toFixed(1)} ms), ` +
              `caught up at no more than ${CATCH_UP_PERCENT} % above the rate; the sending CPU was busy with something else or the rate is more than it can send` +
              (pinned ? '' : ' (--cpus gives the sender a CPU of its own)'),
      );
    }
    if (summary.received && 'streams' in summary.received) {
      lines.push(...stampedLines(summary.received, summary.received.device));
    } else if (summary.received) {
      const lost = summary.packets - summary.received.packets;
      lines.push(
        `received ${formatCount(summary.received.packets)} packets (${formatCount(summary.received.bytes)} bytes) on ${summary.received.device}` +
          (lost === 0 ? ': all of them' : lost > 0 ? `: ${formatCount(lost)} lost (${((lost / Math.max(summary.packets, 1)) * 100).toFixed(3)}%)` : `: ${formatCount(-lost)} more than sent`),
      );
    }
    // Flow counts only where some template varies; a template's own line only where there are more.
    const varied = summary.perTemplate.some((t) => t.flows > 1 || t.random);
    if (summary.perTemplate.length > 1 || varied) {
      for (const t of summary.perTemplate) {
        lines.push(
          `  template ${t.index}${t.tags.length ? ` (${t.tags.join(',')})` : ''}: ${formatCount(t.packets)} packet${t.packets === 1 ? '' : 's'}` +
            (varied ? `, ${formatFlows(t.flows, t.random)}` : ''),
        );
      }
    }
    const tags = Object.entries(summary.perTag);
    if (tags.length > 0) lines.push(`  by tag: ${tags.map(([tag, n]) => `${tag} ${formatCount(n)}`).join(', ')}`);
    for (const m of summary.metrics) lines.push(`  plugin metric ${m.name} = ${m.value} at ${m.timestamp}`);
    lines.forEach((l) => this.line(l));
  }

  private progress(sample: RunSample): number | undefined {
    const start = this.started;
    if (!start) return undefined;
    const byCount = start.count !== undefined ? sample.packets / start.count : undefined;
    const byTime = start.durationMs !== undefined ? sample.elapsedMs / start.durationMs : undefined;
    if (byCount === undefined) return byTime;
    return byTime === undefined ? byCount : Math.max(byCount, byTime);
  }

  private event(event: string, body: object): void {
    this.out.write(JSON.stringify({ event, time: new Date().toISOString(), ...body }) + '\n');
  }

  private closeLiveLine(): void {
    if (this.liveLineOpen) this.out.write('\n');
    this.liveLineOpen = false;
  }

  private line(text: string): void {
    this.closeLiveLine();
    this.out.write(text + '\n');
  }
}
