import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame, type FieldValue } from '../src/packet/frame-decoder.js';
import { DEFAULT_LIMITS, PluginSession } from '../src/plugin/plugin-session.js';
import { parseTemplates } from '../src/plugin/packet-template.js';
import type { PluginContract } from '../src/plugin/template-generator.js';
import { builtPlugin, runPlugin } from './support/plugins.js';

// Every shipped plugin must build the same frames whether the host calls plugin_init with the
// config (xdperf's contract) or never calls it and passes the config in the request (the seed's),
// and start from its defaults when it is given no config at all.

const DEVICE = { name: 'veth-test', mac: Buffer.from([0x02, 0, 0, 0, 0, 0x01]), mtu: 1500, queues: 1 };
const CONTRACTS: PluginContract[] = ['xdperf', 'seed'];

/** Each decoded layer's fields by layer name, the checksum values left out (their states stay). */
function layersOf(frame: Buffer): Record<string, Record<string, FieldValue>> {
  return Object.fromEntries(
    decodeFrame(frame).map((layer) => {
      const { checksum: _, ...fields } = layer.fields;
      return [layer.name, fields];
    }),
  );
}

async function framesOf(plugin: string, contract: PluginContract, config: Record<string, unknown> = {}, templates = 1): Promise<Buffer[]> {
  const result = await runPlugin(builtPlugin(plugin), { config, contract, device: DEVICE, templates });
  return result.templates.map((t) => t.frame);
}

async function failureOf(plugin: string, contract: PluginContract, config: Record<string, unknown> = {}): Promise<string> {
  try {
    await runPlugin(builtPlugin(plugin), { config, contract, device: DEVICE });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${plugin} did not fail`);
}

const UDP_CONFIG = {
  src_ip: '192.0.2.1',
  dst_ip: '198.51.100.7',
  src_port: 40000,
  dst_port: 53,
  payload_size: 30,
  ttl: 33,
  tos: 8,
  dst_mac: '02:00:00:00:00:02',
};

for (const contract of CONTRACTS) {
  test(`simpleudp, ${contract} contract: the config shapes the frame`, async () => {
    const [frame] = await framesOf('simpleudp', contract, UDP_CONFIG);
    assert.equal(layersOf(frame!), {
      Ethernet: { source: '02:00:00:00:00:01', destination: '02:00:00:00:00:02', ether_type: 0x0800 },
      IPv4: {
        source: '192.0.2.1', destination: '198.51.100.7', ttl: 33, tos: 8, protocol: 17, total_length: 58,
        identification: 0, dont_fragment: true, checksum_state: 'valid',
      },
      UDP: { source_port: 40000, destination_port: 53, length: 38, checksum_state: 'valid' },
      Payload: { length: 30, padding: 0 },
    });
  });

  test(`simpleudp, ${contract} contract, no config: the defaults`, async () => {
    const [frame] = await framesOf('simpleudp', contract);
    assert.equal(layersOf(frame!), {
      Ethernet: { source: '02:00:00:00:00:01', destination: 'ff:ff:ff:ff:ff:ff', ether_type: 0x0800 },
      IPv4: {
        source: '10.250.0.1', destination: '10.250.0.2', ttl: 64, tos: 0, protocol: 17, total_length: 46,
        identification: 0, dont_fragment: true, checksum_state: 'valid',
      },
      UDP: { source_port: 12345, destination_port: 9, length: 26, checksum_state: 'valid' },
      Payload: { length: 18, padding: 0 },
    });
  });
}

test('simpleudp: both contracts give the same bytes, N templates included', async () => {
  assert.equal(await framesOf('simpleudp', 'seed', UDP_CONFIG, 3), await framesOf('simpleudp', 'xdperf', UDP_CONFIG, 3));
});

const SYN_CONFIG = {
  src_ip: '192.0.2.1',
  dst_ip: '192.0.2.2',
  dst_port: 443,
  src_port_base: 2000,
  ttl: 32,
  window: 1024,
  mss: 1400,
  dst_mac: '02:00:00:00:00:02',
};

/** The SYN's layers and its MSS option (bytes 54..57: kind 2, length 4, value). */
function synOf(frame: Buffer): { layers: Record<string, Record<string, FieldValue>>; mss: number } {
  assert.equal([frame[54], frame[55]], [2, 4]);
  return { layers: layersOf(frame), mss: frame.readUInt16BE(56) };
}

for (const contract of CONTRACTS) {
  test(`tcpsyn, ${contract} contract: the config shapes the SYN`, async () => {
    const [frame] = await framesOf('tcpsyn', contract, SYN_CONFIG);
    assert.equal(synOf(frame!), {
      layers: {
        Ethernet: { source: '02:00:00:00:00:01', destination: '02:00:00:00:00:02', ether_type: 0x0800 },
        IPv4: {
          source: '192.0.2.1', destination: '192.0.2.2', ttl: 32, tos: 0, protocol: 6, total_length: 44,
          identification: 0, dont_fragment: true, checksum_state: 'valid',
        },
        TCP: {
          source_port: 2000, destination_port: 443, sequence: 0x01000000, acknowledgment: 0, header_length: 24,
          flags: 'SYN', window: 1024, checksum_state: 'valid',
        },
        Payload: { length: 0, padding: 2 },
      },
      mss: 1400,
    });
  });

  test(`tcpsyn, ${contract} contract, only the required addresses: the defaults`, async () => {
    const [frame] = await framesOf('tcpsyn', contract, { src_ip: '192.0.2.1', dst_ip: '192.0.2.2' });
    const { layers, mss } = synOf(frame!);
    assert.is(layers.Ethernet!.destination, 'ff:ff:ff:ff:ff:ff');
    assert.is(layers.IPv4!.ttl, 64);
    assert.equal(
      [layers.TCP!.source_port, layers.TCP!.destination_port, layers.TCP!.window, layers.TCP!.checksum_state],
      [1024, 80, 64240, 'valid'],
    );
    // xdperf's request carries the MTU (1500 - 40); the seed's does not, and 1460 is the default.
    assert.is(mss, 1460);
  });
}

test('tcpsyn: both contracts give the same bytes, N templates included', async () => {
  assert.equal(await framesOf('tcpsyn', 'seed', SYN_CONFIG, 3), await framesOf('tcpsyn', 'xdperf', SYN_CONFIG, 3));
});

test('tcpsyn, no config: src_ip is required under either contract, said the same way', async () => {
  const required = 'config: src_ip is required, e.g. "src_ip": "192.0.2.1"';
  assert.is(await failureOf('tcpsyn', 'xdperf'), `plugin tcpsyn: returned error code 1: ${required} (plugin_init)`);
  assert.is(await failureOf('tcpsyn', 'seed'), `plugin tcpsyn: returned error code -1: ${required} (plugin_process)`);
});

// A seed host may add keys of its own to the request, which a plugin cannot tell from a typo: they
// are warned about, not refused. plugin_init's config is the user's alone, so there they stay errors.
for (const plugin of ['simpleudp', 'tcpsyn', 'imix']) {
  // imix makes one template per size: one size, so that it makes one template as the others do.
  const config = plugin === 'tcpsyn' ? { src_ip: '192.0.2.1', dst_ip: '192.0.2.2' } : plugin === 'imix' ? { sizes: [60] } : {};
  test(`${plugin}: an unknown key is a warning in a seed request and an error in plugin_init`, async () => {
    const seed = await runPlugin(builtPlugin(plugin), { config: { ...config, dst_prot: 53 }, contract: 'seed', device: DEVICE });
    assert.is(seed.templates.length, 1);
    const warnings = seed.logs.filter((l) => l.level === 2).map((l) => l.message);
    assert.ok(
      warnings.some((w) => w.startsWith('request key "dst_prot" ignored: not a config key of this plugin (known keys: ')),
      JSON.stringify(warnings),
    );
    assert.match(await failureOf(plugin, 'xdperf', { ...config, dst_prot: 53 }), /unknown (config )?key "dst_prot".*\(plugin_init\)$/);
  });

  test(`${plugin}: a bad value in a seed request fails the call, naming the key`, async () => {
    assert.match(await failureOf(plugin, 'seed', { ...config, ttl: 999 }), /^plugin \S+: returned error code -1: .*ttl.*999.* \(plugin_process\)$/);
  });
}

// A host that sends plugin_init one config and the request another: the request's keys win, and
// what the request does not say comes from plugin_init. Driven through the session directly, since
// xdperf's own host always sends the same config both ways.
for (const plugin of ['simpleudp', 'tcpsyn', 'imix']) {
  test(`${plugin}: request keys win over plugin_init's config`, async () => {
    const session = await PluginSession.open(builtPlugin(plugin), plugin, DEFAULT_LIMITS);
    try {
      await session.init({ src_ip: '192.0.2.1', dst_ip: '192.0.2.2', ttl: 20 });
      const output = await session.process({ dst_ip: '192.0.2.99', count: 1, device_mac_addr: DEVICE.mac.toString('base64') });
      const [template] = parseTemplates(plugin, output);
      const { IPv4: ip } = layersOf(template!.frame);
      assert.equal([ip!.source, ip!.destination, ip!.ttl, ip!.checksum_state], ['192.0.2.1', '192.0.2.99', 20, 'valid']);
    } finally {
      await session.close();
    }
  });
}

test.run();
