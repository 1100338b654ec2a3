/**
 * `xdperf recv`: counts what arrives on an interface with an XDP program, live and in total.
 * `--pin` leaves a counter attached after exit (the lab keeps one on its receiving end);
 * a later `recv` or `run --rx-dev` reads that one instead of attaching another. `--count-only`
 * makes the counter count frames only, reading no stamps: the cheapest one.
 */
import { counterPinDir, RxCounter } from '../engine/rx-counter.js';
import { MAX_TIMER_MS } from '../config/option-values.js';
import { resolveOptions, type CommandFlags } from '../config/options.js';
import { UsageError } from '../errors.js';
import { formatBps, formatCount, formatNs, formatPercent, formatPps, formatSeconds } from '../report/format.js';
import { recvMetrics } from '../report/command-metrics.js';
import { MetricsServer } from '../report/metrics-server.js';
import { arrivedStreams, expectedPackets, type StampedReceived } from '../report/stamped-streams.js';
import { stampedLines } from '../report/stamped-text.js';
import { onOutputClosed } from './output-guard.js';

export type RecvFlags = CommandFlags<'recv'>;

/** setTimeout for any length: one timer waits at most MAX_TIMER_MS, so longer waits are chained. */
function after(ms: number, fn: () => void): { clear(): void } {
  const end = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const left = end - performance.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, left);
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

export async function runRecvCommand(flags: RecvFlags): Promise<void> {
  const dev = flags.dev;
  if (dev === undefined) throw new UsageError('--dev is required: the interface to count on');
  // A bad value is an error before anything is attached, --pin and --unpin included.
  const { action, duration: durationMs, interval: intervalMs, countOnly, stamp: stamps, metricsAddr } = resolveOptions('recv', flags);
  if (flags.pin && flags.unpin) throw new UsageError('--pin and --unpin are opposites: give one');
  if (metricsAddr && (flags.pin || flags.unpin)) throw new UsageError(`--metrics-addr: --${flags.pin ? 'pin' : 'unpin'} exits at once, so there would be nothing to serve`);
  if (countOnly && stamps) throw new UsageError('--count-only and --stamp are opposites: a count-only counter reads no stamps; give one');
  const where = `${dev}${flags.netns ? ` in netns ${flags.netns}` : ''}`;
  const emit = (event: string, body: object): void => {
    process.stdout.write(JSON.stringify({ event, time: new Date().toISOString(), ...body }) + '\n');
  };
  // What the counter is, as the start lines say it: `XDP native, drop, count-only`.
  const kind = (mode: string | null, isCountOnly: boolean): string => `XDP ${mode ?? 'pinned'}, ${action}${isCountOnly ? ', count-only' : ''}`;
  if (flags.pin) {
    const mode = RxCounter.pin(dev, flags.netns, action, countOnly);
    const dir = counterPinDir(dev, flags.netns);
    if (flags.json) emit('pinned', { device: dev, netns: flags.netns ?? null, action, mode, count_only: countOnly, pin_dir: dir });
    else process.stdout.write(`counter pinned on ${where} (${kind(mode, countOnly)}) at ${dir}; remove it with --unpin\n`);
    return;
  }
  if (flags.unpin) {
    const removed = RxCounter.unpin(dev, flags.netns);
    if (flags.json) emit('unpinned', { device: dev, netns: flags.netns ?? null, removed });
    else process.stdout.write(removed ? `counter on ${where} removed\n` : `no pinned counter on ${where}\n`);
    return;
  }

  // Bound before the counter is attached, so a bad address leaves nothing behind.
  const metrics = metricsAddr && (await MetricsServer.listen(metricsAddr));
  const counter = RxCounter.open(dev, flags.netns, { action, stamps, countOnly });
  const stamped = (): StampedReceived | undefined => (stamps ? arrivedStreams(counter.stamps()) : undefined);
  const metricsRecv = { device: dev, netns: flags.netns, mode: counter.mode ?? 'pinned' };
  metrics?.observe(() => recvMetrics(metricsRecv, true, counter.counts(), stamped()));
  if (flags.json) emit('start', { device: dev, netns: flags.netns ?? null, action, mode: counter.mode, count_only: counter.countOnly });
  else process.stdout.write(`counting on ${where} (${kind(counter.mode, counter.countOnly)}); Ctrl-C to stop\n`);

  const started = process.hrtime.bigint();
  const elapsedMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  let previous = { ...counter.counts(), at: elapsedMs() };
  try {
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        clearInterval(timer);
        deadline?.clear();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        stopListeningForClosedOutput();
        resolve();
      };
      // Nobody reads the counts any more (`xdperf recv | head`): stop, as on Ctrl-C.
      const stopListeningForClosedOutput = onOutputClosed(stop);
      const timer = setInterval(() => {
        const now = { ...counter.counts(), at: elapsedMs() };
        const seconds = (now.at - previous.at) / 1000;
        const pps = (now.packets - previous.packets) / seconds;
        const bps = ((now.bytes - previous.bytes) * 8) / seconds;
        const streams = stamped();
        const live = streams && { packets: streams.packets, lost: streams.lost, duplicated: streams.duplicated, reordered: streams.reordered, p99Ns: streams.latency?.p99Ns ?? null };
        if (flags.json) emit('stats', { elapsed_ms: now.at, packets: now.packets, bytes: now.bytes, pps, bps, ...(live ? { stamped: live } : {}) });
        else {
          const stampedText = streams
            ? `  stamped ${formatCount(streams.packets)}, loss ${formatPercent(streams.lost, expectedPackets(streams))}` +
              (streams.latency ? `, p99 ${formatNs(streams.latency.p99Ns)}` : '')
            : '';
          process.stdout.write(`${formatSeconds(now.at).padStart(9)} ${formatPps(pps).padStart(12)} ${formatBps(bps).padStart(15)}  total ${formatCount(now.packets)}${stampedText}\n`);
        }
        previous = now;
      }, intervalMs);
      const deadline = durationMs === undefined ? undefined : after(durationMs, stop);
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } finally {
    const { packets, bytes } = counter.counts();
    const streams = stamped();
    metrics?.settle(recvMetrics(metricsRecv, false, { packets, bytes }, streams));
    counter.close();
    const seconds = elapsedMs() / 1000;
    if (flags.json) emit('summary', { device: dev, packets, bytes, elapsed_ms: seconds * 1000, pps: packets / seconds, ...(streams ? { stamped: streams } : {}) });
    else {
      process.stdout.write(`received ${formatCount(packets)} packets (${formatCount(bytes)} bytes) on ${where} in ${formatSeconds(seconds * 1000)}: ${formatPps(packets / seconds)}\n`);
      if (streams) process.stdout.write(stampedLines(streams, where).join('\n') + '\n');
    }
  }
  await metrics?.finish();
}
