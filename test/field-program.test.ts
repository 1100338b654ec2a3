import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseTemplates } from '../src/plugin/packet-template.js';

// IPv4/UDP 10.0.0.1:1000 → 10.0.0.2:20000, 60 bytes, checksums right (the fields fixture's).
const UDP_FRAME = Buffer.from(
  '02000000000202000000000108004500002e000040004011' + '26bd0a0000010a00000203e84e20001ae047' + Buffer.from('xdperf-fields-test').toString('hex'),
  'hex',
);
const DST_PORT = 36;
const SRC_IP = 26;

type Json = Record<string, unknown>;

function response(templates: Json[][] | Json[], extra: Json = {}): string {
  const lists = (Array.isArray(templates[0]) ? templates : [templates]) as Json[][];
  return JSON.stringify(
    lists.map((fields) => ({ template: { base_packet: { data: UDP_FRAME.toString('base64'), length: UDP_FRAME.length }, fields, ...extra } })),
  );
}

/** The one-line error a plugin responding `output` gets. */
function refusal(output: string): string {
  try {
    parseTemplates('fx', output);
  } catch (error) {
    const message = (error as Error).message;
    assert.not.match(message, /\n/);
    return message;
  }
  throw new Error(`${output} was not refused`);
}

const port = (more: Json = {}): Json => ({ offset: DST_PORT, size: 2, op: 'inc', min: 20000, max: 20999, ...more });

test('shape errors name the template and the field, one line each', () => {
  const cases: [Json[] | Json[][], string][] = [
    [[port(), port(), port({ size: 17 })], 'template 0: field 2: size must be 1..16'],
    [[port({ size: 0 })], 'template 0: field 0: size must be 1..16'],
    [[port({ offset: -1 })], 'template 0: field 0: offset must be 0..9017'],
    [[port({ offset: 1.5 })], 'template 0: field 0: offset must be an integer'],
    [[port({ op: 'add' })], 'template 0: field 0: op must be one of inc, dec, random, list, not "add"'],
    [[{ offset: DST_PORT, size: 2, min: 1, max: 2 }], 'template 0: field 0: op is missing'],
    [[port({ width: 2 })], 'template 0: field 0: width is not a field key (offset, size, op, min, max, step, seed, values, chain)'],
    [[port({ max: undefined })], 'template 0: field 0: max is missing (op inc needs min and max)'],
    [[{ offset: DST_PORT, size: 2, op: 'list' }], 'template 0: field 0: values is missing (op list needs values)'],
    [[port({ seed: 7 })], 'template 0: field 0: seed is not used by op inc'],
    [[port({ op: 'random', step: 2 })], 'template 0: field 0: step is not used by op random'],
    [[port({ op: 'dec', values: [1] })], 'template 0: field 0: values is not used by op dec'],
    [[{ offset: DST_PORT, size: 2, op: 'list', values: [1], min: 1 }], 'template 0: field 0: min is not used by op list'],
    [[port({ step: 0 })], 'template 0: field 0: step must be at least 1'],
    [[port({ op: 'random', seed: -1 })], 'template 0: field 0: seed must be at least 0'],
    [[port({ step: 2 ** 60 })], 'template 0: field 0: step is more than 2^53-1'],
    [[port({ chain: 'yes' })], 'template 0: field 0: chain must be true or false'],
    [[port({ min: true })], 'template 0: field 0: min must be an integer or a string'],
    [[port({ min: -5 })], 'template 0: field 0: min must be at least 0'],
    [[port({ max: '' })], 'template 0: field 0: max is empty'],
    [[port({ max: 2 ** 60 })], 'template 0: field 0: max is more than 2^53-1: write larger values as strings ("0x…" or decimal)'],
    [[{ offset: DST_PORT, size: 2, op: 'list', values: [] }], 'template 0: field 0: values is empty'],
    [[{ offset: DST_PORT, size: 2, op: 'list', values: [1, 2.5] }], 'template 0: field 0: values[1] must be an integer or a string'],
    [[[port()], [port(), 'x' as unknown as Json]], 'template 1: field 1: must be an object'],
    [Array.from({ length: 9 }, (_, i) => port({ offset: i * 2 })), 'template 0: more than 8 fields'],
  ];
  for (const [fields, expected] of cases) assert.is(refusal(response(fields)), `plugin fx: ${expected} (validate)`);
  assert.is(refusal(response([port()], { flows: 0 })), 'plugin fx: template 0: flows must be at least 1 (validate)');
  assert.is(refusal(response([port()], { flows: 'all' })), 'plugin fx: template 0: flows must be an integer (validate)');
});

test('a value that does not fit its field is refused before the core is asked', () => {
  assert.is(refusal(response([port({ max: 65536 })])), 'plugin fx: template 0: field 0: max 65536 does not fit in 2 bytes (at most 65535) (validate)');
  assert.is(
    refusal(response([port(), { offset: SRC_IP, size: 2, op: 'inc', min: '10.0.0.1', max: '10.0.0.9', chain: true }])),
    'plugin fx: template 0: field 1: min "10.0.0.1" is an IPv4 address, which needs size 4, not 2 (validate)',
  );
  assert.is(
    refusal(response([{ offset: SRC_IP, size: 4, op: 'list', values: ['10.0.0.1', 'ten'] }])),
    'plugin fx: template 0: field 0: values[1] "ten" is not a number (decimal or 0x-hex) nor an IPv4, IPv6 or MAC address (validate)',
  );
});

test('list values over all templates are limited to 65,536', () => {
  const list = (n: number): Json => ({ offset: DST_PORT, size: 2, op: 'list', values: Array.from({ length: n }, (_, i) => i) });
  assert.is(refusal(response([[list(40000)], [list(30000)]])), 'plugin fx: the templates\' list fields hold 70000 values in all; at most 65536 (validate)');
});

test('errors outside field programs keep their response path', () => {
  const output = JSON.stringify([{ template: { base_packet: { data: UDP_FRAME.toString('base64'), length: 10 } } }]);
  assert.is(refusal(output), 'plugin fx: response[0].template.base_packet.length must be >= 14 (validate)');
});

test('without fields a template is exactly as before: no program, no native core asked', () => {
  for (const output of [JSON.stringify([{ template: { base_packet: { data: UDP_FRAME.toString('base64'), length: 60 } } }]), response([])]) {
    const [template] = parseTemplates('fx', output);
    assert.is(template!.program, undefined);
    assert.equal(template!.frame, UDP_FRAME);
  }
});

// --- what the native core decides (describeFields): these need it built -------------------------

test('the core refuses what only it can judge, worded as the template and field', () => {
  const cases: [Json[], RegExp][] = [
    [[{ offset: 58, size: 4, op: 'inc', min: 0, max: 9 }], /^plugin fx: template 0: field 0\b.*\bend\b/],
    [[port(), { offset: DST_PORT + 1, size: 2, op: 'inc', min: 0, max: 9, chain: true }], /^plugin fx: template 0: field 1\b.*overlap/],
    [[{ offset: 40, size: 2, op: 'inc', min: 0, max: 9 }], /^plugin fx: template 0: field 0\b.*overlaps the UDP checksum/],
    [[port({ min: 20999, max: 20000 })], /^plugin fx: template 0: field 0\b.*min/],
    [[port({ chain: true })], /^plugin fx: template 0: field 0\b.*chain/],
  ];
  for (const [fields, expected] of cases) assert.match(refusal(response(fields)), expected);
});

test('a template with fields keeps its program, its flow count and the base frame the core made', () => {
  const broken = Buffer.from(UDP_FRAME);
  broken.writeUInt16BE(0, 24); // the IPv4 header checksum, left for the core
  const output = JSON.stringify([
    {
      template: {
        base_packet: { data: broken.toString('base64'), length: 60 },
        fields: [port({ max: 20249 }), { offset: SRC_IP, size: 4, op: 'list', values: ['10.0.0.1', '10.0.0.3', '10.0.0.5', '10.0.0.7'], chain: true }],
      },
    },
    { template: { base_packet: { data: broken.toString('base64'), length: 60 }, fields: [port({ op: 'random', min: 1, max: 65535 })], flows: 100 } },
  ]);
  const [sequential, random] = parseTemplates('fx', output);
  assert.equal(sequential!.frame, UDP_FRAME, 'the IPv4 header checksum computed');
  assert.equal({ flows: sequential!.program!.flows, random: sequential!.program!.random, cap: sequential!.program!.flowCap }, { flows: 1000, random: false, cap: undefined });
  assert.equal(sequential!.program!.fields[1]!.values!.map((v) => v.toString('hex')), ['0a000001', '0a000003', '0a000005', '0a000007']);
  assert.equal({ flows: random!.program!.flows, random: random!.program!.random, cap: random!.program!.flowCap }, { flows: 100, random: true, cap: 100 });
});

test.run();
