/**
 * One reading of a running run's counters, as the live line and a metrics scrape both take it.
 * The receiver is read first: whatever it counted was sent before the sender's counters are
 * read, so received is never ahead of sent. Mid-run a packet in flight is not lost yet, so a
 * stream's loss is read off its sequence numbers.
 */
import type { Counts, TxStats } from '../engine/native-core.js';
import type { RxCounter } from '../engine/rx-counter.js';
import type { TxEngineSession } from '../engine/tx-engine.js';
import { arrivedStreams, type StampedReceived } from './stamped-streams.js';

export interface RunReading {
  tx: TxStats;
  counted: Counts | undefined;
  stamped: StampedReceived | undefined;
}

/** `streams`: the run's templates when it stamps, else undefined. */
export function readRun(session: TxEngineSession, rx: RxCounter | undefined, streams: number | undefined): RunReading {
  const counted = rx?.counts();
  const stamped = rx && streams !== undefined ? arrivedStreams(rx.stamps(streams)) : undefined;
  return { tx: session.stats(), counted, stamped };
}
