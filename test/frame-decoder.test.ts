import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checksumsValid, decodeFrame } from '../src/packet/frame-decoder.js';

// Built outside this code base (Python's struct module) and confirmed by tshark with its checksum
// checks on, so the decoder is compared with independent implementations rather than with itself.
const IPV4_UDP =
  '00112233445502aabbccddee08004500002100004000401126ca0a0000010a00000230390035000d7791' +
  '68656c6c6f00000000000000000000000000';
const VLAN_IPV6_ICMPV6 =
  '3333000000010200000000018100a06486dd6000000000083a40fe800000000000000000000000000001' +
  'ff0200000000000000000000000000018000823500010001';

const frame = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

test('IPv4/UDP: addresses, ports, lengths and both checksums', () => {
  const layers = decodeFrame(frame(IPV4_UDP));
  assert.equal(layers.map((l) => l.name), ['Ethernet', 'IPv4', 'UDP', 'Payload']);
  assert.is(layers[0]!.fields.source, '02:aa:bb:cc:dd:ee');
  assert.is(layers[0]!.fields.destination, '00:11:22:33:44:55');
  assert.is(layers[1]!.fields.source, '10.0.0.1');
  assert.is(layers[1]!.fields.total_length, 33);
  assert.is(layers[1]!.fields.checksum_state, 'valid');
  assert.is(layers[2]!.fields.source_port, 12345);
  assert.is(layers[2]!.fields.destination_port, 53);
  assert.is(layers[2]!.fields.checksum_state, 'valid');
  assert.is(layers[3]!.fields.length, 5);
  assert.is(layers[3]!.fields.padding, 13);
  assert.ok(checksumsValid(layers));
});

test('a flipped payload byte makes the UDP checksum invalid, not the IPv4 one', () => {
  const bytes = frame(IPV4_UDP);
  bytes[43]! ^= 0xff;
  const layers = decodeFrame(bytes);
  assert.is(layers[1]!.fields.checksum_state, 'valid');
  assert.is(layers[2]!.fields.checksum_state, 'invalid');
  assert.not.ok(checksumsValid(layers));
});

test('VLAN-tagged IPv6/ICMPv6 echo request', () => {
  const layers = decodeFrame(frame(VLAN_IPV6_ICMPV6));
  assert.equal(layers.map((l) => l.name), ['Ethernet', 'VLAN', 'IPv6', 'ICMPv6', 'Payload']);
  assert.is(layers[1]!.fields.id, 100);
  assert.is(layers[1]!.fields.priority, 5);
  assert.is(layers[2]!.fields.source, 'fe80::1');
  assert.is(layers[2]!.fields.destination, 'ff02::1');
  assert.is(layers[3]!.fields.type, 128);
  assert.is(layers[3]!.fields.checksum_state, 'valid');
});

test('short frames are reported as truncated instead of read past their end', () => {
  assert.is(decodeFrame(frame('0011223344'))[0]!.fields.truncated, true);
  const layers = decodeFrame(frame(IPV4_UDP).subarray(0, 30));
  assert.is(layers[1]!.name, 'IPv4');
  assert.is(layers[1]!.fields.truncated, true);
});

test.run();
