import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame, type FieldValue } from '../src/packet/frame-decoder.js';
import { DEFAULT_LIMITS, PluginSession } from '../src/plugin/plugin-session.js';
import { buildRequest } from '../src/plugin/template-generator.js';
import { builtPlugin, runPlugin } from './support/plugins.js';

// tcpsyn's flow keys (src_ip_range, dst_ip_range, src_port_range, dst_port_range, vary, seed,
// flows), built by the C SDK's helpers: the fields it emits, the base frame it sends with them,
// and the one-line errors naming the key. The plugin's raw JSON is read here, before the host's
// own validation, so these tests hold the plugin to the JSON the field program spec describes.

const DEVICE = { name: 'veth-test', mac: Buffer.from([0x02, 0, 0, 0, 0, 0x01]), mtu: 1500, queues: 1 };
const ADDRESSES = { src_ip: '192.0.2.1', dst_ip: '192.0.2.2' };

interface RawTemplate {
  template: { base_packet: { data: string; length: number }; fields?: unknown[]; flows?: number };
}

/** What tcpsyn writes under xdperf's contract (plugin_init, then the request with the config in it). */
async function rawOutput(config: Record<string, unknown>, templates = 1): Promise<string> {
  const session = await PluginSession.open(builtPlugin('tcpsyn'), 'tcpsyn', DEFAULT_LIMITS);
  try {
    await session.init(config);
    return await session.process(buildRequest(config, DEVICE, templates, false));
  } finally {
    await session.close();
  }
}

async function templatesOf(config: Record<string, unknown>, templates = 1): Promise<RawTemplate[]> {
  return JSON.parse(await rawOutput(config, templates)) as RawTemplate[];
}

/** The decoded IPv4 and TCP layers' addresses, ports and checksum verdicts. */
function flowOf(t: RawTemplate): Record<string, FieldValue> {
  const frame = Buffer.from(t.template.base_packet.data, 'base64');
  const layers = Object.fromEntries(decodeFrame(frame).map((layer) => [layer.name, layer.fields]));
  const ip = layers.IPv4!;
  const tcp = layers.TCP!;
  return {
    src: ip.source!, dst: ip.destination!, sport: tcp.source_port!, dport: tcp.destination_port!,
    seq: tcp.sequence!, ip_checksum: ip.checksum_state!, tcp_checksum: tcp.checksum_state!,
  };
}

async function failureOf(config: Record<string, unknown>): Promise<string> {
  try {
    await runPlugin(builtPlugin('tcpsyn'), { config, device: DEVICE });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('tcpsyn did not fail');
}

test('no range: the output is byte for byte the one without flow keys, with no fields and no flows', async () => {
  const plain = await rawOutput(ADDRESSES, 3);
  assert.not.match(plain, /"fields"|"flows"/);
  // vary, seed and flows alone vary nothing; a one-value range is the single value it names.
  const inert = { ...ADDRESSES, vary: 'random', seed: 9, flows: 100, src_ip_range: '192.0.2.1', dst_port_range: 80 };
  assert.is(await rawOutput(inert, 3), plain);
});

test('src_ip_range × src_port_range: two chained inc fields, the first values in the base frame', async () => {
  const [t] = await templatesOf({ ...ADDRESSES, src_ip_range: '10.0.0.1-10.0.0.254', src_port_range: '20000-20999' });
  assert.equal(t!.template.fields, [
    { offset: 26, size: 4, op: 'inc', min: '10.0.0.1', max: '10.0.0.254' },
    { offset: 34, size: 2, op: 'inc', min: 20000, max: 20999, chain: true },
  ]);
  assert.is(t!.template.flows, undefined);
  assert.equal(flowOf(t!), {
    src: '10.0.0.1', dst: '192.0.2.2', sport: 20000, dport: 80, seq: 0x01000000, ip_checksum: 'valid', tcp_checksum: 'valid',
  });
});

test('every range, vary random, a seed and a cap: seed + position per field, in the spec order, flows at the template', async () => {
  const [t] = await templatesOf({
    dst_port_range: '20000-20999', src_port_range: '1-65535', dst_ip_range: '192.0.2.7-192.0.2.8',
    src_ip_range: '10.0.0.1-10.0.0.254', vary: 'random', seed: 7, flows: 1000,
  });
  assert.equal(t!.template.fields, [
    { offset: 26, size: 4, op: 'random', min: '10.0.0.1', max: '10.0.0.254', seed: 7 },
    { offset: 30, size: 4, op: 'random', min: '192.0.2.7', max: '192.0.2.8', seed: 8, chain: true },
    { offset: 34, size: 2, op: 'random', min: 1, max: 65535, seed: 9, chain: true },
    { offset: 36, size: 2, op: 'random', min: 20000, max: 20999, seed: 10, chain: true },
  ]);
  assert.is(t!.template.flows, 1000);
  assert.equal(flowOf(t!), {
    src: '10.0.0.1', dst: '192.0.2.7', sport: 1, dport: 20000, seq: 0x01000000, ip_checksum: 'valid', tcp_checksum: 'valid',
  });
});

test('a one-value range emits no field, and the chain starts at the first field emitted', async () => {
  const [t] = await templatesOf({ ...ADDRESSES, src_ip_range: '10.0.0.5', dst_port_range: '443-444', vary: 'random' });
  assert.equal(t!.template.fields, [{ offset: 36, size: 2, op: 'random', min: 443, max: 444 }]);
  assert.equal([flowOf(t!).src, flowOf(t!).dport], ['10.0.0.5', 443]);
});

test('a one-port src_port_range is src_port_base: N templates send from it + i, with no field', async () => {
  const templates = await templatesOf({ ...ADDRESSES, src_port_base: 2000, src_port_range: '30000' }, 3);
  assert.equal(templates.map((t) => [flowOf(t).sport, flowOf(t).seq, t.template.fields]), [
    [30000, 0x01000000, undefined],
    [30001, 0x01000001, undefined],
    [30002, 0x01000002, undefined],
  ]);
});

test('a src_port_range of more ports and N templates is refused: the field would overwrite their ports', async () => {
  let message = '';
  try {
    await runPlugin(builtPlugin('tcpsyn'), { config: { ...ADDRESSES, src_port_range: '30000-30009' }, device: DEVICE, templates: 3 });
  } catch (error) {
    message = (error as Error).message;
  }
  assert.is(
    message,
    'plugin tcpsyn: returned error code -1: config: 3 templates would each vary the source port over src_port_range 30000-30009: ask for 1 template (plugin_process)',
  );
});

test('without a src_port_range, N templates still send from src_port_base + i, each with the same fields', async () => {
  const templates = await templatesOf({ ...ADDRESSES, src_port_base: 2000, dst_ip_range: '192.0.2.10-192.0.2.19' }, 2);
  assert.equal(templates.map((t) => flowOf(t).sport), [2000, 2001]);
  for (const t of templates) assert.equal(t.template.fields, [{ offset: 30, size: 4, op: 'inc', min: '192.0.2.10', max: '192.0.2.19' }]);
});

test('spaces around a range\'s ends are allowed, as the Go SDK allows them', async () => {
  const [t] = await templatesOf({ ...ADDRESSES, src_ip_range: ' 10.0.0.1 - 10.0.0.2 ', dst_port_range: '20000 - 20001' });
  assert.equal(t!.template.fields, [
    { offset: 26, size: 4, op: 'inc', min: '10.0.0.1', max: '10.0.0.2' },
    { offset: 36, size: 2, op: 'inc', min: 20000, max: 20001, chain: true },
  ]);
});

test('a range stands in for the address it replaces: src_ip_range and dst_ip_range alone are enough', async () => {
  const [t] = await templatesOf({ src_ip_range: '10.0.0.1-10.0.0.2', dst_ip_range: '10.1.0.1' });
  assert.equal([flowOf(t!).src, flowOf(t!).dst], ['10.0.0.1', '10.1.0.1']);
});

test('the request\'s ranges win over plugin_init\'s, as every other key does', async () => {
  const session = await PluginSession.open(builtPlugin('tcpsyn'), 'tcpsyn', DEFAULT_LIMITS);
  try {
    await session.init({ ...ADDRESSES, dst_port_range: '1000-1999', vary: 'random' });
    const request = buildRequest({ dst_port_range: '5000-5001' }, DEVICE, 1, false);
    const [t] = JSON.parse(await session.process(request)) as RawTemplate[];
    assert.equal(t!.template.fields, [{ offset: 36, size: 2, op: 'random', min: 5000, max: 5001 }]);
  } finally {
    await session.close();
  }
});

const prefix = 'plugin tcpsyn: returned error code 1: config:';
// The messages are the Go SDK's, so that every bundled plugin words a bad flow key alike.
const BAD: [Record<string, unknown>, string][] = [
  [{ src_ip_range: '10.0.0.x' }, 'src_ip_range "10.0.0.x" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254'],
  [{ dst_ip_range: '10.0.0.9-10.0.0.1' }, 'dst_ip_range "10.0.0.9-10.0.0.1" runs backwards: 10.0.0.9 is after 10.0.0.1'],
  [{ src_port_range: 'http' }, 'src_port_range "http" is not a number or a range A-B of numbers in 1..65535'],
  [{ src_port_range: '0-10' }, 'src_port_range "0-10": 0 is out of range 1..65535'],
  [{ dst_port_range: '20999-20000' }, 'dst_port_range "20999-20000" runs backwards: 20999 is after 20000'],
  [{ dst_port_range: 70000 }, 'dst_port_range "70000": 70000 is out of range 1..65535'],
  [{ dst_port_range: [1, 2] }, 'dst_port_range must be a port or a range of ports like "20000-20999"'],
  [{ vary: 'shuffle' }, 'vary "shuffle" must be sequential or random'],
  [{ flows: 0 }, 'flows 0 is out of range 1..9007199254740991'],
  [{ seed: -1 }, 'seed -1 is out of range 0..9007199254740984'],
  [
    { src_ip_range: '0.0.0.0-255.255.255.255', dst_port_range: '1-2', dst_ip_range: '0.0.0.0-255.255.255.255' },
    'src_ip_range × dst_ip_range make more flows than a template can count (2^64-1): narrow a range',
  ],
];

for (const [keys, message] of BAD) {
  test(`refused in plugin_init, naming the key: ${JSON.stringify(keys)}`, async () => {
    assert.is(await failureOf({ ...ADDRESSES, ...keys }), `${prefix} ${message} (plugin_init)`);
  });
}

test.run();
