/**
 * xdperf's Prometheus metrics: what one scrape shows of one reading of the counters (a
 * snapshot). Every value is the absolute count the native core or the receiver holds at that
 * reading, never a sum of sampled deltas, so counters are exact and go up for as long as the
 * command runs; a registry is made for each scrape, so a scrape shows exactly its snapshot.
 * The names, labels and meanings are documented in docs/metrics.md.
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { Counts, StreamLatency, TxStats } from '../engine/native-core.js';
import { LATENCY_BOUNDS_SECONDS, promBuckets } from './latency-buckets.js';
import type { StampedReceived, StreamReceived } from './stamped-streams.js';

/** One reading of what a command counts; a part it does not have is left out. */
export interface MetricsSnapshot {
  /** The labels of xdperf_run_info. */
  info?: Readonly<Record<string, string>>;
  running?: boolean;
  targetPps?: number;
  targetBps?: number;
  tx?: TxStats;
  /** Each template's tags, by template index: the `tag` label of its tx series and of its stream. */
  templateTags?: readonly (readonly string[])[];
  rx?: Counts;
  stamped?: StampedReceived;
}

type Labels = Record<string, string>;
type Series = [Labels, number][];

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** The exposition text of `snapshot`. */
export async function metricsText(snapshot: MetricsSnapshot): Promise<string> {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: string[], series: Series): void => {
    const metric = new Counter({ name, help, labelNames, registers: [registry] });
    for (const [labels, value] of series) metric.inc(labels, value);
  };
  const gauge = (name: string, help: string, labelNames: string[], series: Series): void => {
    const metric = new Gauge({ name, help, labelNames, registers: [registry] });
    for (const [labels, value] of series) metric.set(labels, value);
  };
  const { tx, rx, stamped } = snapshot;
  const tagOf = (template: number, fallback: readonly string[] = []): string => (snapshot.templateTags?.[template] ?? fallback).join(',');

  if (snapshot.info) gauge('xdperf_run_info', 'What this xdperf is doing; always 1.', Object.keys(snapshot.info), [[{ ...snapshot.info }, 1]]);
  if (snapshot.running !== undefined) gauge('xdperf_running', '1 while sending (run) or counting (recv), 0 once done.', [], [[{}, snapshot.running ? 1 : 0]]);
  if (snapshot.targetPps !== undefined) gauge('xdperf_target_pps', 'The rate asked for, packets per second over all queues.', [], [[{}, snapshot.targetPps]]);
  if (snapshot.targetBps !== undefined) gauge('xdperf_target_bps', 'The rate asked for, L2 bits per second over all queues (frames without FCS, preamble or gap).', [], [[{}, snapshot.targetBps]]);

  if (tx) {
    const sent = txSeries(tx, tagOf);
    const perTemplate = ['queue', 'template', 'tag'];
    counter(
      'xdperf_tx_packets_total',
      'Packets handed to the kernel to send, by queue, template (its index) and tag (its tags, comma-separated). No queue label: the raw engine, whose queue the kernel picks.',
      perTemplate,
      sent.packets,
    );
    counter('xdperf_tx_bytes_total', 'L2 bytes of those packets (frames padded to 60 bytes, no FCS), labelled as xdperf_tx_packets_total.', perTemplate, sent.bytes);
    counter(
      'xdperf_tx_errors_total',
      "Failed kernel calls of each queue's sending thread. The series without a queue label holds the errors that belong to no queue: the xdp engine's frames the driver dropped or failed to redirect (the kernel counts them for the whole run), and every error of the raw engine.",
      ['queue'],
      errorSeries(tx),
    );
  }
  if (rx) {
    counter('xdperf_rx_packets_total', 'Frames the XDP counter on the receiving interface counted, stamped or not.', [], [[{}, rx.packets]]);
    counter('xdperf_rx_bytes_total', 'Bytes of those frames.', [], [[{}, rx.bytes]]);
  }
  if (stamped) {
    const streams = stamped.streams;
    const labelled = (value: (s: StreamReceived) => number): Series => streams.map((s) => [{ stream: String(s.stream), tag: tagOf(s.stream, s.tags) }, value(s)]);
    const perStream = ['stream', 'tag'];
    counter('xdperf_rx_stamped_packets_total', 'Stamped packets of each stream (a template of the run) that arrived, duplicates included.', perStream, labelled((s) => s.packets));
    gauge(
      'xdperf_rx_lost',
      "Packets of each stream that did not arrive. While packets arrive: the sequence numbers missing below the highest one received, so a late packet that fills its gap takes it down again (a gauge, not a counter). Once a run ended and its --rx-linger passed: the stream's packets sent less those that arrived.",
      perStream,
      labelled((s) => s.lost),
    );
    counter('xdperf_rx_duplicated_total', 'Packets of each stream whose sequence number had arrived before.', perStream, labelled((s) => s.duplicated));
    counter('xdperf_rx_reordered_total', 'Packets of each stream that arrived after one with a higher sequence number (RFC 4737), not duplicates.', perStream, labelled((s) => s.reordered));
    const latencies = streams.filter((s) => s.latency !== null).map((s): [Labels, StreamLatency] => [{ stream: String(s.stream), tag: tagOf(s.stream, s.tags) }, s.latency!]);
    registry.registerMetric(latencyHistogram(latencies));
  }
  return registry.metrics();
}

/** Packets and bytes per queue and template; without queues (the raw engine), per template. */
function txSeries(tx: TxStats, tagOf: (template: number) => string): { packets: Series; bytes: Series } {
  const shares = tx.perQueue.length > 0 ? tx.perQueue.map((q) => ({ labels: { queue: String(q.queue) }, ...q })) : [{ labels: {}, ...tx }];
  const packets: Series = [];
  const bytes: Series = [];
  for (const share of shares) {
    share.perTemplate.forEach((count, template) => {
      const labels = { ...share.labels, template: String(template), tag: tagOf(template) };
      packets.push([labels, count]);
      bytes.push([labels, share.perTemplateBytes[template] ?? 0]);
    });
  }
  return { packets, bytes };
}

/** Each queue's errors, and those the totals hold beyond them, which belong to no queue. */
function errorSeries(tx: TxStats): Series {
  const queued = tx.perQueue.reduce((sum, q) => sum + q.errors, 0);
  return [...tx.perQueue.map((q): [Labels, number] => [{ queue: String(q.queue) }, q.errors]), [{}, tx.errors - queued]];
}

const LATENCY_NAME = 'xdperf_latency_seconds';
const LATENCY_HELP =
  "One-way latency of each stream's packets (first copies), from the receiver's log-linear histogram: a bucket counts the samples up to the receiver's bucket edge at or below le (at most 0.4 % below le; exact at 100 and 200 ns).";

/**
 * The streams' latency as a Prometheus histogram. prom-client's Histogram only observes one
 * value at a time, and these buckets were counted by the receiver; its registry takes any metric
 * whose get() gives the values (as its own metrics do), so the buckets are given as they are.
 */
function latencyHistogram(streams: [Labels, StreamLatency][]): Metric {
  const values = streams.flatMap(([labels, latency]) => {
    const buckets = promBuckets(latency);
    return [
      ...LATENCY_BOUNDS_SECONDS.map((le, i) => ({ metricName: `${LATENCY_NAME}_bucket`, labels: { ...labels, le }, value: buckets.cumulative[i]! })),
      { metricName: `${LATENCY_NAME}_bucket`, labels: { ...labels, le: '+Inf' }, value: buckets.count },
      { metricName: `${LATENCY_NAME}_sum`, labels, value: buckets.sumSeconds },
      { metricName: `${LATENCY_NAME}_count`, labels, value: buckets.count },
    ];
  });
  const metric = { name: LATENCY_NAME, help: LATENCY_HELP, type: 'histogram', aggregator: 'sum' } as const;
  return { ...metric, get: () => Promise.resolve({ ...metric, values }) } as unknown as Metric;
}
