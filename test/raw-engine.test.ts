import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ipv4Packet } from '../src/engine/raw-engine.js';
import { weightedOrder } from '../src/engine/tx-engine.js';

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

test.run();
