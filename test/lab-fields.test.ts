import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './support/cli.js';
import { startCapture, tsharkRows } from './support/capture.js';
import { LAB, useLab } from './support/lab.js';

// What a user checks of varied traffic: a capture at the receiving end, read by tshark with
// checksum verification on, holds exactly the flows asked for, each as often as asked, and no
// frame with a bad checksum. The receiver passes frames on (lab 'pass'), so a capture sees them.
const fields = suite('field programs, captured at the receiver');
useLab(fields, 2, 'pass');

const GOOD = '1';
const toLab = ['--set', `src_ip=${LAB.txIp}`, '--set', `dst_ip=${LAB.rxIp}`, '--dev', LAB.tx];
// Paced, so the capture keeps up; the frames are what is checked here, not the rate.
const paced = ['--pps', '20k'];

/** Sends with `args`, capturing on the receiving end; tshark's rows for `columns`. */
async function sendAndCapture(args: string[], columns: string[], filter: string): Promise<string[][]> {
  const capture = await startCapture(LAB.netns, LAB.rx);
  try {
    const result = runCli(['run', ...args]);
    await capture.stop();
    assert.is(result.code, 0, result.stderr);
    return tsharkRows(capture.pcap, columns, filter);
  } finally {
    await capture.stop();
    capture.remove();
  }
}

function tally(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function assertAllGood(rows: string[][], firstStatus: number): void {
  const bad = rows.filter((row) => row.slice(firstStatus).some((status) => status !== GOOD));
  assert.is(bad.length, 0, `frames with a bad or unchecked checksum: ${JSON.stringify(bad.slice(0, 3))}`);
}

const UDP4 = ['ip.checksum.status', 'udp.checksum.status'];

for (const engine of ['afxdp', 'xdp', 'packet', 'raw']) {
  fields(`${engine}: dst_port_range=20000-20999 --count 1000: 1,000 distinct ports, every checksum good`, async () => {
    const rows = await sendAndCapture(
      ['--plugin', 'simpleudp', ...toLab, '--engine', engine, '--queues', '1', '--set', 'dst_port_range=20000-20999', '--count', '1000', ...paced],
      ['udp.dstport', ...UDP4],
      `udp && !icmp && ip.dst == ${LAB.rxIp}`,
    );
    assert.is(rows.length, 1000);
    const ports = tally(rows.map((row) => row[0]!));
    assert.is(ports.size, 1000);
    assert.equal([...ports.keys()].map(Number).sort((a, b) => a - b)[0], 20000);
    assert.equal([...ports.keys()].map(Number).sort((a, b) => b - a)[0], 20999);
    assertAllGood(rows, 1);
  });
}

for (const engine of ['afxdp', 'xdp', 'packet']) {
  fields(`${engine}: src_ip_range × src_port_range chained: 10 × 100 = 1,000 distinct flows`, async () => {
    const rows = await sendAndCapture(
      ['--plugin', 'simpleudp', ...toLab, '--engine', engine, '--queues', '1', '--set', 'src_ip_range=10.77.9.10-10.77.9.19', '--set', 'src_port_range=1000-1099', '--count', '1000', ...paced],
      ['ip.src', 'udp.srcport', ...UDP4],
      `udp && !icmp && ip.dst == ${LAB.rxIp}`,
    );
    assert.is(rows.length, 1000);
    assert.is(tally(rows.map((row) => `${row[0]}:${row[1]}`)).size, 1000);
    const perAddress = tally(rows.map((row) => row[0]!));
    assert.is(perAddress.size, 10);
    for (const [address, count] of perAddress) assert.is(count, 100, address);
    assertAllGood(rows, 2);
  });

  fields(`${engine}: udp6 with dst_port_range and src_ip_range: distinct flows, UDP checksums over IPv6 good`, async () => {
    const rows = await sendAndCapture(
      ['--plugin', 'udp6', '--dev', LAB.tx, '--set', 'src_ip=fd00:77::1', '--set', 'dst_ip=fd00:77::2', '--set', 'src_ip_range=fd00:77::10-fd00:77::13', '--set', 'dst_port_range=5000-5249', '--engine', engine, '--queues', '1', '--count', '1000', ...paced],
      ['ipv6.src', 'udp.dstport', 'udp.checksum.status'],
      'udp && !icmpv6 && ipv6.dst == fd00:77::2',
    );
    assert.is(rows.length, 1000);
    assert.is(tally(rows.map((row) => `${row[0]}:${row[1]}`)).size, 1000);
    assertAllGood(rows, 2);
  });

  fields(`${engine}: QinQ vlan plugin: outer 2 × inner 100 × 5 ports = 1,000 distinct, checksums good`, async () => {
    const rows = await sendAndCapture(
      ['--plugin', 'vlan', ...toLab, '--set', 'outer_vlan=10-11', '--set', 'vlan=100-199', '--set', 'dst_port_range=7000-7004', '--engine', engine, '--queues', '1', '--count', '1000', ...paced],
      // tshark reads the outer (802.1ad) tag as ieee8021ad, the inner (802.1Q) one as vlan.
      ['ieee8021ad.id', 'vlan.id', 'udp.dstport', ...UDP4],
      `udp && !icmp && ip.dst == ${LAB.rxIp}`,
    );
    assert.is(rows.length, 1000);
    assert.is(tally(rows.map((row) => row.slice(0, 3).join('/'))).size, 1000);
    assert.equal([...tally(rows.map((row) => row[0]!)).keys()].sort(), ['10', '11']);
    assert.is(tally(rows.map((row) => row[1]!)).size, 100);
    assertAllGood(rows, 3);
  });

  fields(`${engine}: 2 queues, 1,000 flows, 10,000 packets: every flow exactly 10 times`, async () => {
    const rows = await sendAndCapture(
      ['--plugin', 'simpleudp', ...toLab, '--engine', engine, '--queues', '2', '--set', 'dst_port_range=30000-30999', '--count', '10000', ...paced],
      ['udp.dstport', ...UDP4],
      `udp && !icmp && ip.dst == ${LAB.rxIp}`,
    );
    assert.is(rows.length, 10_000);
    const ports = tally(rows.map((row) => row[0]!));
    assert.is(ports.size, 1000);
    const wrong = [...ports].filter(([, count]) => count !== 10);
    assert.equal(wrong, [], 'flows not sent exactly 10 times');
    assertAllGood(rows, 1);
  });

  fields(`${engine}: imix 7:4:1 over 12,000 packets: exactly 7,000/4,000/1,000 frames of 60/590/1514 bytes`, async () => {
    const rows = await sendAndCapture(
      ['--plugin', 'imix', ...toLab, '--engine', engine, '--queues', '1', '--count', '12000', ...paced],
      ['frame.len', ...UDP4],
      `udp && !icmp && ip.dst == ${LAB.rxIp}`,
    );
    assert.equal(Object.fromEntries(tally(rows.map((row) => row[0]!))), { '60': 7000, '590': 4000, '1514': 1000 });
    assertAllGood(rows, 1);
  });
}

fields.run();
