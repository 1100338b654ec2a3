import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { templatePackets } from '../src/engine/raw-engine.js';
import { weightedOrder } from '../src/engine/tx-engine.js';
import { checksumVerifies, pseudoHeaderV4 } from '../src/packet/checksum.js';
import { engineTemplate, parseTemplates } from '../src/plugin/packet-template.js';

const IPV4_UDP = Buffer.from(
  '00112233445502aabbccddee08004500002100004000401126ca0a0000010a00000230390035000d7791' + '68656c6c6f00000000000000000000000000',
  'hex',
);

test('weighted order interleaves 3:1 as A A B A and keeps exact ratios', () => {
  assert.equal(weightedOrder([3, 1]), [0, 0, 1, 0]);
  assert.equal(weightedOrder([6, 2]), [0, 0, 1, 0]);
  const order = weightedOrder([5, 3, 2]);
  assert.is(order.length, 10);
  assert.equal([0, 1, 2].map((t) => order.filter((i) => i === t).length), [5, 3, 2]);
});

/** The first packet the raw engine sends of a template without fields. */
const ipv4Packet = (frame: Buffer, index: number) => templatePackets({ frame, weight: 1 }, index)();

test('the raw engine sends the IPv4 packet without Ethernet header or padding', () => {
  const packet = ipv4Packet(IPV4_UDP, 0);
  assert.is(packet.data.length, 33);
  assert.is(packet.data[0], 0x45);
  assert.is(packet.destination, '10.0.0.2');
  assert.is(packet.frameBytes, 60);
});

test('a VLAN tag is skipped; anything but IPv4 is refused with the template named', () => {
  const tagged = Buffer.concat([IPV4_UDP.subarray(0, 12), Buffer.from('8100000a', 'hex'), IPV4_UDP.subarray(12)]);
  assert.is(ipv4Packet(tagged, 0).destination, '10.0.0.2');
  const ipv6 = Buffer.from(IPV4_UDP);
  ipv6.writeUInt16BE(0x86dd, 12);
  assert.throws(() => ipv4Packet(ipv6, 3), /engine raw: template 3 is not an IPv4 packet/);
  const short = Buffer.from(IPV4_UDP);
  short.writeUInt16BE(200, 16);
  assert.throws(() => ipv4Packet(short, 1), /template 1 has an IPv4 total length of 200/);
});

test('with fields, the k-th packet of a template is its variant k, across render batches', () => {
  const fields = [
    { offset: 36, size: 2, op: 'inc', min: 20000, max: 20299 },
    { offset: 30, size: 4, op: 'list', values: ['10.0.0.2', '10.0.0.3'], chain: true },
  ];
  const output = JSON.stringify([{ template: { base_packet: { data: IPV4_UDP.toString('base64'), length: 42 + 18 }, fields } }]);
  const next = templatePackets(engineTemplate(parseTemplates('fx', output)[0]!), 0);
  const packets = Array.from({ length: 600 }, next);
  assert.equal(
    packets.map((p) => [p.destination, p.data.readUInt16BE(22)]),
    Array.from({ length: 600 }, (_, k) => [k < 300 ? '10.0.0.2' : '10.0.0.3', 20000 + (k % 300)]),
  );
  for (const { data } of packets) {
    assert.is(data.length, 33);
    assert.ok(checksumVerifies(data.subarray(0, 20)), 'IPv4 header checksum');
    assert.ok(checksumVerifies(pseudoHeaderV4(data.subarray(12, 16), data.subarray(16, 20), 17, 13), data.subarray(20)), 'UDP checksum');
  }
});

test.run();
