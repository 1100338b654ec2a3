/**
 * `xdperf run`: asks the plugin for templates once, hands the native core one plan, then only
 * reads counters (about once a second) until the count, the duration or a signal ends the run.
 */
import { resolveOptions, type CommandFlags } from '../config/options.js';
import { pluginSettings } from '../config/plugin-settings.js';
import { readProfile } from '../config/run-profile.js';
import { runSettings, type RunSettings } from '../config/run-settings.js';
import { parseMac, readDevice, type DeviceContext } from '../device/local-device.js';
import { chooseEngine, liveFramesProblem, type EngineChoice, type EngineRequest } from '../engine/engine-choice.js';
import { NATIVE_ENGINE, NATIVE_XDP_MODE, nativeCore, type Counts, type DeviceInfo, type TxStats } from '../engine/native-core.js';
import { RawSession } from '../engine/raw-engine.js';
import { RxCounter } from '../engine/rx-counter.js';
import type { TxEngineSession } from '../engine/tx-engine.js';
import { describeError, UsageError, XdperfError } from '../errors.js';
import { locatePlugin, pluginSearchPath } from '../plugin/plugin-locator.js';
import { generateTemplates } from '../plugin/template-generator.js';
import { engineTemplate, templateFlows, type PacketTemplate } from '../plugin/packet-template.js';
import { liveRunMetrics, runMetrics, type RunFacts } from '../report/command-metrics.js';
import { MetricsServer } from '../report/metrics-server.js';
import { RunReport } from '../report/run-report.js';
import { readRun } from '../report/run-reading.js';
import { RunReporter, type RunSample, type RunStart, type RunSummary } from '../report/run-reporter.js';
import { expectedPackets, runStreams, type StampedReceived } from '../report/stamped-streams.js';
import { onOutputClosed, OutputClosedError, outputClosed } from './output-guard.js';
import { PluginLog } from './plugin-log.js';

export type RunCommandFlags = CommandFlags<'run'>;

function perTag(templates: PacketTemplate[], counts: number[]): Record<string, number> {
  const totals: Record<string, number> = {};
  templates.forEach((template, index) => {
    for (const tag of template.tags) totals[tag] = (totals[tag] ?? 0) + (counts[index] ?? 0);
  });
  return totals;
}

export async function runRunCommand(flags: RunCommandFlags): Promise<void> {
  const options = resolveOptions('run', flags, readProfile(flags.config));
  const settings = pluginSettings(options);
  const run = runSettings(options);
  if (settings.dev === undefined) throw new UsageError('--dev is required: the interface to send on');
  const { rxDev, rxNetns } = run;
  if (rxNetns !== undefined && rxDev === undefined) throw new UsageError('--rx-netns needs --rx-dev');
  const report = run.report === undefined ? undefined : RunReport.open(run.report, options);
  // Bound before anything is attached (auto's probe included), so a bad address leaves nothing behind.
  const metrics = run.metricsAddr && (await MetricsServer.listen(run.metricsAddr));

  const plugin = locatePlugin(settings.plugin, pluginSearchPath(settings.pluginDirs));
  const dev = settings.dev;
  let native: ReturnType<typeof nativeCore> | undefined;
  let nativeMissing = '';
  try {
    native = nativeCore();
  } catch (error) {
    nativeMissing = describeError(error);
  }
  // Read once for the run: the plugin gets it, and the native core validates against it.
  const info = native?.deviceInfo(dev);
  if (info && !info.adminUp) throw new XdperfError(`interface ${dev} is down`);
  const device: DeviceContext & { driver: string } = info
    ? { name: info.name, mac: parseMac(info.mac) ?? Buffer.alloc(6), mtu: info.mtu, queues: info.txQueues, driver: info.driver }
    : { ...readDevice(dev), driver: '' };
  // An AF_XDP bind mode only means something to the AF_XDP engine.
  const request = run.engine === 'auto' && run.xdpModeGiven && run.xdpMode !== 'auto' ? 'afxdp' : run.engine;
  const choice = pickEngine(request, dev, native, nativeMissing);
  if (request !== run.engine) choice.reason = `--xdp-mode ${run.xdpMode} asks for AF_XDP`;
  if (run.startAt !== undefined && choice.engine === 'raw') {
    throw new UsageError(`--start-at: the raw engine (${choice.reason}) paces in JavaScript and cannot start on time; use --engine afxdp, xdp or packet`);
  }
  if (run.stamp && choice.engine === 'raw') {
    throw new UsageError(`--stamp: the raw engine (${choice.reason}) cannot stamp frames; use --engine afxdp, xdp or packet`);
  }
  const queues = run.queueIds ?? Array.from({ length: run.queueCount }, (_, i) => i);
  const style = settings.json ? 'json' : process.stdout.isTTY ? 'terminal' : 'plain';
  const reporter = new RunReporter(style);
  const log = new PluginLog(plugin.name, style !== 'json', settings.verbose);

  const generated = await generateTemplates({
    name: plugin.name,
    path: plugin.path,
    limits: settings.limits,
    config: settings.pluginConfig,
    templates: settings.templates,
    device,
    deviceIsReal: true,
    listener: log,
  });
  log.releaseErrors();
  if (style === 'json') {
    for (const record of log.logs) reporter.log(record.level, record.message);
    for (const metric of log.metrics) reporter.metric(metric);
  }
  const templates = generated.templates;

  // A plugin's suggested rates count only when the user gave none.
  const suggested = templates.reduce((sum, t) => sum + t.ratePps, 0);
  const pps = run.pps ?? (run.bps === undefined && suggested > 0 ? suggested : undefined);

  const rx = rxDev === undefined ? undefined : RxCounter.open(rxDev, rxNetns, { stamps: run.stamp });
  let cpu: CpuHold | undefined;
  let session: TxEngineSession;
  try {
    if (choice.engine === 'raw') cpu = holdRawEngineCpu(run.cpus, native);
    session = startEngine(choice, run, device.name, info, queues, templates, pps, native);
  } catch (error) {
    cpu?.release();
    rx?.close();
    throw error;
  }

  let signalled = false;
  const onSignal = (): void => {
    signalled = true;
    session.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopListeningForClosedOutput = onOutputClosed(() => session.stop());
  if (outputClosed()) session.stop();
  // Whatever ends the process mid-run (an uncaught error included) stops the transmit threads
  // first: the process could not exit while they run.
  const stopOnExit = (): void => session.stop();
  process.once('exit', stopOnExit);
  // With --start-at, the start is reported once it happened, with how close it came.
  const start = run.startAt === undefined ? {} : await startedAt(session, run.startAt);
  const started: RunStart = {
    plugin: plugin.name,
    device: device.name,
    driver: device.driver,
    engine: session.engine,
    engineReason: choice.reason,
    mode: session.mode,
    queues,
    templates: templates.length,
    flows: templates.map(templateFlows),
    targetPps: pps,
    targetBps: run.bps,
    count: run.count,
    durationMs: run.durationMs,
    ...start,
  };
  reporter.start(started);
  report?.start(started);

  const metricsRun: RunFacts = { plugin: plugin.name, device: device.name, engine: session.engine, mode: session.mode, rxDevice: rxDev,
    stampClock: run.stamp ? run.stampClock : undefined, targetPps: pps, targetBps: run.bps, templates };
  metrics?.observe(liveRunMetrics(metricsRun, session, rx));

  let previous: TxStats = session.stats();
  let previousCounted = rx?.counts();
  const timer = setInterval(() => {
    const { tx: now, counted, stamped } = readRun(session, rx, run.stamp ? templates.length : undefined);
    const seconds = (now.elapsedNs - previous.elapsedNs) / 1e9;
    const rxPps = counted && previousCounted && seconds > 0 ? (counted.packets - previousCounted.packets) / seconds : undefined;
    previousCounted = counted;
    const live = stamped ? { lost: stamped.lost, expected: expectedPackets(stamped), p99Ns: stamped.latency?.p99Ns } : {};
    const received = counted && { ...counted, pps: rxPps, ...live };
    if (seconds > 0) {
      const sample: RunSample = {
        elapsedMs: now.elapsedNs / 1e6,
        packets: now.packets,
        bytes: now.bytes,
        pps: (now.packets - previous.packets) / seconds,
        bps: ((now.bytes - previous.bytes) * 8) / seconds,
        errors: now.errors,
        ringFull: now.ringFull,
        kicks: now.kicks,
        timesBehind: now.timesBehind,
        received,
      };
      reporter.sample(sample);
      report?.sample(sample);
    }
    previous = now;
  }, run.intervalMs);

  let final: TxStats;
  try {
    final = await session.wait();
  } catch (error) {
    rx?.close();
    report?.fail(error);
    throw error;
  } finally {
    cpu?.release();
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopListeningForClosedOutput();
    process.off('exit', stopOnExit);
  }
  if (rx) {
    // Ctrl-C again ends the wait: the run stops when asked.
    const cut = new AbortController();
    const onCut = (): void => cut.abort();
    process.on('SIGINT', onCut);
    process.on('SIGTERM', onCut);
    // Without stamps nothing more is awaited once every frame sent arrived; with them a late
    // duplicate still counts.
    const enough = (): boolean => !run.stamp && rx.counts().packets >= final.packets;
    try {
      await rx.linger(run.rxLinger, enough, cut.signal);
    } finally {
      process.off('SIGINT', onCut);
      process.off('SIGTERM', onCut);
    }
  }
  const counted = rx?.counts();
  const stamped = rx && run.stamp ? runStreams(rx.stamps(templates.length), templates.map((t, index) => ({ tags: t.tags, sent: final.perTemplate[index] ?? 0 }))) : undefined;
  metrics?.settle(runMetrics(metricsRun, final, counted, stamped));
  rx?.close();

  const seconds = final.elapsedNs / 1e9;
  const summary: RunSummary = {
    packets: final.packets,
    bytes: final.bytes,
    elapsedMs: final.elapsedNs / 1e6,
    pps: seconds > 0 ? final.packets / seconds : 0,
    bps: seconds > 0 ? (final.bytes * 8) / seconds : 0,
    targetPps: pps,
    targetBps: run.bps,
    errors: final.errors,
    pacing: pps !== undefined || run.bps !== undefined ? { timesBehind: final.timesBehind, mostBehindMs: final.mostBehindNs / 1e6, pinned: run.cpus !== undefined } : undefined,
    stoppedBy: signalled ? 'signal' : run.count !== undefined && final.packets >= run.count ? 'count' : 'duration',
    perTemplate: templates.map((t, index) => ({ ...templateFlows(t, index), tags: t.tags, packets: final.perTemplate[index] ?? 0 })),
    perTag: perTag(templates, final.perTemplate),
    metrics: log.metrics,
    received: counted && rxDev ? receivedSummary(rxDev, counted, stamped) : undefined,
  };
  const nothingSent = final.errors > 0 && final.packets === 0 ? new XdperfError(`interface ${device.name}: nothing was sent (${final.errors} transmit errors)`) : undefined;
  // The summary first: a report that cannot be written must not cost the user the run's numbers.
  if (!outputClosed()) reporter.summary(summary);
  report?.finish(summary, nothingSent);
  if (outputClosed()) throw new OutputClosedError();
  await metrics?.finish();
  if (nothingSent) throw nothingSent;
}

/**
 * The receiver's side of a run's summary: what the counter saw; with stamps, the run's streams
 * (packets, loss, duplicates, reordering, latency) and apart from them the frames without a stamp
 * of this run (ARP, other traffic).
 */
function receivedSummary(device: string, counted: Counts, stamped: StampedReceived | undefined): NonNullable<RunSummary['received']> {
  if (!stamped) return { ...counted, device };
  return { device, ...stamped, unstamped: { packets: counted.packets - stamped.packets, bytes: counted.bytes - stamped.bytes } };
}

interface CpuHold {
  release(): void;
}

/**
 * `--cpus` for the raw engine, whose pacer is Node's main thread: that thread pinned to the
 * first CPU named, the process's other threads moved off it for the run, as the native
 * engines do for their transmit threads. It needs the native core to set thread affinity.
 */
function holdRawEngineCpu(cpus: number[] | undefined, native: ReturnType<typeof nativeCore> | undefined): CpuHold | undefined {
  if (cpus === undefined) return undefined;
  if (!native) {
    process.stderr.write('xdperf: warning: --cpus is ignored: the raw engine pins its thread through the native core, which is not available\n');
    return undefined;
  }
  return native.reserveCpu(cpus[0]!);
}

/** The engine for this run: the one asked for, or what auto finds by probing the interface. */
function pickEngine(request: EngineRequest, dev: string, native: ReturnType<typeof nativeCore> | undefined, nativeMissing: string): EngineChoice {
  if (request === 'raw') return { engine: 'raw', reason: 'chosen with --engine' };
  if (!native) {
    if (request === 'auto') return { engine: 'raw', reason: `the native core is not available (${nativeMissing})` };
    throw new XdperfError(`engine ${request}: ${nativeMissing}`);
  }
  if (request === 'auto') return chooseEngine(native.probe(dev));
  if (request === 'xdp') {
    const problem = liveFramesProblem(native.probe(dev));
    if (problem !== undefined) process.stderr.write(`xdperf: warning: --engine xdp on ${dev}: ${problem}; frames may not arrive\n`);
  }
  return { engine: request, reason: 'chosen with --engine' };
}

function startEngine(
  choice: EngineChoice,
  run: RunSettings,
  ifname: string,
  info: DeviceInfo | undefined,
  queues: number[],
  templates: PacketTemplate[],
  pps: number | undefined,
  native: ReturnType<typeof nativeCore> | undefined,
): TxEngineSession {
  const engineTemplates = templates.map(engineTemplate);
  const engine = choice.engine;
  if (engine === 'raw') {
    return RawSession.start({ ifname, templates: engineTemplates, pps, bps: run.bps, count: run.count, durationMs: run.durationMs });
  }
  return native!.startTx({
    device: info!,
    engine: NATIVE_ENGINE[engine],
    queues,
    cpus: run.cpus,
    batch: run.batch,
    // An explicit --xdp-mode wins; otherwise auto's finding, or let the engine decide.
    xdpMode: NATIVE_XDP_MODE[run.xdpModeGiven ? run.xdpMode : (choice.xdpMode ?? run.xdpMode)],
    xdpBatchSize: run.xdpBatch,
    templates: engineTemplates,
    pps,
    bps: run.bps,
    count: run.count,
    durationMs: run.durationMs,
    stamp: run.stamp ? run.stampClock : undefined,
    startAtUnixMs: run.startAt,
  });
}

/**
 * Waits (without blocking signals) until every transmit thread began at the `--start-at`
 * instant; the instant, when the first packet could leave, and the skew between them.
 */
async function startedAt(session: TxEngineSession, atMs: number): Promise<{ startAt: string; firstPacketAt: string; startSkewNs: number }> {
  let stats = session.stats();
  while (stats.beganNs === null && stats.running) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(50, atMs - Date.now()))));
    stats = session.stats();
  }
  const skewNs = stats.beganNs ?? 0;
  const iso = (ms: number): string => new Date(Math.floor(ms)).toISOString().replace('Z', `${String(Math.round((ms % 1) * 1000)).padStart(3, '0')}Z`);
  return { startAt: iso(atMs), firstPacketAt: iso(atMs + skewNs / 1e6), startSkewNs: skewNs };
}
