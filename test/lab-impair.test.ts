import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './support/cli.js';
import { startCapture, tsharkRows, type Capture } from './support/capture.js';
import { ROUTER_LAB, impair, impairmentState, routerLabDown, routerLabScript, settledImpairmentState, useRouterLab, type ImpairmentState } from './support/lab.js';

// The lab router's impairment step promises exact counts, decided by each frame's index in the
// test flow: what the receiver counts (its XDP counter, --rx-dev) and sees (a capture, read by
// tshark) must be exactly that, and the forwarder must lose nothing of its own. The receiver
// passes frames on (lab 'pass'), so a capture on it sees them.
const router = suite('lab router: deterministic impairment');
useRouterLab(router, 'pass');

const FLOW = 40_000;
const toReceiver = ['--plugin', 'simpleudp', '--set', `src_ip=${ROUTER_LAB.txIp}`, '--set', `dst_ip=${ROUTER_LAB.rxIp}`, '--dev', ROUTER_LAB.tx];
// Each frame its own destination port, so the order it arrives in is visible.
const flow = ['--engine', 'afxdp', '--queues', '1', '--count', String(FLOW), '--pps', '40k', '--set', `dst_port_range=1-${FLOW}`];
// The receiver's stack answers each frame with ICMP port unreachable, which quotes its UDP header.
const TEST_FLOW = `udp && !icmp && ip.dst == ${ROUTER_LAB.rxIp}`;
const GOOD = '1';

interface Summary {
  packets: number;
  received?: { packets: number };
}

/** Sends with `args` (and the receiver's counter); the run's summary. */
function send(args: string[]): Summary {
  const result = runCli(['run', ...toReceiver, ...args, '--rx-dev', ROUTER_LAB.rx, '--rx-netns', ROUTER_LAB.netns, '--json']);
  assert.is(result.code, 0, result.stderr);
  const events = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string });
  const summary = events.find((event) => event.event === 'summary');
  assert.ok(summary, `no summary in ${result.stdout}`);
  return summary as unknown as Summary;
}

/** Runs `work` with captures on `ends` ([netns, interface], netns undefined for the root one). */
async function capturing<T>(ends: [string | undefined, string][], work: (captures: Capture[]) => Promise<T> | T): Promise<T> {
  const captures: Capture[] = [];
  try {
    for (const [netns, ifname] of ends) captures.push(await startCapture(netns, ifname));
    return await work(captures);
  } finally {
    for (const capture of captures) {
      await capture.stop();
      capture.remove();
    }
  }
}

/** Frames the veths into and out of the router dropped for want of room (none, at these rates). */
function vethDrops(): { intoRouter: number; outOfRouter: number } {
  const txDropped = (netns: string | undefined, ifname: string): number => {
    const args = [...(netns === undefined ? [] : ['-n', netns]), '-j', '-s', 'link', 'show', ifname];
    const [link] = JSON.parse(execFileSync('ip', args, { encoding: 'utf8' })) as { stats64: { tx: { dropped: number } } }[];
    return link!.stats64.tx.dropped;
  };
  return { intoRouter: txDropped(undefined, ROUTER_LAB.tx), outOfRouter: txDropped(ROUTER_LAB.router, ROUTER_LAB.routerOut) };
}

/**
 * Sends the flow through the impairment in force and checks the counts, all in one comparison so
 * a failure shows where frames went: the receiver's, the forwarder's own accounting (everything
 * it received sent, dropped or duplicated, nothing lost or left pending) and the veths'.
 */
async function assertFlowCounts(expected: { dropped?: number; duplicated?: number; swapped?: number }): Promise<void> {
  const { dropped = 0, duplicated = 0, swapped = 0 } = expected;
  const vethsBefore = vethDrops();
  const atReceiver = send(flow).received?.packets;
  const state = await settledImpairmentState();
  const vethsAfter = vethDrops();
  assert.equal(
    {
      atReceiver,
      forwarder: { received: state.received, sent: state.sent, dropped: state.dropped, duplicated: state.duplicated, swapped: state.swapped, pending: state.pending, lost: state.lost, txInvalid: state.txInvalid },
      vethDrops: { intoRouter: vethsAfter.intoRouter - vethsBefore.intoRouter, outOfRouter: vethsAfter.outOfRouter - vethsBefore.outOfRouter },
    },
    {
      atReceiver: FLOW - dropped + duplicated,
      forwarder: { received: FLOW, sent: FLOW - dropped + duplicated, dropped, duplicated, swapped, pending: 0, lost: 0, txInvalid: 0 },
      vethDrops: { intoRouter: 0, outOfRouter: 0 },
    },
  );
}

/** RFC 4737: frames that arrive after one with a higher sequence number. */
function reordered(sequence: number[]): number {
  let highest = -Infinity;
  let count = 0;
  for (const n of sequence) {
    if (n < highest) count++;
    highest = Math.max(highest, n);
  }
  return count;
}

/** The first place two sequences differ, for a readable failure. */
function firstDifference(actual: number[], expected: number[]): string | undefined {
  const at = expected.findIndex((value, i) => actual[i] !== value);
  if (at === -1 && actual.length === expected.length) return undefined;
  const index = at === -1 ? expected.length : at;
  return `at frame ${index}: got ${JSON.stringify(actual.slice(index, index + 4))}, expected ${JSON.stringify(expected.slice(index, index + 4))}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

router('none: 40,000 frames through the router kernel forwarding: 40,000 received, in order, TTL 63', async () => {
  impair('none');
  const rows = await capturing([[ROUTER_LAB.netns, ROUTER_LAB.rx]], async ([capture]) => {
    assert.is(send(flow).received?.packets, FLOW);
    await capture!.stop();
    return tsharkRows(capture!.pcap, ['udp.dstport', 'ip.ttl'], TEST_FLOW);
  });
  const ports = rows.map((row) => Number(row[0]));
  assert.is(firstDifference(ports, Array.from({ length: FLOW }, (_, i) => i + 1)), undefined);
  assert.equal([...new Set(rows.map((row) => row[1]))], ['63']);
});

router('drop=50: exactly 39,200 of 40,000 received; the forwarder dropped 800 and lost none', async () => {
  impair('drop=50');
  await assertFlowCounts({ dropped: 800 });
});

router('dup=100: exactly 40,400 of 40,000 received; the forwarder sent 400 copies and lost none', async () => {
  impair('dup=100');
  await assertFlowCounts({ duplicated: 400 });
});

router('swap=50: 40,000 received, pairs 50, 100, ... swapped in the capture (400 reordered), headers routed and checksums good', async () => {
  impair('swap=50');
  const rows = await capturing([[ROUTER_LAB.netns, ROUTER_LAB.rx]], async ([capture]) => {
    await assertFlowCounts({ swapped: 400 });
    await capture!.stop();
    return tsharkRows(capture!.pcap, ['udp.dstport', 'ip.ttl', 'ip.checksum.status', 'udp.checksum.status'], TEST_FLOW);
  });
  const ports = rows.map((row) => Number(row[0]));
  // Pair p is frames 2p-1 and 2p (ports alike); every 50th pair arrives second frame first.
  const expected = Array.from({ length: FLOW / 2 }, (_, i) => i + 1).flatMap((pair) => (pair % 50 === 0 ? [2 * pair, 2 * pair - 1] : [2 * pair - 1, 2 * pair]));
  assert.is(firstDifference(ports, expected), undefined);
  assert.is(reordered(ports), 400);
  assert.equal([...new Set(rows.map((row) => row.slice(1).join('/')))], [`63/${GOOD}/${GOOD}`], 'TTL and checksum statuses');
});

router('delay=5ms: the one-way delay across the router, by captures on both sides, has its p50 between 5 and 6 ms', async () => {
  // The raw engine sends through the kernel's stack, so a capture on the sending interface sees
  // each frame as it leaves; 2,000 frames, each its own port, at a pace the captures keep up with.
  const oneWayDelaysMs = async (): Promise<number[]> =>
    capturing(
      [
        [undefined, ROUTER_LAB.tx],
        [ROUTER_LAB.netns, ROUTER_LAB.rx],
      ],
      async ([sent, received]) => {
        assert.is(send(['--engine', 'raw', '--count', '2000', '--pps', '2k', '--set', 'dst_port_range=1-2000']).received?.packets, 2000);
        await Promise.all([sent!.stop(), received!.stop()]);
        const times = (capture: Capture): Map<string, number> =>
          new Map(tsharkRows(capture.pcap, ['udp.dstport', 'frame.time_epoch'], TEST_FLOW).map(([port, time]) => [port!, Number(time) * 1000]));
        const sentAt = times(sent!);
        const receivedAt = times(received!);
        assert.is(sentAt.size, 2000);
        assert.is(receivedAt.size, 2000);
        return [...receivedAt].map(([port, at]) => at - sentAt.get(port)!);
      },
    );
  impair('none');
  const baseline = median(await oneWayDelaysMs());
  impair('delay=5ms');
  const delayed = median(await oneWayDelaysMs());
  const state = await settledImpairmentState();
  assert.equal({ received: state.received, sent: state.sent, lost: state.lost }, { received: 2000, sent: 2000, lost: 0 });
  assert.ok(delayed >= 5 && delayed <= 6, `p50 one-way delay ${delayed.toFixed(3)} ms with delay=5ms (${baseline.toFixed(3)} ms without)`);
});

router('bad impairments are refused in one line, exit 1, and the one in force stays', () => {
  impair('drop=50');
  for (const [spec, problem] of [
    ['drop=0', 'N must be a whole number from 1'],
    ['delay=500ms', 'D must be from 1us to 100ms'],
    ['delay=5', 'D must be a whole number of ms or us, e.g. delay=5ms'],
    ['jitter=1ms', 'must be drop=N, dup=N, swap=N or delay=D (D in ms or us, e.g. delay=5ms)'],
  ] as const) {
    const result = routerLabScript(['impair', spec]);
    assert.is(result.code, 1, spec);
    assert.is(result.stderr, `lab.sh: impairment "${spec}": ${problem}\n`);
  }
  assert.is(impairmentState().impairment, 'drop=50');
});

router('a forwarder that dies is noticed: status and impair fail naming it', async () => {
  impair('dup=100');
  const pid = Number(/forwarder pid (\d+)/.exec(routerLabScript(['status']).stdout)?.[1]);
  assert.ok(pid > 0);
  process.kill(pid, 'SIGKILL');
  for (let tries = 0; existsSync(`/proc/${pid}`) && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
  const status = routerLabScript(['status']);
  assert.is(status.code, 1);
  assert.match(status.stdout, new RegExp(`impairment: dup=100, but its forwarder \\(pid ${pid}\\) has exited`));
  const shown = routerLabScript(['impair']);
  assert.is(shown.code, 1);
  assert.match(shown.stderr, new RegExp(`^lab.sh: impairment dup=100: its forwarder \\(pid ${pid}\\) has exited`));
  impair('none');
  assert.equal(impairmentState(), { impairment: 'none' } as ImpairmentState);
});

router('down stops the forwarder and removes the namespaces and pins; twice is fine; impair then has no router', () => {
  impair('delay=5ms');
  const pid = Number(/forwarder pid (\d+)/.exec(routerLabScript(['status']).stdout)?.[1]);
  routerLabDown();
  const cmdline = existsSync(`/proc/${pid}`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  assert.not.ok(cmdline.includes('xdperf-impair-forwarder'), 'the forwarder still runs');
  for (const path of [`/var/run/netns/${ROUTER_LAB.netns}`, `/var/run/netns/${ROUTER_LAB.router}`, `/sys/fs/bpf/xdperf/netns/${ROUTER_LAB.router}`, `/sys/class/net/${ROUTER_LAB.tx}`, `/run/xdperf/${ROUTER_LAB.netns}`]) {
    assert.not.ok(existsSync(path), `${path} is left`);
  }
  const again = routerLabScript(['down']);
  assert.is(again.code, 0);
  assert.is(again.stdout, 'lab down\n');
  const impairNow = routerLabScript(['impair', 'drop=50']);
  assert.is(impairNow.code, 1);
  assert.is(impairNow.stderr, 'lab.sh: impair: the lab has no router (scripts/lab.sh up --router)\n');
});

router.run();
