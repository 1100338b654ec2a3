import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseListenAddress } from '../src/config/listen-address.js';
import type { StreamLatency, TxStats } from '../src/engine/native-core.js';
import { XdperfError } from '../src/errors.js';
import { LATENCY_BOUNDS_SECONDS } from '../src/report/latency-buckets.js';
import { MetricsServer } from '../src/report/metrics-server.js';
import { metricsText, type MetricsSnapshot } from '../src/report/prometheus-metrics.js';
import type { StampedReceived, StreamReceived } from '../src/report/stamped-streams.js';
import { errorLine, runCli } from './support/cli.js';
import { freePort, holding } from './support/ports.js';

// --- the exposition text, read back as a scraper reads it ------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  samples: Sample[];
  /** # TYPE of each metric family. */
  types: Map<string, string>;
  helped: Set<string>;
}

function parse(text: string): Exposition {
  const exposition: Exposition = { samples: [], types: new Map(), helped: new Set() };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') exposition.types.set(comment[2]!, comment[3]!);
      else exposition.helped.add(comment[2]!);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!;
    exposition.samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return exposition;
}

const series = (e: Exposition, name: string): Sample[] => e.samples.filter((s) => s.name === name);
const total = (e: Exposition, name: string): number => series(e, name).reduce((sum, s) => sum + s.value, 0);

// --- snapshots ---------------------------------------------------------------------------------

function txStats(over: Partial<TxStats> = {}): TxStats {
  return {
    elapsedNs: 2e9,
    packets: 10,
    bytes: 180 + 7 * 1514,
    batches: 2,
    kicks: 2,
    ringFull: 0,
    completions: 10,
    errors: 5,
    timesBehind: 0,
    mostBehindNs: 0,
    perTemplate: [3, 7],
    perTemplateBytes: [180, 7 * 1514],
    perQueue: [
      { queue: 2, packets: 4, bytes: 2 * 60 + 2 * 1514, errors: 1, perTemplate: [2, 2], perTemplateBytes: [120, 2 * 1514] },
      { queue: 3, packets: 6, bytes: 60 + 5 * 1514, errors: 3, perTemplate: [1, 5], perTemplateBytes: [60, 5 * 1514] },
    ],
    running: true,
    beganNs: 0,
    ...over,
  };
}

function stream(stream: number, over: Partial<StreamReceived> = {}): StreamReceived {
  return { stream, tags: [], sent: null, packets: 100, bytes: 6000, lost: 2, duplicated: 1, reordered: 3, beyondWindow: 0, clockAhead: 0, latency: null, ...over };
}

function stamped(streams: StreamReceived[]): StampedReceived {
  return { packets: 0, bytes: 0, lost: 0, duplicated: 0, reordered: 0, beyondWindow: 0, clockAhead: 0, clock: 'monotonic', latency: null, streams };
}

/** The receiver's histogram bucket of `ns` (docs/stamps.md): a nanosecond each below 128, then 128 a power of two. */
function nativeBucket(ns: number): { fromNs: number; toNs: number } {
  if (ns < 128) return { fromNs: ns, toNs: ns + 1 };
  let e = 7;
  while (2 ** (e + 1) <= ns) e++;
  const width = 2 ** (e - 7);
  const fromNs = Math.floor(ns / width) * width;
  return { fromNs, toNs: fromNs + width };
}

/** `samples` as the receiver reports them: non-empty buckets in order, the exact mean. */
function latencyOf(samples: number[]): StreamLatency {
  const buckets = new Map<number, { fromNs: number; toNs: number; count: number }>();
  for (const ns of samples) {
    const { fromNs, toNs } = nativeBucket(ns);
    const bucket = buckets.get(fromNs) ?? { fromNs, toNs, count: 0 };
    bucket.count++;
    buckets.set(fromNs, bucket);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    count: samples.length,
    minNs: sorted[0]!,
    sumNs: mean * samples.length,
    meanNs: mean,
    p50Ns: 0,
    p90Ns: 0,
    p99Ns: 0,
    p999Ns: 0,
    maxNs: sorted.at(-1)!,
    jitterNs: 0,
    histogram: [...buckets.values()].sort((a, b) => a.fromNs - b.fromNs),
  };
}

// --- the text of a scrape --------------------------------------------------------------------

const text = suite('metrics text');

text('every metric has HELP and its TYPE; counters end in _total; run info is a gauge of 1', async () => {
  const e = parse(
    await metricsText({
      info: { command: 'run', engine: 'xdp' },
      running: true,
      targetPps: 1000,
      targetBps: 8e6,
      tx: txStats(),
      templateTags: [['udp'], ['big', 'tcp']],
      rx: { packets: 9, bytes: 540 },
      stamped: stamped([stream(0, { latency: latencyOf([900, 1500]) })]),
    }),
  );
  assert.equal(Object.fromEntries(e.types), {
    xdperf_run_info: 'gauge',
    xdperf_running: 'gauge',
    xdperf_target_pps: 'gauge',
    xdperf_target_bps: 'gauge',
    xdperf_tx_packets_total: 'counter',
    xdperf_tx_bytes_total: 'counter',
    xdperf_tx_errors_total: 'counter',
    xdperf_rx_packets_total: 'counter',
    xdperf_rx_bytes_total: 'counter',
    xdperf_rx_stamped_packets_total: 'counter',
    xdperf_rx_lost: 'gauge',
    xdperf_rx_duplicated_total: 'counter',
    xdperf_rx_reordered_total: 'counter',
    xdperf_latency_seconds: 'histogram',
  });
  assert.equal([...e.helped].sort(), [...e.types.keys()].sort());
  assert.equal(series(e, 'xdperf_run_info'), [{ name: 'xdperf_run_info', labels: { command: 'run', engine: 'xdp' }, value: 1 }]);
  assert.is(total(e, 'xdperf_running'), 1);
  assert.is(total(e, 'xdperf_target_pps'), 1000);
  assert.is(total(e, 'xdperf_target_bps'), 8e6);
  assert.is(total(e, 'xdperf_rx_packets_total'), 9);
  assert.is(total(e, 'xdperf_rx_bytes_total'), 540);
});

text('tx: a series per queue and template, tagged with its tags; they add up to the totals', async () => {
  const tx = txStats();
  const e = parse(await metricsText({ tx, templateTags: [['udp'], ['big', 'tcp']] }));
  const packets = series(e, 'xdperf_tx_packets_total').map((s) => [s.labels, s.value]);
  assert.equal(packets, [
    [{ queue: '2', template: '0', tag: 'udp' }, 2],
    [{ queue: '2', template: '1', tag: 'big,tcp' }, 2],
    [{ queue: '3', template: '0', tag: 'udp' }, 1],
    [{ queue: '3', template: '1', tag: 'big,tcp' }, 5],
  ]);
  assert.is(total(e, 'xdperf_tx_packets_total'), tx.packets);
  assert.is(total(e, 'xdperf_tx_bytes_total'), tx.perTemplateBytes.reduce((a, b) => a + b, 0));
  assert.equal(
    series(e, 'xdperf_tx_bytes_total').map((s) => s.value),
    [120, 2 * 1514, 60, 5 * 1514],
  );
});

text("tx errors: each queue's own, and what belongs to no queue (the xdp engine's driver drops) without a queue label", async () => {
  const e = parse(await metricsText({ tx: txStats({ errors: 9 }) }));
  assert.equal(
    series(e, 'xdperf_tx_errors_total').map((s) => [s.labels, s.value]),
    [
      [{ queue: '2' }, 1],
      [{ queue: '3' }, 3],
      [{}, 5],
    ],
  );
});

text('tx of the raw engine, which has no queue: series per template without a queue label', async () => {
  const e = parse(await metricsText({ tx: txStats({ perQueue: [], errors: 2 }), templateTags: [[], ['x']] }));
  assert.equal(
    series(e, 'xdperf_tx_packets_total').map((s) => [s.labels, s.value]),
    [
      [{ template: '0', tag: '' }, 3],
      [{ template: '1', tag: 'x' }, 7],
    ],
  );
  assert.equal(
    series(e, 'xdperf_tx_errors_total').map((s) => [s.labels, s.value]),
    [[{}, 2]],
  );
});

text("stamped streams: counts per stream and tag (the run's template tags, else the stream's own)", async () => {
  const e = parse(
    await metricsText({
      templateTags: [['a']],
      stamped: stamped([stream(0), stream(5, { tags: ['own'], lost: 0, packets: 7 })]),
    }),
  );
  assert.equal(
    series(e, 'xdperf_rx_stamped_packets_total').map((s) => [s.labels, s.value]),
    [
      [{ stream: '0', tag: 'a' }, 100],
      [{ stream: '5', tag: 'own' }, 7],
    ],
  );
  assert.equal(
    series(e, 'xdperf_rx_lost').map((s) => s.value),
    [2, 0],
  );
  assert.is(total(e, 'xdperf_rx_duplicated_total'), 2);
  assert.is(total(e, 'xdperf_rx_reordered_total'), 6);
  assert.equal(series(e, 'xdperf_latency_seconds_count'), [], 'no latency series for a stream without a sample');
});

text('a command without a sender or receiver shows no tx or rx series', async () => {
  const e = parse(await metricsText({ info: { command: 'recv' }, running: false }));
  assert.equal([...e.types.keys()], ['xdperf_run_info', 'xdperf_running']);
  assert.is(total(e, 'xdperf_running'), 0);
});

// --- latency buckets -------------------------------------------------------------------------

const latency = suite('latency histogram');

// Samples of every scale the bounds cover, and the nanoseconds around each bound.
function latencySamples(): number[] {
  let seed = 0x2545f491;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const samples = Array.from({ length: 20_000 }, () => Math.floor(10 ** (1 + next() * 9.5)));
  for (const le of LATENCY_BOUNDS_SECONDS) {
    const ns = Math.round(le * 1e9);
    samples.push(ns - 1, ns, ns + 1, Math.floor(ns * (1 - 1 / 128)));
  }
  return samples;
}

latency('the buckets are cumulative, exact re-bucketings of the receiver histogram, never more than the samples ≤ le', async () => {
  const samples = latencySamples();
  const e = parse(await metricsText({ stamped: stamped([stream(3, { latency: latencyOf(samples) })]) }));
  const buckets = series(e, 'xdperf_latency_seconds_bucket');
  assert.equal(
    buckets.map((b) => b.labels.le),
    [...LATENCY_BOUNDS_SECONDS.map(String), '+Inf'],
  );
  for (const bucket of buckets) assert.equal({ stream: bucket.labels.stream, tag: bucket.labels.tag }, { stream: '3', tag: '' });
  assert.is(buckets.at(-1)!.value, samples.length);
  assert.is(total(e, 'xdperf_latency_seconds_count'), samples.length);
  const sumNs = samples.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total(e, 'xdperf_latency_seconds_sum') - sumNs / 1e9) < 1e-9 * sumNs, 'the sum of the samples, in seconds');
  let previous = 0;
  LATENCY_BOUNDS_SECONDS.forEach((le, i) => {
    const leNs = Math.round(le * 1e9);
    const counted = buckets[i]!.value;
    assert.ok(counted >= previous, `le ${le}: cumulative`);
    previous = counted;
    // The samples ≤ le, less those in the receiver's bucket that straddles le (it holds le + 1 ns).
    const straddling = nativeBucket(leNs + 1).fromNs;
    const expected = samples.filter((ns) => ns <= leNs && nativeBucket(ns).fromNs !== straddling).length;
    assert.is(counted, expected, `le ${le}`);
    const atMost = samples.filter((ns) => ns <= leNs);
    if (leNs <= 255) assert.is(counted, atMost.length, `le ${le}: exact below 256 ns`);
    const missed = atMost.filter((ns) => nativeBucket(ns).fromNs === straddling);
    for (const ns of missed) assert.ok(ns > leNs * (1 - 1 / 128), `le ${le}: ${ns} ns left to the next bucket is within 0.8 % of it`);
  });
});

// --- --metrics-addr ----------------------------------------------------------------------------

const address = suite('--metrics-addr values');

address('HOST:PORT, [IPv6]:PORT and :PORT (every interface)', () => {
  assert.equal(parseListenAddress('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
  assert.equal(parseListenAddress('[::1]:9100'), { host: '::1', port: 9100 });
  assert.equal(parseListenAddress('[fe80::1%eth0]:1'), { host: 'fe80::1%eth0', port: 1 });
  assert.equal(parseListenAddress('localhost:65535'), { host: 'localhost', port: 65535 });
  assert.equal(parseListenAddress(':9100'), { host: undefined, port: 9100 });
});

address('anything else is refused, saying what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['foo', /'foo' is not HOST:PORT \(e\.g\. 127\.0\.0\.1:9100, \[::1\]:9100 or :9100\)/],
    ['9100', /is not HOST:PORT/],
    ['127.0.0.1:', /the port '' is not a number/],
    ['127.0.0.1:http', /the port 'http' is not a number/],
    ['::1:9100', /write an IPv6 address in brackets, as in \[::1\]:9100/],
    ['[::1]9100', /is not HOST:PORT/],
    ['[nope]:9100', /\[nope\] is not an IPv6 address/],
    ['a b:9100', /'a b' is not a host name or IPv4 address/],
    [':0', /port 0 is out of range 1\.\.65535/],
    [':65536', /port 65536 is out of range 1\.\.65535/],
  ];
  for (const [value, message] of cases) assert.throws(() => parseListenAddress(value), (error: unknown) => error instanceof RangeError && message.test(error.message), value);
});

address('a bad --metrics-addr is one usage error naming the option, before anything else happens', () => {
  for (const command of ['run', 'recv']) {
    const result = runCli([command, '--dev', 'xdperf-no-such-if', '--metrics-addr', 'localhost']);
    assert.is(result.code, 2, result.stderr);
    assert.is(errorLine(result), "xdperf: --metrics-addr: 'localhost' is not HOST:PORT (e.g. 127.0.0.1:9100, [::1]:9100 or :9100)");
  }
  const pinned = runCli(['recv', '--dev', 'xdperf-no-such-if', '--pin', '--metrics-addr', ':9100']);
  assert.is(pinned.code, 2);
  assert.is(errorLine(pinned), 'xdperf: --metrics-addr: --pin exits at once, so there would be nothing to serve');
});

address('an address in use: exit 1, one line naming the option and the address, before the interface is looked at', async () => {
  const port = await freePort();
  await holding(port, () => {
    const result = runCli(['recv', '--dev', 'xdperf-no-such-if', '--metrics-addr', `127.0.0.1:${port}`]);
    assert.is(result.code, 1, result.stderr);
    assert.is(errorLine(result), `xdperf: --metrics-addr 127.0.0.1:${port}: cannot serve there: the address is in use`);
  });
});

// --- the server ------------------------------------------------------------------------------

const server = suite('metrics server');

async function get(port: number, path = '/metrics', method = 'GET'): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
}

async function refused(port: number): Promise<boolean> {
  return get(port).then(
    () => false,
    () => true,
  );
}

server('serves /metrics, what the source reads at each scrape; 404 elsewhere, 405 for other methods', async () => {
  const port = await freePort();
  const metrics = await MetricsServer.listen({ host: '127.0.0.1', port });
  try {
    let packets = 0;
    metrics.observe(() => ({ rx: { packets: (packets += 10), bytes: 0 } }));
    const first = await get(port);
    assert.is(first.status, 200);
    assert.is(first.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.is(total(parse(first.body), 'xdperf_rx_packets_total'), 10);
    assert.is(total(parse((await get(port)).body), 'xdperf_rx_packets_total'), 20, 'read again at the next scrape');
    assert.is((await get(port, '/')).status, 404);
    assert.is((await get(port, '/metrics/x')).status, 404);
    assert.is((await get(port, '/metrics', 'POST')).status, 405);
  } finally {
    metrics.close();
  }
  assert.ok(await refused(port), 'closed');
});

server('a source that throws: 500 with the reason, and the server goes on', async () => {
  const port = await freePort();
  const metrics = await MetricsServer.listen({ host: '127.0.0.1', port });
  try {
    metrics.observe(() => {
      throw new XdperfError('interface gone');
    });
    const failed = await get(port);
    assert.is(failed.status, 500);
    assert.match(failed.body, /interface gone/);
    metrics.observe(() => ({}));
    assert.is((await get(port)).status, 200);
  } finally {
    metrics.close();
  }
});

server('binding an address in use is an XdperfError naming the option', async () => {
  const port = await freePort();
  await holding(port, async () => {
    try {
      await MetricsServer.listen({ host: '127.0.0.1', port });
      assert.unreachable('bound an address in use');
    } catch (error) {
      assert.instance(error, XdperfError);
      assert.is((error as XdperfError).message, `--metrics-addr 127.0.0.1:${port}: cannot serve there: the address is in use`);
    }
  });
});

server('finish: closes at once when nothing ever scraped', async () => {
  const port = await freePort();
  const metrics = await MetricsServer.listen({ host: '127.0.0.1', port });
  metrics.settle({ running: false });
  const started = performance.now();
  await metrics.finish();
  assert.ok(performance.now() - started < 100);
  assert.ok(await refused(port));
});

server('finish: closes at once after a single scrape (a curl, not a scraper with an interval)', async () => {
  const port = await freePort();
  const metrics = await MetricsServer.listen({ host: '127.0.0.1', port });
  metrics.observe(() => ({ running: true }));
  await get(port);
  metrics.settle({ running: false });
  const started = performance.now();
  await metrics.finish();
  assert.ok(performance.now() - started < 100);
  assert.ok(await refused(port));
});

server('finish: serves the final counts until the next scrape has read them, then closes', async () => {
  const port = await freePort();
  const metrics = await MetricsServer.listen({ host: '127.0.0.1', port });
  metrics.observe(() => ({ running: true }));
  await get(port);
  await new Promise((resolve) => setTimeout(resolve, 400));
  await get(port);
  const final: MetricsSnapshot = { running: false, rx: { packets: 42, bytes: 0 } };
  metrics.settle(final);
  let finished = false;
  const finishing = metrics.finish().then(() => (finished = true));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.not.ok(finished, 'still serving: the scraper has not read the final counts');
  const last = parse((await get(port)).body);
  assert.is(total(last, 'xdperf_running'), 0);
  assert.is(total(last, 'xdperf_rx_packets_total'), 42);
  await finishing;
  assert.ok(await refused(port));
});

server('finish: stops waiting after one and a half scrape intervals without a scrape', async () => {
  const port = await freePort();
  const metrics = await MetricsServer.listen({ host: '127.0.0.1', port });
  await get(port);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await get(port);
  metrics.settle({ running: false });
  const started = performance.now();
  await metrics.finish();
  const waited = performance.now() - started;
  assert.ok(waited > 150 && waited < 1000, `waited ${waited} ms for an interval of 200 ms`);
  assert.ok(await refused(port));
});

text.run();
latency.run();
address.run();
server.run();
