/**
 * What the stamp receiver's per-stream state means for a report: each stream's loss next to what
 * was sent (a run knows its streams and their counts) or, for `xdperf recv --stamp` alone, next to
 * the highest sequence number that arrived (a loss after the last packet received cannot be seen
 * there), and the totals over the streams.
 */
import type { Stamps, StreamLatency, StreamStamps } from '../engine/native-core.js';

/** Latency as the receiver's histograms give it (`count` samples: first copies, clocks shared). */
export type LatencySummary = StreamLatency;

/** What arrived of one stream or of all together. */
export interface ReceivedCounts {
  packets: number;
  bytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Arrived so late (more than 4,096 behind the highest) that whether it was a duplicate is unknown. */
  beyondWindow: number;
  /** Stamps from a clock ahead of the receiver's: the clocks are not shared, so no latency. */
  clockAhead: number;
  /** Of all streams: over every packet (the histograms merged; jitter weighted by packets). */
  latency: LatencySummary | null;
}

export interface StreamReceived extends ReceivedCounts {
  stream: number;
  /** The template's tags (a run); empty for `recv`. */
  tags: string[];
  /** Packets the run sent on the stream; null for `recv`, which can only infer them. */
  sent: number | null;
}

export interface StampedReceived extends ReceivedCounts {
  /** The clock the senders stamped with; null when nothing stamped arrived. */
  clock: 'monotonic' | 'tai' | 'mixed' | null;
  streams: StreamReceived[];
}

/** The packets that should have arrived: the distinct ones that did, and those lost; what loss is a share of. */
export function expectedPackets(r: Pick<ReceivedCounts, 'packets' | 'duplicated' | 'lost'>): number {
  return r.packets - r.duplicated + r.lost;
}

/** A stream's packets that were not duplicates. */
const unique = (s: StreamStamps): number => s.packets - s.duplicated;

function streamReceived(native: StreamStamps | undefined, stream: number, tags: string[], sent: number | null): StreamReceived {
  const packets = native?.packets ?? 0;
  const expected = sent ?? (native && native.highestSeq !== null ? native.highestSeq + 1 : 0);
  return {
    stream,
    tags,
    sent,
    packets,
    bytes: native?.bytes ?? 0,
    lost: Math.max(0, expected - (native ? unique(native) : 0)),
    duplicated: native?.duplicated ?? 0,
    reordered: native?.reordered ?? 0,
    beyondWindow: native?.beyondWindow ?? 0,
    clockAhead: native?.clockAhead ?? 0,
    latency: native?.latency ?? null,
  };
}

function totals(counts: Stamps, streams: StreamReceived[]): StampedReceived {
  const sum = (key: 'packets' | 'bytes' | 'lost' | 'duplicated' | 'reordered' | 'beyondWindow' | 'clockAhead'): number => streams.reduce((total, s) => total + s[key], 0);
  // counts holds only the streams asked for (a run's: stamps(n)), so its clocks are theirs.
  const clocks = new Set(counts.streams.map((s) => s.clock));
  return {
    packets: sum('packets'),
    bytes: sum('bytes'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    reordered: sum('reordered'),
    beyondWindow: sum('beyondWindow'),
    clockAhead: sum('clockAhead'),
    clock: clocks.size === 0 ? null : clocks.size === 1 ? [...clocks][0]! : 'mixed',
    latency: counts.total,
    streams,
  };
}

/** A run's streams, one per template (stream i is template i), whether or not anything arrived. */
export function runStreams(counts: Stamps, templates: { tags: string[]; sent: number }[]): StampedReceived {
  const byStream = new Map(counts.streams.map((s) => [s.stream, s]));
  return totals(
    counts,
    templates.map((t, stream) => streamReceived(byStream.get(stream), stream, t.tags, t.sent)),
  );
}

/** Every stream that arrived, its loss inferred from its highest sequence number. */
export function arrivedStreams(counts: Stamps): StampedReceived {
  return totals(
    counts,
    counts.streams.map((s) => streamReceived(s, s.stream, [], null)),
  );
}
