import { spawn } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, errorLine, runCli } from './support/cli.js';
import { fixture } from './support/plugins.js';
import { LAB, ROUTER_LAB, impair, rxOnLab, settledImpairmentState, useLab, useRouterLab } from './support/lab.js';

// What a user reads off a stamped run: the receiver's per-stream loss, duplicates, reordering and
// latency, checked against what the lab router's deterministic impairment did to the flow (its
// own accounting, and the exact counts its rules promise). The receiver counts at XDP and drops.
const stamped = suite('stamped streams through the lab router');
useRouterLab(stamped, 'drop');

const FLOW = 40_000;
const toReceiver = ['--set', `src_ip=${ROUTER_LAB.txIp}`, '--set', `dst_ip=${ROUTER_LAB.rxIp}`, '--dev', ROUTER_LAB.tx];
const atReceiver = ['--rx-dev', ROUTER_LAB.rx, '--rx-netns', ROUTER_LAB.netns];
const flow = ['--queues', '1', '--count', String(FLOW), '--pps', '40k'];

interface Latency {
  minNs: number;
  meanNs: number;
  p50Ns: number;
  p90Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
  jitterNs: number;
  histogram: { fromNs: number; toNs: number; count: number }[];
}

interface Counts {
  packets: number;
  lost: number;
  duplicated: number;
  reordered: number;
  latency: Latency | null;
}

interface Stream extends Counts {
  stream: number;
  tags: string[];
  sent: number | null;
}

interface Received extends Counts {
  bytes: number;
  streams: Stream[];
}

interface Summary {
  packets: number;
  perTemplate: { packets: number }[];
  received?: Received;
}

function summaryOf(stdout: string): Summary {
  const events = stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string });
  const summary = events.find((event) => event.event === 'summary');
  assert.ok(summary, `no summary in ${stdout}`);
  return summary as unknown as Summary;
}

/** A stamped run with `args` to the receiver; what it received. */
function sendStamped(args: string[]): Received {
  const result = runCli(['run', '--stamp', ...toReceiver, ...args, ...atReceiver, '--json']);
  assert.is(result.code, 0, result.stderr);
  const received = summaryOf(result.stdout).received;
  assert.ok(received, `no received counts in ${result.stdout}`);
  return received;
}

/** The counts a test compares, of the total and of each stream. */
function counts(of: Counts): Omit<Counts, 'latency'> {
  return { packets: of.packets, lost: of.lost, duplicated: of.duplicated, reordered: of.reordered };
}

for (const engine of ['afxdp', 'xdp'] as const) {
  stamped(`${engine}: clean path: 40,000 stamped packets, 40,000 received, none lost, duplicated or reordered, latency reported`, () => {
    impair('none');
    const received = sendStamped(['--plugin', 'simpleudp', '--engine', engine, ...flow]);
    assert.equal(counts(received), { packets: FLOW, lost: 0, duplicated: 0, reordered: 0 });
    assert.equal(
      received.streams.map((s) => ({ stream: s.stream, sent: s.sent, ...counts(s) })),
      [{ stream: 0, sent: FLOW, packets: FLOW, lost: 0, duplicated: 0, reordered: 0 }],
    );
    const latency = received.latency;
    assert.ok(latency, 'no latency');
    assert.ok(latency.minNs > 0 && latency.minNs <= latency.p50Ns && latency.p50Ns <= latency.p99Ns && latency.p99Ns <= latency.maxNs, JSON.stringify(latency));
    assert.is(
      latency.histogram.reduce((sum, bucket) => sum + bucket.count, 0),
      FLOW,
      'every packet is in the histogram',
    );
  });
}

/** The impairment's own accounting agrees: it saw the whole flow (`flow` frames) and lost nothing itself. */
async function assertForwarderSettled(flow: number): Promise<void> {
  const state = await settledImpairmentState();
  assert.equal({ received: state.received, pending: state.pending, lost: state.lost }, { received: flow, pending: 0, lost: 0 });
}

const impaired: [string, string, Omit<Counts, 'latency'>][] = [
  ['drop=50', 'every 50th dropped: exactly 800 lost', { packets: FLOW - 800, lost: 800, duplicated: 0, reordered: 0 }],
  ['dup=100', 'every 100th duplicated: exactly 400 duplicated, none lost', { packets: FLOW + 400, lost: 0, duplicated: 400, reordered: 0 }],
  ['swap=50', 'every 50th pair swapped: exactly 400 reordered, none lost', { packets: FLOW, lost: 0, duplicated: 0, reordered: 400 }],
];
for (const [spec, what, expected] of impaired) {
  for (const engine of ['afxdp', 'xdp'] as const) {
    stamped(`${engine}, ${spec}: ${what}`, async () => {
      impair(spec);
      const received = sendStamped(['--plugin', 'simpleudp', '--engine', engine, ...flow]);
      assert.equal({ total: counts(received), stream0: counts(received.streams[0]!) }, { total: expected, stream0: expected });
      await assertForwarderSettled(FLOW);
    });
  }
}

stamped('delay=5ms: the stamped one-way latency has its p50 between 5 and 6 ms', async () => {
  impair('delay=5ms');
  const received = sendStamped(['--plugin', 'simpleudp', '--engine', 'afxdp', '--queues', '1', '--count', '4000', '--pps', '4k']);
  assert.equal(counts(received), { packets: 4000, lost: 0, duplicated: 0, reordered: 0 });
  const p50Ms = received.latency!.p50Ns / 1e6;
  assert.ok(p50Ms >= 5 && p50Ms <= 6, `p50 ${p50Ms} ms`);
});

stamped('--rx-linger: packets still in flight when sending stops are counted lost without it and arrive with it', async () => {
  // 100 ms through the router at 20 kpps: 2,000 frames are on their way when the last leaves;
  // those still out once the run has stopped its sender (some tens of ms) are lost to
  // --rx-linger 0. The default 1 s lets every one arrive.
  impair('delay=100ms');
  const run = ['--plugin', 'simpleudp', '--engine', 'afxdp', '--queues', '1', '--count', '20000', '--pps', '20k'];
  const cut = sendStamped([...run, '--rx-linger', '0']);
  assert.ok(cut.lost > 0 && cut.lost <= 2000, `${cut.lost} lost with --rx-linger 0`);
  await assertForwarderSettled(20_000);
  const lingered = sendStamped(run);
  assert.equal(counts(lingered), { packets: 20_000, lost: 0, duplicated: 0, reordered: 0 });
});

stamped('--stamp with a frame too short for a stamp is refused in one line, exit 1', () => {
  const result = runCli(['run', '--stamp', '--plugin', 'tcpsyn', ...toReceiver, '--engine', 'afxdp', '--count', '10', ...atReceiver]);
  assert.is(result.code, 1);
  assert.match(errorLine(result), /^xdperf: template 0: --stamp needs 18 bytes of TCP payload; this frame has 0 \(make it 18 bytes longer\)$/);
});

stamped.run();

// Two queues on the plain lab (the router has one): streams spread over threads, and traffic
// that must not pass for stamps. Frames reach the receiver's XDP counter whatever their MACs.
const queues = suite('stamped streams over two queues');
useLab(queues, 2, 'drop');

const toLab = ['--set', `src_ip=${LAB.txIp}`, '--set', `dst_ip=${LAB.rxIp}`, '--dev', LAB.tx];

for (const engine of ['afxdp', 'xdp', 'packet'] as const) {
  // Each queue's thread sends its own runs of a stream's numbers, so the two interleave on the
  // wire: packets may arrive reordered (RFC 4737 counts that), never lost or duplicated.
  queues(`${engine}: two streams (imix 60 and 128 B at 3:1) from 2 queues: exactly 30,000 and 10,000, none lost or duplicated`, () => {
    const result = runCli(['run', '--stamp', '--plugin', 'imix', '--set', 'sizes=[60,128]', '--set', 'weights=[3,1]', ...toLab, '--engine', engine, '--queues', '2', '--count', '40000', '--pps', '40k', ...rxOnLab, '--json']);
    assert.is(result.code, 0, result.stderr);
    const received = summaryOf(result.stdout).received!;
    assert.equal(
      received.streams.map((s) => ({ stream: s.stream, tags: s.tags, sent: s.sent, packets: s.packets, lost: s.lost, duplicated: s.duplicated })),
      [
        { stream: 0, tags: ['imix', '60B'], sent: 30_000, packets: 30_000, lost: 0, duplicated: 0 },
        { stream: 1, tags: ['imix', '128B'], sent: 10_000, packets: 10_000, lost: 0, duplicated: 0 },
      ],
    );
    assert.is(received.reordered, received.streams[0]!.reordered + received.streams[1]!.reordered);
  });
}

queues('random payloads (no stamps) through the stamp receiver: recv --stamp sees no stamped packet', async () => {
  const receiver = spawn(process.execPath, [CLI, 'recv', '--dev', LAB.rx, '--netns', LAB.netns, '--stamp', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  receiver.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => receiver.on('exit', resolve));
  try {
    for (let tries = 0; !stdout.includes('"event":"start"') && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 25));
    const sent = runCli(['run', '--plugin', fixture('random_payload'), ...toLab, '--engine', 'afxdp', '--queues', '2', ...flow.slice(2)]);
    assert.is(sent.code, 0, sent.stderr);
  } finally {
    receiver.kill('SIGINT');
  }
  assert.is(await exited, 0);
  const summary = summaryOf(stdout) as unknown as { packets: number; stamped: Received };
  assert.ok(summary.packets >= FLOW, `the receiver counted ${summary.packets} frames`);
  assert.equal({ packets: summary.stamped.packets, streams: summary.stamped.streams }, { packets: 0, streams: [] });
});

queues.run();
