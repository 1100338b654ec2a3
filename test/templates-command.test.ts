import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorLine, runCli } from './support/cli.js';
import { fixture } from './support/plugins.js';

let dir = '';
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'xdperf-templates-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

type LayerJson = Record<string, string | number | boolean>;

interface TemplateJson {
  length: number;
  frame_length: number;
  checksums_valid: boolean;
  layers: LayerJson[];
  flows: number;
  random: boolean;
  variants?: { index: number; data: string; checksums_valid: boolean; layers: LayerJson[] }[];
}

/** tshark, an independent reader, with checksum verification turned on. */
function tsharkFields(pcap: string, fields: string[]): string[][] {
  const output = execFileSync(
    'tshark',
    ['-r', pcap, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE',
      '-T', 'fields', '-E', 'separator=,', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return output.trim().split('\n').map((line) => line.split(','));
}

test('simpleudp: decoded UDP with valid checksums, and tshark reads the same packets from the pcap', () => {
  const pcap = join(dir, 'udp.pcap');
  const result = runCli(['templates', '--plugin', 'simpleudp', '--templates', '3', '--pcap', pcap, '--set', 'dst_port=53', '--json']);
  assert.is(result.code, 0, result.stderr);
  const document = JSON.parse(result.stdout) as { templates: TemplateJson[] };
  assert.is(document.templates.length, 3);
  const fromCli = document.templates.map((t) => {
    assert.ok(t.checksums_valid);
    const [, ip, udp] = t.layers;
    assert.is(udp!.checksum_state, 'valid');
    assert.is(ip!.checksum_state, 'valid');
    return [String(t.frame_length), ip!.source, ip!.destination, String(udp!.source_port), String(udp!.destination_port), '1', '1'];
  });
  const fromTshark = tsharkFields(pcap, ['frame.len', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'ip.checksum.status', 'udp.checksum.status']);
  assert.equal(fromTshark, fromCli);
});

test('text output shows each layer and says the checksums are valid', () => {
  const result = runCli(['templates', '--plugin', 'simpleudp']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /Ethernet .*type 0x0800 \(IPv4\)/);
  assert.match(result.stdout, /IPv4 +10\.250\.0\.1 → 10\.250\.0\.2 .*header checksum 0x[0-9a-f]{4} valid/);
  assert.match(result.stdout, /UDP +12345 → 9 +length 26 +checksum 0x[0-9a-f]{4} valid/);
});

test('tcpsyn (the C plugin): SYNs whose TCP checksums tshark accepts', () => {
  const pcap = join(dir, 'syn.pcap');
  const result = runCli(['templates', '--plugin', 'tcpsyn', '--set', 'src_ip=192.0.2.1', '--set', 'dst_ip=192.0.2.2', '--templates', '2', '--pcap', pcap]);
  assert.is(result.code, 0, result.stderr);
  assert.equal(tsharkFields(pcap, ['tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.checksum.status', 'ip.checksum.status']), [
    ['1024', '80', '1', '1', '1'],
    ['1025', '80', '1', '1', '1'],
  ]);
});

test('a failing plugin leaves no pcap behind', () => {
  const pcap = join(dir, 'never.pcap');
  const result = runCli(['templates', '--plugin', 'tcpsyn', '--pcap', pcap]);
  assert.is(result.code, 1);
  assert.match(errorLine(result), /^xdperf: plugin tcpsyn: returned error code 1: config: src_ip is required/);
  assert.not.ok(existsSync(pcap));
  assert.equal(readdirSync(dir).filter((f) => f.includes('never')), []);
});

test('an unwritable pcap path is a one-line error', () => {
  const result = runCli(['templates', '--plugin', 'simpleudp', '--pcap', join(dir, 'no', 'such', 'dir', 'x.pcap')]);
  assert.is(result.code, 1);
  assert.match(errorLine(result), /^xdperf: pcap .*x\.pcap: cannot write it \(ENOENT\)$/);
});

test('an output buffer larger than the plugin\'s memory is refused before loading it', () => {
  // It would be allocated in the plugin's memory, where Go's runtime traps without saying why.
  const result = runCli(['templates', '--plugin', 'simpleudp', '--plugin-output', '1g']);
  assert.is(result.code, 2);
  assert.is(errorLine(result), 'xdperf: --plugin-output 1024 MiB does not fit in --plugin-memory 256 MiB: the plugin writes its output into its own memory');
});

// tshark's checksum status: 1 good, 0 bad.
const GOOD = '1';
const BAD = '0';
const FIXTURE_SOURCES = ['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7'];

/** The lines of `template`'s variants in text output: index, then the rest of the line. */
function variantLines(stdout: string, template: number): [number, string][] {
  const section = stdout.split(/^template \d+: /m)[template + 1]!;
  return [...section.matchAll(/^    +(\d+)  (.*)$/gm)].map((match) => [Number(match[1]), match[2]!]);
}

test('--variants: each variant the core renders, verified here line by line; the pcap holds them and tshark agrees', () => {
  const pcap = join(dir, 'variants.pcap');
  const result = runCli(['templates', '--plugin', fixture('fields'), '--templates', '3', '--variants', '1000', '--pcap', pcap]);
  assert.is(result.code, 0, result.stderr);
  const out = result.stdout;
  assert.match(out, /^  field 0   bytes 36-37  inc 20000\.\.20249$/m);
  assert.match(out, /^  field 1   bytes 26-29  list of 4: 10\.0\.0\.1, 10\.0\.0\.3, 10\.0\.0\.5, 10\.0\.0\.7  chained$/m);
  assert.match(out, /^  flows: 1,000$/m);
  assert.match(out, /^  variants  the first 1,000 of 1,000:$/m);
  // The dst port is the fastest digit (250 values), the source address from the chained list.
  const expected = Array.from({ length: 1000 }, (_, k) => [FIXTURE_SOURCES[Math.floor(k / 250)]!, String(20000 + (k % 250))]);
  const macs = '02:00:00:00:00:01 → 02:00:00:00:00:02';
  assert.equal(
    variantLines(out, 0),
    expected.map(([source, port], k) => [k, `${macs}  ${source} → 10.0.0.2  UDP 1000 → ${port}  checksums IPv4 header valid, UDP valid`]),
  );
  // The second template has no fields and a UDP checksum wrong by one: found here.
  assert.match(out, /^  variants  one: no fields, every packet is this frame$/m);
  assert.equal(variantLines(out, 1), [[0, `${macs}  10.0.0.1 → 10.0.0.2  UDP 1000 → 20000  checksums IPv4 header valid, UDP invalid`]]);
  // The third draws the IPv4 identification at random: every header checksum still verifies.
  assert.match(out, /^  field 0   bytes 18-19  random 0\.\.65535  seed 7$/m);
  assert.match(out, /^  random over 65,536 values$/m);
  const random = variantLines(out, 2);
  assert.is(random.length, 1000);
  assert.ok(random.every(([, line]) => line.endsWith('checksums IPv4 header valid, UDP valid')));
  assert.match(out, /^wrote 2,001 frames to /m);

  const rows = tsharkFields(pcap, ['ip.src', 'udp.dstport', 'ip.checksum.status', 'udp.checksum.status', 'ip.id']);
  assert.equal(
    rows.slice(0, 1001).map((row) => row.slice(0, 4)),
    [...expected.map((pair) => [...pair, GOOD, GOOD]), ['10.0.0.1', '20000', GOOD, BAD]],
  );
  const drawn = rows.slice(1001);
  assert.is(drawn.length, 1000);
  assert.equal(drawn.filter((row) => row[2] !== GOOD || row[3] !== GOOD), []);
  assert.ok(new Set(drawn.map((row) => row[4])).size > 900, 'the identification varies');
});

test('--variants --json: each variant with its bytes, its layers and its checksum verdict', () => {
  const result = runCli(['templates', '--plugin', fixture('fields'), '--templates', '2', '--variants', '300', '--json']);
  assert.is(result.code, 0, result.stderr);
  const [varied, fixed] = (JSON.parse(result.stdout) as { templates: TemplateJson[] }).templates;
  assert.equal([varied!.flows, varied!.random, varied!.variants!.length], [1000, false, 300]);
  varied!.variants!.forEach((variant, k) => {
    assert.is(variant.index, k);
    assert.ok(variant.checksums_valid);
    const [, ip, udp] = variant.layers;
    assert.equal([ip!.source, udp!.destination_port], [FIXTURE_SOURCES[Math.floor(k / 250)], 20000 + (k % 250)]);
    assert.is(Buffer.from(variant.data, 'base64').readUInt16BE(36), 20000 + (k % 250));
  });
  assert.equal([fixed!.flows, fixed!.variants!.length, fixed!.variants![0]!.checksums_valid], [1, 1, false]);
  assert.equal(fixed!.variants![0]!.layers.map((layer) => layer.checksum_state), [undefined, 'valid', 'invalid', undefined]);
});

test('--variants past the flow count shows one period of them', () => {
  const result = runCli(['templates', '--plugin', fixture('fields'), '--variants', '5000']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^  variants  the first 1,000 of 1,000, then they repeat:$/m);
  assert.is(variantLines(result.stdout, 0).length, 1000);
});

test('simpleudp dst_port_range: 1,000 variants with 1,000 distinct ports, every checksum good to tshark', () => {
  const pcap = join(dir, 'simpleudp-variants.pcap');
  const result = runCli(['templates', '--plugin', 'simpleudp', '--set', 'dst_port_range=20000-20999', '--variants', '1000', '--pcap', pcap]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /^  flows: 1,000$/m);
  assert.match(result.stdout, /^wrote 1,000 frames to /m);
  const rows = tsharkFields(pcap, ['udp.dstport', 'ip.checksum.status', 'udp.checksum.status']);
  assert.is(rows.length, 1000);
  assert.is(new Set(rows.map((row) => row[0])).size, 1000);
  assert.equal(rows.filter((row) => row[1] !== GOOD || row[2] !== GOOD), []);
});

test('plugins lists what is built, with exports, and flags broken ones', () => {
  const result = runCli(['plugins', '--plugin-dir', 'test/fixtures/out', '--json']);
  assert.is(result.code, 0, result.stderr);
  const listing = JSON.parse(result.stdout) as { plugins: { name: string; loads: boolean; exports: string[]; error?: string }[] };
  const byName = new Map(listing.plugins.map((p) => [p.name, p]));
  assert.ok(byName.get('simpleudp')?.loads);
  assert.ok(byName.get('tcpsyn')?.exports.includes('plugin_process'));
  assert.is(byName.get('missing_export')?.loads, false);
  assert.is(byName.get('missing_export')?.error, 'plugin missing_export: does not export plugin_process (load)');
});

test.run();
