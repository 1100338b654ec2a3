import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeCore } from '../src/engine/native-core.js';
import { DEFAULT_LIMITS, PluginSession } from '../src/plugin/plugin-session.js';
import { builtPlugin, runPlugin } from './support/plugins.js';

// imix is the AssemblyScript plugin: these tests run it through the host, as the other plugins
// are run, and check its frames with a checksum routine of the test's own.

const DEVICE = { name: 'veth-test', mac: Buffer.from([0x02, 0, 0, 0, 0, 0x01]), mtu: 1500, queues: 1 };
const IMIX = builtPlugin('imix');

function sum16(bytes: Uint8Array | number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum >>> 16) + (sum & 0xffff);
  return sum;
}

/** Checks one IPv4/UDP frame of `size` bytes laid out as simpleudp's, both checksums recomputed. */
function checkFrame(frame: Buffer, size: number): void {
  assert.is(frame.length, size);
  assert.is(frame.readUInt16BE(12), 0x0800, 'EtherType IPv4');
  const ip = frame.subarray(14, 34);
  assert.is(ip[0], 0x45);
  assert.is(ip.readUInt16BE(2), size - 14, 'IPv4 total length');
  assert.is(ip.readUInt16BE(6), 0x4000, 'DF, no fragment offset');
  assert.is(ip[9], 17, 'protocol UDP');
  assert.is(sum16(ip), 0xffff, `size ${size}: the IPv4 header checksum verifies`);
  const udp = frame.subarray(34);
  assert.is(udp.readUInt16BE(4), size - 34, 'UDP length');
  assert.is.not(udp.readUInt16BE(6), 0, 'a UDP checksum is present');
  const pseudo = [...ip.subarray(12, 20), 0, 17, udp.length >> 8, udp.length & 0xff];
  assert.is(sum16([...pseudo, ...udp]), 0xffff, `size ${size}: the UDP checksum verifies`);
  for (let i = 8; i < udp.length; i++) {
    if (udp[i] !== ((i - 8) & 0xff)) assert.unreachable(`size ${size}: payload byte ${i - 8} is ${udp[i]}`);
  }
}

/** The raw GeneratorResponse array, with the config given to plugin_init and in the request. */
async function rawResponse(config: Record<string, unknown>): Promise<any[]> {
  const session = await PluginSession.open(IMIX, 'imix', DEFAULT_LIMITS);
  try {
    await session.init(config);
    return JSON.parse(await session.process({ ...config, count: 1, device_mac_addr: DEVICE.mac.toString('base64'), mtu: 1500 }));
  } finally {
    await session.close();
  }
}

async function failure(config: Record<string, unknown>, device = DEVICE): Promise<string> {
  try {
    await runPlugin(IMIX, { config, device });
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

test('imix by default: 60, 590 and 1514-byte frames at 7:4:1 with valid checksums', async () => {
  const { templates, logs, metrics } = await runPlugin(IMIX, { device: DEVICE });
  assert.equal(templates.map((t) => t.length), [60, 590, 1514]);
  assert.equal(templates.map((t) => t.weight), [7, 4, 1]);
  assert.equal(templates.map((t) => t.tags), [['imix', '60B'], ['imix', '590B'], ['imix', '1514B']]);
  for (const t of templates) {
    checkFrame(t.frame, t.length);
    assert.is(t.frame.subarray(0, 6).toString('hex'), 'ffffffffffff', 'no neighbour: broadcast');
    assert.is(t.frame.subarray(6, 12).toString('hex'), '020000000001', "the device's MAC");
    assert.equal([...t.frame.subarray(26, 34)], [10, 250, 0, 1, 10, 250, 0, 2]);
    assert.equal([t.frame.readUInt16BE(34), t.frame.readUInt16BE(36), t.frame[22], t.frame[15]], [12345, 9, 64, 0]);
  }
  assert.ok(logs.some((l) => l.level === 1 && l.message.startsWith('imix 60/590/1514 bytes at 7:4:1')), JSON.stringify(logs));
  assert.ok(logs.some((l) => l.level === 2 && l.message.startsWith('no dst_mac set')), JSON.stringify(logs));
  assert.equal(metrics.map((m) => [m.name, m.value]), [['templates', 3]]);
});

test('sizes and weights are configurable; sizes alone weigh 1 each', async () => {
  const config = {
    sizes: [64, 128, 1000, 1514],
    weights: [10, 1, 2, 3],
    src_ip: '192.0.2.1',
    dst_ip: '198.51.100.7',
    src_port: 40000,
    dst_port: 53,
    ttl: 33,
    tos: 8,
    dst_mac: '02:00:00:00:00:02',
  };
  const { templates } = await runPlugin(IMIX, { config, device: DEVICE });
  assert.equal(templates.map((t) => [t.length, t.weight]), [[64, 10], [128, 1], [1000, 2], [1514, 3]]);
  for (const t of templates) {
    checkFrame(t.frame, t.length);
    assert.is(t.frame.subarray(0, 12).toString('hex'), '020000000002020000000001');
    assert.equal([...t.frame.subarray(26, 34)], [192, 0, 2, 1, 198, 51, 100, 7]);
    assert.equal([t.frame.readUInt16BE(34), t.frame.readUInt16BE(36), t.frame[22], t.frame[15]], [40000, 53, 33, 8]);
  }
  const alone = await runPlugin(IMIX, { config: { sizes: [100, 200] }, device: DEVICE });
  assert.equal(alone.templates.map((t) => [t.length, t.weight]), [[100, 1], [200, 1]]);
  const jumbo = await runPlugin(IMIX, { config: { sizes: 9014 }, device: { ...DEVICE, mtu: 9000 } });
  assert.equal(jumbo.templates.map((t) => [t.length, t.weight]), [[9014, 1]]);
  checkFrame(jumbo.templates[0]!.frame, 9014);
});

test('both host contracts give the same templates', async () => {
  const config = { sizes: [60, 1514], weights: [3, 1], src_port: 1000, dst_mac: '02:00:00:00:00:02' };
  const xdperf = await runPlugin(IMIX, { config, device: DEVICE, contract: 'xdperf' });
  const seed = await runPlugin(IMIX, { config, device: DEVICE, contract: 'seed' });
  assert.equal(seed.templates, xdperf.templates);
});

test('ranges become chained fields on every template, the base frame carrying the first values', async () => {
  const config = { src_ip_range: '10.0.0.1 - 10.0.0.4', src_port_range: '1000', dst_port_range: '20000-20009', flows: 30 };
  const response = await rawResponse(config);
  assert.is(response.length, 3);
  for (const item of response) {
    assert.equal(item.template.fields, [
      { offset: 26, size: 4, op: 'inc', min: '10.0.0.1', max: '10.0.0.4' },
      { offset: 36, size: 2, op: 'inc', min: 20000, max: 20009, chain: true },
    ]);
    assert.is(item.template.flows, 30);
    const frame = Buffer.from(item.template.base_packet.data, 'base64');
    checkFrame(frame, item.template.base_packet.length);
    assert.equal([...frame.subarray(26, 30)], [10, 0, 0, 1]);
    assert.equal([frame.readUInt16BE(34), frame.readUInt16BE(36)], [1000, 20000]);
  }
});

// Through the whole host: the core accepts the program and counts its flows (4 × 10, capped at 30).
// Needs a native core that compiles field programs (make native).
function coreHasFields(): boolean {
  try {
    return typeof (nativeCore() as { describeFields?: unknown }).describeFields === 'function';
  } catch {
    return false;
  }
}
(coreHasFields() ? test : test.skip)('the host compiles the ranges into a field program of 30 flows per template', async () => {
  const config = { src_ip_range: '10.0.0.1-10.0.0.4', dst_port_range: '20000-20009', flows: 30 };
  const { templates } = await runPlugin(IMIX, { config, device: DEVICE });
  assert.equal(templates.map((t) => [t.length, t.program?.fields.length, t.program?.flows]), [[60, 2, 30], [590, 2, 30], [1514, 2, 30]]);
  for (const t of templates) checkFrame(t.frame.subarray(0, t.length), t.length);
});

test('vary random: every range is a random field, seeded with seed + its position', async () => {
  const config = { dst_ip_range: '10.1.0.0-10.1.255.255', src_port_range: 1, dst_port_range: '1-65535', vary: 'random', seed: 7 };
  const [first] = await rawResponse(config);
  assert.equal(first.template.fields, [
    { offset: 30, size: 4, op: 'random', min: '10.1.0.0', max: '10.1.255.255', seed: 7 },
    { offset: 36, size: 2, op: 'random', min: 1, max: 65535, seed: 8, chain: true },
  ]);
  assert.is(first.template.flows, undefined);
  // Seed 0 is the host's default and left out, as the Go SDK leaves it out.
  const [zero] = await rawResponse({ src_port_range: '1-10', dst_port_range: '1-10', vary: 'random' });
  assert.equal(zero.template.fields, [
    { offset: 34, size: 2, op: 'random', min: 1, max: 10 },
    { offset: 36, size: 2, op: 'random', min: 1, max: 10, seed: 1, chain: true },
  ]);
});

test('without a range no field and no flows are emitted', async () => {
  const [first] = await rawResponse({ src_ip_range: '10.0.0.9', dst_port_range: '', vary: 'random', flows: 5 });
  assert.equal(Object.keys(first.template), ['base_packet']);
  assert.equal([...Buffer.from(first.template.base_packet.data, 'base64').subarray(26, 30)], [10, 0, 0, 9]);
});

test('bad keys are refused in one line naming the key', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ sizes: [60, 20] }, 'sizes[1] 20 is out of range 60..9018'],
    [{ sizes: 'big' }, 'config key "sizes" must be a list of integers, not a string'],
    [{ sizes: [] }, 'sizes has 0 entries: give 1 to 1024'],
    [{ sizes: [60, 70.5] }, 'sizes[1] must be an integer, not 70.5'],
    [{ weights: [1, 2] }, 'weights has 2 entries and sizes 3: give one weight per size'],
    [{ weights: [1, 0, 1] }, 'weights[1] 0 is out of range 1..1048576'],
    [{ src_ip: '1.2.3' }, 'src_ip "1.2.3" is not an IPv4 address'],
    [{ dst_port: 0 }, 'dst_port 0 is out of range 1..65535'],
    [{ dst_mac: 'ff:ff' }, 'dst_mac "ff:ff" is not a MAC address: want six hex pairs like 02:00:00:00:00:01'],
    [{ src_ip_range: '10.0.0.9-10.0.0.1' }, 'src_ip_range "10.0.0.9-10.0.0.1" runs backwards: 10.0.0.9 is after 10.0.0.1'],
    [{ dst_ip_range: '10.0.0.1-' }, 'dst_ip_range "10.0.0.1-" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254'],
    [{ dst_port_range: '0-10' }, 'dst_port_range "0-10": 0 is out of range 1..65535'],
    [{ dst_port_range: 70000 }, 'dst_port_range "70000": 70000 is out of range 1..65535'],
    [{ src_port_range: '20-10' }, 'src_port_range "20-10" runs backwards: 20 is after 10'],
    [{ src_port_range: 'http' }, 'src_port_range "http" is not a number or a range A-B of numbers in 1..65535'],
    [{ src_port_range: [1, 2] }, 'config key "src_port_range" must be a string, not an array'],
    [{ src_ip_range: 5 }, 'src_ip_range "5" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254'],
    [
      { src_ip_range: '0.0.0.0-255.255.255.255', dst_ip_range: '0.0.0.0-255.255.255.255' },
      'src_ip_range × dst_ip_range make more flows than a template can count (2^64-1): narrow a range',
    ],
    [{ vary: 'sometimes' }, 'vary "sometimes" must be sequential or random'],
    [{ seed: -1 }, 'seed -1 is out of range 0..9007199254740984'],
    [{ flows: 0 }, 'flows 0 is out of range 1..9007199254740991'],
    [{ size: [60] }, 'unknown config key "size" (known keys: dst_ip, dst_ip_range, dst_mac, dst_port, dst_port_range, flows, seed, sizes, src_ip, src_ip_range, src_mac, src_port, src_port_range, tos, ttl, vary, weights)'],
  ];
  for (const [config, message] of cases) {
    assert.is(await failure(config), `plugin imix: returned error code 1: ${message} (plugin_init)`);
  }
  assert.is(
    await failure({}, { ...DEVICE, mtu: 1400 }),
    'plugin imix: returned error code -1: sizes[2] 1514 does not fit the MTU 1400 of device veth-test: at most 1414 (plugin_process)',
  );
  assert.is(
    await failure({}, { ...DEVICE, mac: Buffer.alloc(0) }),
    'plugin imix: returned error code -1: the host gave no MAC address for device veth-test: set src_mac (plugin_process)',
  );
});

test('the module imports only what the host provides and is a reactor', async () => {
  const { module } = await runPlugin(IMIX, { device: DEVICE });
  for (const name of module.imports) {
    assert.ok(/^(env\.host_log|env\.host_report_metric|wasi_snapshot_preview1\.[a-z_]+)$/.test(name), name);
  }
  for (const name of ['memory', 'malloc', 'free', 'plugin_init', 'plugin_process', 'plugin_cleanup', '_initialize']) {
    assert.ok(module.exports.includes(name), `exports ${name}`);
  }
  assert.not.ok(module.exports.includes('_start'));
});

test.run();
