/**
 * What `run` and `recv` show a Prometheus scrape (--metrics-addr): their counters read at the
 * scrape while they run, and their final counts once done.
 */
import type { Counts, TxStats } from '../engine/native-core.js';
import type { RxCounter } from '../engine/rx-counter.js';
import type { TxEngineSession } from '../engine/tx-engine.js';
import { packageVersion } from '../paths.js';
import type { MetricsSource } from './metrics-server.js';
import type { MetricsSnapshot } from './prometheus-metrics.js';
import { readRun } from './run-reading.js';
import type { StampedReceived } from './stamped-streams.js';

/** What a run is, for its metrics. */
export interface RunFacts {
  plugin: string;
  device: string;
  engine: string;
  mode: string;
  rxDevice: string | undefined;
  /** The stamps' clock; undefined without --stamp. */
  stampClock: string | undefined;
  targetPps: number | undefined;
  targetBps: number | undefined;
  templates: readonly { tags: string[] }[];
}

/** A run's metrics with these counts; the final ones are the streams' loss against what was sent, after the receiver's linger. */
export function runMetrics(run: RunFacts, tx: TxStats, rx: Counts | undefined, stamped: StampedReceived | undefined): MetricsSnapshot {
  return {
    info: { command: 'run', version: packageVersion(), plugin: run.plugin, device: run.device, engine: run.engine, mode: run.mode, rx_device: run.rxDevice ?? '', stamp_clock: run.stampClock ?? '' },
    running: tx.running,
    targetPps: run.targetPps,
    targetBps: run.targetBps,
    tx,
    templateTags: run.templates.map((t) => t.tags),
    rx,
    stamped,
  };
}

/** A running run's counters, read at each scrape; a stream's loss so far is read off its sequence numbers. */
export function liveRunMetrics(run: RunFacts, session: TxEngineSession, rx: RxCounter | undefined): MetricsSource {
  return () => {
    const { tx, counted, stamped } = readRun(session, rx, run.stampClock !== undefined ? run.templates.length : undefined);
    return runMetrics(run, tx, counted, stamped);
  };
}

/** What `recv` counts on, for its metrics. */
export interface RecvFacts {
  device: string;
  netns: string | undefined;
  /** How the counter's program runs: native, generic, or pinned (a pinned counter whose link is gone). */
  mode: string;
}

/** `recv`'s counts: read at each scrape while `running`, else as they are. */
export function recvMetrics(recv: RecvFacts, running: boolean, rx: Counts, stamped: StampedReceived | undefined): MetricsSnapshot {
  return { info: { command: 'recv', version: packageVersion(), device: recv.device, netns: recv.netns ?? '', mode: recv.mode }, running, rx, stamped };
}
