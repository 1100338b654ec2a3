import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorLine, runCli } from './support/cli.js';

let dir = '';
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'xdperf-templates-'));
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

interface TemplateJson {
  length: number;
  frame_length: number;
  checksums_valid: boolean;
  layers: Record<string, string | number | boolean>[];
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
