import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtPlugin, runPlugin } from './support/plugins.js';

// The expected frame is built here from the RFCs, with a checksum routine of the test's own, so
// the plugin is compared with an independent construction rather than with the host's decoder.
function sum16(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum >>> 16) + (sum & 0xffff);
  return sum;
}
const be16 = (n: number): number[] => [n >> 8, n & 0xff];

function expectedFrame(): Buffer {
  const srcMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
  const dstMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
  const srcIp = [192, 0, 2, 1];
  const dstIp = [198, 51, 100, 7];
  const payload = Array.from({ length: 30 }, (_, i) => i & 0xff);
  const udpLength = 8 + payload.length;
  const ip = [0x45, 0x00, ...be16(20 + udpLength), 0, 0, 0x40, 0x00, 33, 17, 0, 0, ...srcIp, ...dstIp];
  const ipChecksum = ~sum16(ip) & 0xffff;
  ip[10] = ipChecksum >> 8;
  ip[11] = ipChecksum & 0xff;
  const udp = [...be16(40000), ...be16(53), ...be16(udpLength), 0, 0, ...payload];
  const pseudo = [...srcIp, ...dstIp, 0, 17, ...be16(udpLength)];
  const udpChecksum = ~sum16([...pseudo, ...udp]) & 0xffff || 0xffff;
  udp[6] = udpChecksum >> 8;
  udp[7] = udpChecksum & 0xff;
  return Buffer.from([...dstMac, ...srcMac, 0x08, 0x00, ...ip, ...udp]);
}

const CONFIG = {
  src_ip: '192.0.2.1',
  dst_ip: '198.51.100.7',
  src_port: 40000,
  dst_port: 53,
  payload_size: 30,
  ttl: 33,
  dst_mac: '02:00:00:00:00:02',
};
const DEVICE = { name: 'veth-test', mac: Buffer.from([0x02, 0, 0, 0, 0, 0x01]), mtu: 1500, queues: 1 };

test('simpleudp builds exactly the frame the RFCs describe', async () => {
  const { templates } = await runPlugin(builtPlugin('simpleudp'), { config: CONFIG, device: DEVICE });
  assert.is(templates.length, 1);
  const expected = expectedFrame();
  assert.is(templates[0]!.length, expected.length);
  assert.is(templates[0]!.frame.toString('hex'), expected.toString('hex'));
  assert.equal(templates[0]!.tags, ['udp']);
});

test('both checksums verify: the header and the pseudo-header sums are all ones', async () => {
  const { templates } = await runPlugin(builtPlugin('simpleudp'), { config: CONFIG, device: DEVICE });
  const frame = [...templates[0]!.frame];
  assert.is(sum16(frame.slice(14, 34)), 0xffff);
  const udp = frame.slice(34, 34 + 38);
  assert.is(sum16([...frame.slice(26, 34), 0, 17, ...be16(udp.length), ...udp]), 0xffff);
});

test('--templates N gives N flows on consecutive source ports', async () => {
  const { templates } = await runPlugin(builtPlugin('simpleudp'), { config: CONFIG, device: DEVICE, templates: 4 });
  assert.equal(templates.map((t) => t.frame.readUInt16BE(34)), [40000, 40001, 40002, 40003]);
});

test('without dst_mac the neighbour MAC, then broadcast, is the destination', async () => {
  const { dst_mac: _, ...withoutMac } = CONFIG;
  const { templates } = await runPlugin(builtPlugin('simpleudp'), { config: withoutMac, device: DEVICE });
  assert.is(templates[0]!.frame.subarray(0, 6).toString('hex'), 'ffffffffffff');
});

test('bad config is refused with the key named', async () => {
  const failure = async (config: Record<string, unknown>): Promise<string> => {
    try {
      await runPlugin(builtPlugin('simpleudp'), { config, device: DEVICE });
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  };
  assert.match(await failure({ src_ip: '1.2.3' }), /^plugin simpleudp: returned error code 1: .*src_ip "1\.2\.3" is not an IPv4 address.* \(plugin_init\)$/);
  assert.match(await failure({ dst_port: 70000 }), /dst_port.*70000/);
  assert.match(await failure({ srcip: '1.2.3.4' }), /unknown config key "srcip"/);
  assert.match(await failure({ payload_size: 1473 }), /payload_size 1473 does not fit the MTU 1500/);
  assert.match(await failure({ dst_port_range: '20000-70000' }), /dst_port_range "20000-70000": 70000 is out of range 1\.\.65535 \(plugin_init\)$/);
  assert.match(await failure({ src_ip_range: '10.0.0.9-10.0.0.1' }), /src_ip_range "10\.0\.0\.9-10\.0\.0\.1" runs backwards/);
  assert.match(await failure({ vary: 'shuffle' }), /vary "shuffle" must be sequential or random/);
});

test('with ranges the base frame is the first flow, checksums and all', async () => {
  const config = { ...CONFIG, src_ip_range: '192.0.2.10-192.0.2.20', dst_port_range: '20000-20999' };
  const { templates } = await runPlugin(builtPlugin('simpleudp'), { config, device: DEVICE });
  const frame = [...templates[0]!.frame];
  assert.equal(frame.slice(26, 30), [192, 0, 2, 10]);
  assert.is(templates[0]!.frame.readUInt16BE(36), 20000);
  assert.is(sum16(frame.slice(14, 34)), 0xffff);
  const udp = frame.slice(34, 34 + 38);
  assert.is(sum16([...frame.slice(26, 34), 0, 17, ...be16(udp.length), ...udp]), 0xffff);
});

test.run();
