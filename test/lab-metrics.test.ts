import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeCore } from '../src/engine/native-core.js';
import { counterPinDir } from '../src/engine/rx-counter.js';
import { LATENCY_BOUNDS_SECONDS } from '../src/report/latency-buckets.js';
import { CLI, errorLine, runCli } from './support/cli.js';
import { LAB, leftovers, rxOnLab, simpleUdpToLab, useLab } from './support/lab.js';
import { freePort, holding } from './support/ports.js';

// What a user of --metrics-addr sees: Debian's Prometheus server scrapes xdperf (every second)
// and the series are read back through its HTTP API, next to what xdperf's own summary says.
const scraped = suite('Prometheus scrapes run and recv --metrics-addr on the veth lab');
useLab(scraped, 2);

const COUNT = 6000;
const PPS = 2000;

interface Prometheus {
  process: ChildProcess;
  port: number;
  dir: string;
  /** The scrape targets of the jobs `run` and `recv`. */
  runPort: number;
  recvPort: number;
}

let prometheus: Prometheus | undefined;

function stopPrometheus(): void {
  if (!prometheus) return;
  prometheus.process.kill('SIGKILL');
  rmSync(prometheus.dir, { recursive: true, force: true });
  prometheus = undefined;
}

process.on('exit', stopPrometheus);

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<Vector[]> {
  const url = `http://127.0.0.1:${prometheus!.port}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data: { result: Vector[] } };
  assert.is(body.status, 'success', `${expr}: ${body.error}`);
  return body.data.result;
}

/** The one value of `expr`. */
async function scalar(expr: string): Promise<number> {
  const result = await query(expr);
  assert.is(result.length, 1, `${expr}: ${JSON.stringify(result)}`);
  return Number(result[0]!.value[1]);
}

/**
 * Waits until Prometheus found `job`'s target gone (up 0, once xdperf exited): every scrape
 * before is stored by then. Series of a target that went away are marked stale, so they are
 * read with last_over_time.
 */
async function targetGone(job: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await query(`up{job="${job}"}`);
    if (up.length === 1 && up[0]!.value[1] === '0') return;
    assert.ok(Date.now() < deadline, `Prometheus did not see the ${job} target go: ${JSON.stringify(up)}\n${prometheusLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const last = (selector: string): string => `last_over_time(${selector}[5m])`;

function labels(series: Vector, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, series.metric[name]]));
}

function prometheusLog(): string {
  return readFileSync(join(prometheus!.dir, 'prometheus.log'), 'utf8').slice(-2000);
}

scraped.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdperf-prometheus-'));
  const [port, runPort, recvPort] = [await freePort(), await freePort(), await freePort()];
  const job = (name: string, target: number): string => `  - job_name: ${name}\n    static_configs:\n      - targets: ['127.0.0.1:${target}']\n`;
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n${job('run', runPort)}${job('recv', recvPort)}`);
  const log = join(dir, 'prometheus.log');
  const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
  const child = spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => writeFileSync(log, chunk, { flag: 'a' }));
  prometheus = { process: child, port, dir, runPort, recvPort };
  const started = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('spawn', () => resolve(undefined));
  });
  if (started) throw new Error(`cannot start Debian's prometheus (${started.message}): apt-get install prometheus (make test installs it)`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not become ready: ${prometheusLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Ready is not scraping: Prometheus hands its targets to the scrape loops only at its next
  // reload tick (up to 5 s later). A run before that would not be scraped at all, so the suite
  // waits until both targets have been tried (up 0: nothing listens there yet).
  while ((await query('up')).length < 2) {
    if (Date.now() > deadline) throw new Error(`prometheus scraped no target within 30 s: ${prometheusLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

scraped.after(stopPrometheus);

interface RunEvents {
  start: { engine: string };
  summary: { packets: number; bytes: number; errors: number; perTemplate: { tags: string[] }[]; received: { packets: number; latency: { p99Ns: number } } };
}

function runEvents(stdout: string): RunEvents {
  const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string });
  const find = (name: string): unknown => events.find((e) => e.event === name) ?? assert.unreachable(`no ${name} event in ${stdout}`);
  return { start: find('start') as RunEvents['start'], summary: find('summary') as RunEvents['summary'] };
}

/** The Prometheus bucket bounds either side of `seconds`, with the 0.8 % the re-bucketing may move a sample by. */
function boundsAround(seconds: number): [number, number] {
  const below = [...LATENCY_BOUNDS_SECONDS].reverse().find((le) => le < seconds * 0.99) ?? 0;
  const above = LATENCY_BOUNDS_SECONDS.find((le) => le >= seconds * 1.01) ?? Infinity;
  return [below, above];
}

scraped('run --stamp --queues 2: sent per queue and template, received, loss, latency and run info, as the summary says', async () => {
  const result = runCli(
    ['run', ...simpleUdpToLab, '--dev', LAB.tx, ...rxOnLab, '--stamp', '--queues', '2', '--pps', String(PPS), '--count', String(COUNT), '--metrics-addr', `127.0.0.1:${prometheus!.runPort}`, '--json'],
    { timeoutMs: 60_000 },
  );
  assert.is(result.code, 0, result.stderr);
  const { start, summary } = runEvents(result.stdout);
  assert.is(summary.packets, COUNT);
  await targetGone('run');

  const sent = await query(last('xdperf_tx_packets_total{job="run"}'));
  assert.equal(sent.map((s) => s.metric.queue).sort(), ['0', '1'], 'a series per queue');
  for (const s of sent) {
    assert.is(s.metric.template, '0');
    assert.is(s.metric.tag, summary.perTemplate[0]!.tags.join(','));
  }
  assert.is(await scalar(`sum(${last('xdperf_tx_packets_total{job="run"}')})`), COUNT);
  assert.is(await scalar(`sum(${last('xdperf_tx_bytes_total{job="run"}')})`), summary.bytes);
  assert.is(await scalar(`sum(${last('xdperf_tx_errors_total{job="run"}')})`), summary.errors);

  assert.is(await scalar(last('xdperf_rx_packets_total{job="run"}')), COUNT);
  assert.is(summary.received.packets, COUNT);
  assert.is(await scalar(last('xdperf_rx_stamped_packets_total{job="run",stream="0"}')), COUNT);
  assert.is(await scalar(last('xdperf_rx_lost{job="run",stream="0"}')), 0);
  assert.is(await scalar(last('xdperf_rx_duplicated_total{job="run",stream="0"}')), 0);
  assert.is(await scalar(last('xdperf_latency_seconds_count{job="run",stream="0"}')), COUNT);
  const p99 = await scalar(`histogram_quantile(0.99, sum by (le) (${last('xdperf_latency_seconds_bucket{job="run"}')}))`);
  const [below, above] = boundsAround(summary.received.latency.p99Ns / 1e9);
  assert.ok(p99 >= below && p99 <= above, `p99 ${p99} s from Prometheus, ${summary.received.latency.p99Ns} ns in the summary`);

  const info = await query(last('xdperf_run_info{job="run"}'));
  assert.is(info.length, 1);
  assert.equal(labels(info[0]!, ['command', 'plugin', 'device', 'engine', 'rx_device', 'stamp_clock']), {
    command: 'run',
    plugin: 'simpleudp',
    device: LAB.tx,
    engine: start.engine,
    rx_device: LAB.rx,
    stamp_clock: 'monotonic',
  });
  assert.ok(info[0]!.metric.mode && info[0]!.metric.version, 'the engine mode and the version');
  assert.is(await scalar(last('xdperf_target_pps{job="run"}')), PPS);
  assert.is(await scalar(last('xdperf_running{job="run"}')), 0, 'the last scrape read the run after it ended');
});

scraped('recv --stamp: what arrived from a stamped run, per stream, as Prometheus read it', async () => {
  const recv = spawn(process.execPath, [CLI, 'recv', '--dev', LAB.rx, '--netns', LAB.netns, '--stamp', '--duration', '8s', '--json', '--metrics-addr', `127.0.0.1:${prometheus!.recvPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  recv.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => recv.once('exit', resolve));
  try {
    // Counting before anything is sent: its start event.
    const counting = new Promise<void>((resolve) => recv.stdout!.once('data', () => resolve()));
    await Promise.race([counting, exited.then((code) => assert.unreachable(`recv exited (${code}) before counting: ${stderr}`))]);
    const count = COUNT / 2;
    const run = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--stamp', '--pps', String(PPS), '--count', String(count)], { timeoutMs: 60_000 });
    assert.is(run.code, 0, run.stderr);
    assert.is(await exited, 0, stderr);
    await targetGone('recv');
    assert.is(await scalar(last('xdperf_rx_packets_total{job="recv"}')), count);
    assert.is(await scalar(last('xdperf_rx_stamped_packets_total{job="recv",stream="0",tag=""}')), count);
    assert.is(await scalar(last('xdperf_rx_lost{job="recv",stream="0"}')), 0);
    assert.is(await scalar(last('xdperf_latency_seconds_count{job="recv",stream="0"}')), count);
    const info = await query(last('xdperf_run_info{job="recv"}'));
    assert.is(info.length, 1);
    assert.equal(labels(info[0]!, ['command', 'device', 'netns']), { command: 'recv', device: LAB.rx, netns: LAB.netns });
    assert.is(await scalar(last('xdperf_running{job="recv"}')), 0);
  } finally {
    recv.kill('SIGKILL');
  }
});

scraped('an address in use: exit 1, one line, before anything is attached or sent', async () => {
  const counter = nativeCore().openPinnedCounter(counterPinDir(LAB.rx, LAB.netns));
  const before = counter.counts().packets;
  const port = await freePort();
  const result = await holding(port, () => runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '1000', '--metrics-addr', `127.0.0.1:${port}`]));
  assert.is(result.code, 1);
  assert.is(errorLine(result), `xdperf: --metrics-addr 127.0.0.1:${port}: cannot serve there: the address is in use`);
  assert.equal(leftovers(), []);
  assert.is(counter.counts().packets, before, 'nothing sent');
});

scraped.run();
