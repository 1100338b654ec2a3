import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStartAt } from '../src/config/option-values.js';
import { parseCount, parseDurationMs, parseSizeBytes } from '../src/units.js';

test('counts take decimal suffixes', () => {
  assert.is(parseCount('64'), 64);
  assert.is(parseCount('100k'), 100_000);
  assert.is(parseCount('1m'), 1_000_000);
  assert.is(parseCount('1.5M'), 1_500_000);
  assert.is(parseCount('2g'), 2_000_000_000);
  assert.is(parseCount(7), 7);
});

test('counts refuse bad suffixes and fractions', () => {
  assert.throws(() => parseCount('10x'), /'10x' is not a count/);
  assert.throws(() => parseCount('-5'), /not a count/);
  assert.throws(() => parseCount('1.5'), /not a whole number/);
  assert.throws(() => parseCount(''), /not a count/);
});

test('durations: bare numbers are seconds', () => {
  assert.is(parseDurationMs('10s'), 10_000);
  assert.is(parseDurationMs('500ms'), 500);
  assert.is(parseDurationMs('2m'), 120_000);
  assert.is(parseDurationMs('250us'), 0.25);
  assert.is(parseDurationMs('3'), 3000);
  assert.is(parseDurationMs(1.5), 1500);
  assert.throws(() => parseDurationMs('5 parsecs'), /not a duration/);
  assert.throws(() => parseDurationMs('s'), /not a duration/);
});

test('sizes are binary', () => {
  assert.is(parseSizeBytes('4096'), 4096);
  assert.is(parseSizeBytes('64k'), 65_536);
  assert.is(parseSizeBytes('256m'), 256 * 2 ** 20);
  assert.is(parseSizeBytes('1MiB'), 2 ** 20);
  assert.is(parseSizeBytes('1G'), 2 ** 30);
  assert.throws(() => parseSizeBytes('12q'), /not a size/);
  assert.throws(() => parseSizeBytes('0.5'), /not a whole number of bytes/);
});

test('numbers too large to be exact are refused, never Infinity', () => {
  assert.throws(() => parseDurationMs('1' + '0'.repeat(400)), /is too large/);
  assert.throws(() => parseDurationMs('9'.repeat(20) + 'h'), /is too large/);
  assert.throws(() => parseCount('99999999999999999999'), /is too large/);
  assert.throws(() => parseSizeBytes('1' + '0'.repeat(400) + 'g'), /is too large/);
  assert.throws(() => parseDurationMs(Infinity), /not a duration/);
});

test('--start-at reads RFC 3339 with its zone (fractions of a second kept) and +DURATION from now', () => {
  assert.is(parseStartAt('2026-11-29T06:30:00Z'), Date.UTC(2026, 10, 29, 6, 30, 0));
  assert.is(parseStartAt('2026-11-29T07:30:00.250375+01:00'), Date.UTC(2026, 10, 29, 6, 30, 0) + 250.375);
  assert.is(parseStartAt('+5s', () => 1_000), 6_000);
  assert.is(parseStartAt('+250ms', () => 1_000), 1_250);
  for (const bad of ['2026-11-29T06:30:00', '2026-11-29', 'now', '+soon']) assert.throws(() => parseStartAt(bad), RangeError, bad);
});

test.run();
