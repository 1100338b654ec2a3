import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fieldValueBytes } from '../src/plugin/field-values.js';
import { fieldValueText } from '../src/plugin/field-text.js';

const hex = (value: number | string, size: number): string => fieldValueBytes(value, size).toString('hex');

function refusal(value: number | string, size: number): string {
  try {
    fieldValueBytes(value, size);
  } catch (error) {
    assert.instance(error, RangeError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} in ${size} bytes was not refused`);
}

test('numbers, decimal and 0x-hex strings are written big-endian in exactly the size', () => {
  assert.is(hex(0, 1), '00');
  assert.is(hex(20000, 2), '4e20');
  assert.is(hex(1, 4), '00000001');
  assert.is(hex(Number.MAX_SAFE_INTEGER, 8), '001fffffffffffff');
  assert.is(hex('4000000000', 4), 'ee6b2800');
  assert.is(hex('18446744073709551615', 8), 'ffffffffffffffff');
  assert.is(hex('0x0a000001', 4), '0a000001');
  assert.is(hex('0XFF', 2), '00ff');
  assert.is(hex('0x20010db8000000000000000000000001', 16), '20010db8000000000000000000000001');
});

test('addresses: dotted IPv4, IPv6 (with :: and a dotted tail) and MAC', () => {
  assert.is(hex('10.0.0.1', 4), '0a000001');
  assert.is(hex('255.255.255.255', 4), 'ffffffff');
  assert.is(hex('2001:db8::1', 16), '20010db8000000000000000000000001');
  assert.is(hex('::', 16), '0'.repeat(32));
  assert.is(hex('fe80::1:2', 16), 'fe800000000000000000000000010002');
  assert.is(hex('::ffff:192.0.2.1', 16), '00000000000000000000ffffc0000201');
  assert.is(hex('1:2:3:4:5:6:7:8', 16), '00010002000300040005000600070008');
  assert.is(hex('02:00:00:00:00:01', 6), '020000000001');
  assert.is(hex('AA-BB-CC-DD-EE-FF', 6), 'aabbccddeeff');
});

test('a value that does not fit its size is refused, saying the most that fits', () => {
  assert.is(refusal(256, 1), '256 does not fit in 1 byte (at most 255)');
  assert.is(refusal(65536, 2), '65536 does not fit in 2 bytes (at most 65535)');
  assert.is(refusal('0x100000000', 4), '"0x100000000" does not fit in 4 bytes (at most 4294967295)');
  assert.is(refusal('0x1' + '0'.repeat(32), 16), `"0x1${'0'.repeat(32)}" does not fit in 16 bytes (at most 0x${'ff'.repeat(16)})`);
});

test('an address in a field of another size is a mistake, not a number', () => {
  assert.is(refusal('10.0.0.1', 2), '"10.0.0.1" is an IPv4 address, which needs size 4, not 2');
  assert.is(refusal('2001:db8::1', 8), '"2001:db8::1" is an IPv6 address, which needs size 16, not 8');
  assert.is(refusal('02:00:00:00:00:01', 8), '"02:00:00:00:00:01" is a MAC address, which needs size 6, not 8');
});

test('text that is no value in any notation is refused', () => {
  const notation = 'is not a number (decimal or 0x-hex) nor an IPv4, IPv6 or MAC address';
  assert.is(refusal('10.0.0.256', 4), '"10.0.0.256" is not an IPv4 address (each part is 0..255)');
  for (const value of ['-1', '1.5', '0x', 'ten', '10.0.0', 'fe80::1%eth0', ' 1', '1e3']) {
    assert.is(refusal(value, 4), `${JSON.stringify(value)} ${notation}`);
  }
});

test('values are shown in the notation of their size, which reads back to the same bytes', () => {
  for (const [value, size] of [['10.0.0.1', 4], ['02:00:00:00:00:01', 6], ['2001:db8::1', 16], ['20000', 2], ['18446744073709551615', 8]] as const) {
    const bytes = fieldValueBytes(value, size);
    assert.is(fieldValueText(bytes), value);
    assert.equal(fieldValueBytes(fieldValueText(bytes), size), bytes);
  }
});

test.run();
