/**
 * A run's report as one self-contained HTML page: summary, rates over time, stamped streams,
 * pacing, templates and tags, settings and environment. The charts are inline SVG and the page
 * has no script and fetches nothing (its Content-Security-Policy forbids it to), so it opens
 * offline, reads with JavaScript off and prints as it shows.
 */
import { el, verbatim, type Child, type Markup } from '../chart/markup.js';
import { formatBps, formatCount, formatNs, formatPercent, formatPps, formatSeconds } from './format.js';
import { facts, section, table } from './html-parts.js';
import { latencySection } from './latency-section.js';
import { pacingSection } from './pacing-section.js';
import { rateSection } from './rate-section.js';
import { stampedOf, type RunRecord } from './run-record.js';
import { expectedPackets } from './stamped-streams.js';
import type { RunSummary } from './run-reporter.js';
import { templateSection } from './template-section.js';

const STYLE = verbatim`
body { font: 14px/1.45 system-ui, sans-serif; color: #222; max-width: 1080px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
.sub { color: #555; margin: 0; }
.failed { border: 1px solid #b00020; background: #fdecee; color: #7a0016; padding: 8px 12px; margin: 16px 0; }
dl { display: grid; grid-template-columns: max-content auto; gap: 4px 18px; }
dt { color: #555; }
dd { margin: 0; }
.table { overflow-x: auto; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 8px; text-align: left; vertical-align: top; }
.num { text-align: right; white-space: nowrap; }
figure { margin: 18px 0; break-inside: avoid; }
figcaption { margin-bottom: 4px; color: #444; }
svg { max-width: 100%; height: auto; }
code { font-family: ui-monospace, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 40px; color: #777; font-size: 12px; }
`;

// The page may load nothing at all: no script, image, font or style sheet from anywhere.
const POLICY = "default-src 'none'; style-src 'unsafe-inline'";

const STOPPED_BY: Record<RunSummary['stoppedBy'], string> = {
  count: 'completed: the count (--count) was sent',
  duration: 'completed: the duration was over',
  signal: 'stopped by a signal (Ctrl-C or SIGTERM)',
  error: 'stopped by an error',
};

/** A command line as a shell takes it back: words with anything unusual in single quotes. */
export function shellWords(words: string[]): string {
  return words.map((w) => (/^[\w./=:,+@%-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function receivedFacts(summary: RunSummary): [string, Child][] {
  const received = summary.received;
  if (!received) return [];
  const stamped = stampedOf(summary);
  if (!stamped) {
    const lost = summary.packets - received.packets;
    return [['received', `${formatCount(received.packets)} packets on ${received.device}${lost === 0 ? ': all of them' : lost > 0 ? `: ${formatCount(lost)} lost (${formatPercent(lost, summary.packets)})` : `: ${formatCount(-lost)} more than sent`}`]];
  }
  const rows: [string, Child][] = [
    ['received', `${formatCount(stamped.packets)} stamped packets on ${received.device}`],
    ['lost', `${formatCount(stamped.lost)} (${formatPercent(stamped.lost, expectedPackets(stamped))})`],
    ['duplicated', formatCount(stamped.duplicated)],
    ['reordered', formatCount(stamped.reordered)],
  ];
  if (stamped.beyondWindow > 0) rows.push(['too late to check for duplicates', `${formatCount(stamped.beyondWindow)} (over 4,096 behind)`]);
  if (stamped.clockAhead > 0) rows.push(['stamped by a clock ahead of the receiver', `${formatCount(stamped.clockAhead)} (no latency for them)`]);
  if (stamped.unstamped.packets > 0) rows.push(["frames without this run's stamps", formatCount(stamped.unstamped.packets)]);
  const l = stamped.latency;
  if (l) rows.push(['latency', `p50 ${formatNs(l.p50Ns)}, p99 ${formatNs(l.p99Ns)}, p99.9 ${formatNs(l.p999Ns)}, max ${formatNs(l.maxNs)}`]);
  return rows;
}

function summarySection(record: RunRecord): Markup {
  const { summary, start } = record;
  const last = record.samples[record.samples.length - 1];
  const outcome = record.failure !== undefined ? `failed: ${record.failure}` : summary ? STOPPED_BY[summary.stoppedBy] : 'unknown';
  const times: [string, Child][] = [
    ['outcome', outcome],
    ['started', record.startedAt.toISOString()],
    ['report written', record.endedAt.toISOString()],
  ];
  if (!summary) {
    return section('summary', 'Summary', facts([...times, ['sent until the last sample', last ? `${formatCount(last.packets)} packets in ${formatSeconds(last.elapsedMs)}` : 'nothing recorded']]));
  }
  const target =
    start.targetPps !== undefined
      ? `; ${((summary.pps / start.targetPps) * 100).toFixed(2)} % of the ${formatPps(start.targetPps)} target`
      : start.targetBps !== undefined
        ? `; ${((summary.bps / start.targetBps) * 100).toFixed(2)} % of the ${formatBps(start.targetBps)} target`
        : '';
  return section(
    'summary',
    'Summary',
    facts([
      ...times,
      ['sending time', formatSeconds(summary.elapsedMs)],
      ['sent', `${formatCount(summary.packets)} packets, ${formatCount(summary.bytes)} bytes (L2)`],
      ['average rate', `${formatPps(summary.pps)}, ${formatBps(summary.bps)}${target}`],
      ['transmit errors', formatCount(summary.errors)],
      ...receivedFacts(summary),
      ...summary.metrics.map((m): [string, Child] => [`plugin metric ${m.name}`, `${m.value} at ${m.timestamp}`]),
    ]),
  );
}

function settingsSection(record: RunRecord): Markup {
  const { start } = record;
  const rate = start.targetPps !== undefined ? formatPps(start.targetPps) : start.targetBps !== undefined ? `${formatBps(start.targetBps)} (L2)` : 'none: as fast as possible';
  const stop = [start.count !== undefined ? `${formatCount(start.count)} packets` : '', start.durationMs !== undefined ? formatSeconds(start.durationMs) : ''].filter((s) => s !== '').join(', ');
  const flows = start.flows.reduce((sum, t) => sum + t.flows, 0);
  return section(
    'settings',
    'Settings',
    facts([
      ['command', el('code', {}, shellWords(['xdperf', ...record.command]))],
      ['engine', `${start.engine} (${start.mode}): ${start.engineReason}`],
      ['queues', start.queues.join(', ')],
      ['templates', `${formatCount(start.templates)} from ${start.plugin}${flows > start.templates ? `, ${formatCount(flows)} flows` : ''}`],
      ['rate target', rate],
      ['stop', stop || 'Ctrl-C'],
      ...(start.startAt !== undefined
        ? [['start at', `${start.startAt} asked; first packet at ${start.firstPacketAt}, ${formatNs(start.startSkewNs ?? 0)} later`] as [string, Child]]
        : []),
    ]),
    table(
      ['option', 'value', ''],
      record.settings.map((s) => [el('code', {}, s.flag), s.value, s.given ? 'given' : 'default']),
      () => false,
    ),
  );
}

function environmentSection(record: RunRecord): Markup {
  const { host, start } = record;
  return section(
    'environment',
    'Environment',
    facts([
      ['host', host.hostname],
      ['kernel', host.kernel],
      ['interface', `${start.device}, driver ${start.driver || 'none'}`],
      ['CPU', host.cpuModel],
      ['CPUs', host.usableCpus === host.cpus ? String(host.cpus) : `${host.cpus} (${host.usableCpus} usable by this process)`],
      ['xdperf', host.xdperf],
      ['Node.js', host.node],
    ]),
  );
}

export function htmlReport(record: RunRecord): string {
  const { start } = record;
  const title = `xdperf run: ${start.plugin} on ${start.device}, ${record.startedAt.toISOString()}`;
  const page = el(
    'html',
    { lang: 'en' },
    el(
      'head',
      {},
      el('meta', { charset: 'utf-8' }),
      el('meta', { 'http-equiv': 'Content-Security-Policy', content: POLICY }),
      el('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      el('title', {}, title),
      el('style', {}, STYLE),
    ),
    el(
      'body',
      {},
      el('h1', {}, `xdperf run: ${start.plugin} on ${start.device}`),
      el('p', { class: 'sub' }, `${record.startedAt.toISOString()} · ${record.host.hostname} · engine ${start.engine} (${start.mode})`),
      record.failure !== undefined && el('p', { class: 'failed' }, `The run failed: ${record.failure}. This report holds what was recorded until then.`),
      summarySection(record),
      rateSection(record),
      latencySection(record),
      pacingSection(record),
      templateSection(record),
      settingsSection(record),
      environmentSection(record),
      el('footer', {}, `Written by xdperf ${record.host.xdperf} at ${record.endedAt.toISOString()}.`),
    ),
  );
  return `<!DOCTYPE html>\n${page.source}\n`;
}
