/**
 * fast-check arbitraries for fuzzing xdperf's command line and run profiles: subcommands, the
 * real options (and unknown ones), values with number suffixes, interface and namespace names,
 * paths, and YAML profiles with keys from profile.schema.json.
 *
 * Safety: interface names all start with `fz` (never `lo`, never a host interface), namespace
 * names with `fzns`, and paths are relative to the case's own directory (or under a directory
 * that does not exist), so a fuzzed command can neither send on a real interface, nor touch a
 * real namespace, pinned counter or file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { PROFILE_SCHEMA_PATH } from '../../src/config/run-profile.js';

type Arb<T> = fc.Arbitrary<T>;

/** Interfaces of the host (the namespace the tests start in): never generated. */
const HOST_INTERFACES = new Set(readdirSync('/sys/class/net'));

// --- values ----------------------------------------------------------------------------------

/** Short strings of anything, unicode and control characters included (no NUL: argv cannot hold it). */
export const junk: Arb<string> = fc
  .oneof(
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.constantFrom('', ' ', '-', '--', '=', ',', '\n', 'a\nb', '\t', 'ü', '日本', '🦀', '\u202e', 'null', '~', '[]', '{}'),
  )
  .map((s) => s.replace(/\0/g, ''));

const amount: Arb<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -1_000_000, max: 1_000_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) }, // NaN, Infinity, -0, 5e-324, 1.7976931348623157e+308
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '', '0', '-0', '-1', '0.5', '1.5', '.5', '5.', '1..2', '+1', '1e3', '1e309', '0x10', '1_000', ' 1', '1 ',
      '9007199254740993', '99999999999999999999999', '1' + '0'.repeat(400), '0.' + '0'.repeat(30) + '1',
      'NaN', 'Infinity', '-Infinity', '١', '１', '٣k',
    ),
  },
);

const SUFFIXES = ['', 'k', 'K', 'm', 'M', 'g', 'G', 'ns', 'us', 'µs', 'ms', 's', 'h', 'b', 'B', 'kb', 'KiB', 'MiB', 'GiB', 'gib', 'x', ' k', 'pps', '%', 'e3', 'kk'];

/** A number the way a user might type it, or not quite. */
export const numberish: Arb<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(amount, fc.constantFrom(...SUFFIXES)).map(([a, s]) => a + s) },
  { weight: 1, arbitrary: junk },
);

/** Mostly numbers of the right kind (so the fuzz gets past them), sometimes anything numberish. */
const numberOf = (amounts: Arb<string>, suffixes: string[]): Arb<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.tuple(amounts, fc.constantFrom(...suffixes)).map(([a, s]) => a + s) },
    { weight: 1, arbitrary: numberish },
  );
const someAmount = fc.oneof(fc.integer({ min: 1, max: 2000 }).map(String), fc.constantFrom('0', '0.5', '1.5', '64', '1000'));
export const countValue = numberOf(fc.oneof(fc.integer({ min: 0, max: 16 }).map(String), someAmount), ['', '', 'k', 'm']);
export const durationValue = numberOf(someAmount, ['', 'ms', 'ms', 's', 'us', 'ns', 'm']);
export const sizeValue = numberOf(someAmount, ['', 'k', 'm', 'm', 'MiB', 'KiB', 'g', 'b']);
export const rateValue = numberOf(someAmount, ['', 'k', 'm', 'g']);

/**
 * `run --count` / `--duration` and `recv --duration`: accepted values are all small, so even a
 * run that got past the (missing) interface could not take long; the rest is refused anyway.
 */
const smallOrInvalid = (valid: string[]): Arb<string> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...valid) },
    { weight: 2, arbitrary: fc.constantFrom('0', '-1', '-0', '0s', '', ' ', 'NaN', 'Infinity', '1e309', '5x', 'k', 's', '1.5.', '--', '١') },
    { weight: 1, arbitrary: junk.filter((s) => !/\d/.test(s)) },
  );
export const runCount = smallOrInvalid(['1', '10', '100', '1k', '0.5k', '1.5', '2.5k']);
export const runDuration = smallOrInvalid(['1ms', '10ms', '100ms', '0.5', '1', '1s', '1500us', '2000000ns', '0.01m']);

/** Interface names that exist nowhere: `fz…`, plus invalid names. Never `lo`, never a host interface. */
export const iface: Arb<string> = fc
  .oneof(
    { weight: 6, arbitrary: fc.stringMatching(/^fz[a-z0-9._-]{0,8}$/) },
    { weight: 2, arbitrary: fc.constantFrom('', ' ', 'fz 0', 'fz0\t', 'fzüñï', 'fz' + 'x'.repeat(20), 'fz%2e0', 'fz..', '-fz0', 'fz\n0', 'fz:0', 'fz*') },
  )
  .filter((name) => !name.includes('/') && !HOST_INTERFACES.has(name.trim()) && name.trim() !== 'lo');

/** Namespace names that do not exist: `fzns…`, plus odd ones (no `/`, no `.` or `..`). */
export const netns: Arb<string> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^fzns[a-z0-9_-]{0,6}$/) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'fzns ü', 'fzns\n1', 'fzns' + 'n'.repeat(300)) },
);

/** Files in the case directory (see CASE_LAYOUT), missing ones, and odd names; all relative. */
export const filePath: Arb<string> = fc.constantFrom(
  'p.yaml', 'cfg.yaml', 'missing.yaml', 'subdir', '.', '', 'bad.wasm', 'ünï.yaml', 'fz\nname.yaml', 'sub dir/x.yaml', 'bad.wasm/x.yaml',
);
export const dirPath: Arb<string> = fc.constantFrom('.', 'plugdir', 'subdir', 'missing-dir', '', 'p.yaml', 'ünï', 'a\nb');
export const pluginSpec: Arb<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('simpleudp') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'tcpsyn', 'nope', './bad.wasm', 'bad.wasm', './empty.wasm', 'plugdir/junk.wasm', '', ' ', './missing.wasm', 'p.yaml',
      '.', 'subdir', 'subdir/', 'ünï', 'a\nb', 'simpleudp.wasm', 'SIMPLEUDP',
    ),
  },
  { weight: 1, arbitrary: junk },
);
/** Where --pcap may write: inside the case directory, or under a directory that does not exist. */
export const pcapPath: Arb<string> = fc.constantFrom(
  'out.pcap', 'out.pcap', 'subdir/out.pcap', 'missing-dir/out.pcap', 'subdir', '.', '', 'ünï.pcap', 'p.yaml', 'bad.wasm/x.pcap',
  '/nonexistent-xdperf-fuzz/x.pcap', 'a\nb.pcap',
);

const CONFIG_KEYS = ['src_ip', 'dst_ip', 'src_port', 'dst_port', 'payload_size', 'ttl', 'tos', 'src_mac', 'dst_mac'];
const HOST_KEYS = ['count', 'mtu', 'queues', 'device_name', 'device_mac_addr', 'dst_mac_addr'];
const configKey: Arb<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...CONFIG_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...HOST_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('unknown_key', 'a.b', 'a..b', '.a', 'a.', '', 'ü', 'dst_ip.x', 'a b', '__proto__', 'constructor') },
  // keys that would reach Object.prototype if a config were built carelessly
  { weight: 1, arbitrary: fc.constantFrom('__proto__.x', '__proto__.toString', '__proto__.count', 'constructor.prototype.x', 'a.__proto__.b', 'toString', 'hasOwnProperty') },
);
const configText: Arb<string> = fc.oneof(
  { weight: 3, arbitrary: numberish },
  { weight: 2, arbitrary: fc.constantFrom('10.0.0.1', '10.77.0.2', '300.1.1.1', '::1', '10.0.0', 'aa:bb:cc:dd:ee:ff', 'zz:zz', '00:00:00:00:00:00') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('[1, 2]', '{a: 1}', 'null', '~', 'true', '&a x', '*a', '!!binary AA', '!foo x', '"unterminated', "'x", '- a', 'a: b', '%', '@x', '`x', '? x'),
  },
  { weight: 1, arbitrary: junk },
);
/** `--set` arguments: key=value, mostly of simpleudp's keys, and malformed ones. */
export const setting: Arb<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(configKey, configText).map(([k, v]) => `${k}=${v}`) },
  { weight: 1, arbitrary: fc.oneof(configKey, configText.map((v) => `=${v}`)) },
);

const idList: Arb<string> = fc.oneof(
  fc.constantFrom('0', '1', '2', '0,1', '1-3', '3-1', '0,0', ',', '', '2,3', '3,', '0-', '-1', '1 ,2', '0-1000000', '99999999999999999999', 'a', '1.5', '١'),
  numberish,
);

export const VALUES = {
  profile: filePath,
  plugin: pluginSpec,
  dir: dirPath,
  file: filePath,
  kv: setting,
  count: countValue,
  duration: durationValue,
  size: sizeValue,
  rate: rateValue,
  gbps: numberOf(fc.constantFrom('0.001', '1', '2.5', '10', '0', '400', '1e3'), ['']),
  runCount,
  runDuration,
  iface,
  netns,
  ids: idList,
  engine: fc.oneof(fc.constantFrom('auto', 'afxdp', 'xdp', 'packet', 'raw', 'AUTO', ''), junk),
  xdpMode: fc.oneof(fc.constantFrom('auto', 'zerocopy', 'copy', 'Copy', ''), junk),
  action: fc.oneof(fc.constantFrom('drop', 'pass', 'DROP', ''), junk),
  pcap: pcapPath,
  // Bound in the fuzz's own network namespace, where only lo exists.
  metricsAddr: fc.oneof(fc.constantFrom('127.0.0.1:9', ':9', '[::1]:9', 'localhost:9', ':0', ':65536', '10.1.2.3:9', 'foo', '[::1]', '::1:9', ':', ''), junk),
} satisfies Record<string, Arb<string>>;

type Kind = keyof typeof VALUES | 'flag';
type OptionSpec = readonly [flag: string, kind: Kind];

// --- the command line ------------------------------------------------------------------------

const PLUGIN_OPTIONS: OptionSpec[] = [
  ['-c', 'profile'], ['--config', 'profile'], ['-p', 'plugin'], ['--plugin', 'plugin'], ['--plugin-dir', 'dir'],
  ['--plugin-config', 'file'], ['--set', 'kv'], ['--templates', 'count'], ['--plugin-timeout', 'duration'],
  ['--plugin-memory', 'size'], ['--plugin-output', 'size'], ['--dev', 'iface'], ['-v', 'flag'], ['--verbose', 'flag'],
];

export const COMMAND_OPTIONS: Record<string, OptionSpec[]> = {
  run: [
    ...PLUGIN_OPTIONS,
    ['--pps', 'rate'], ['--bps', 'rate'], ['--gbps', 'gbps'], ['--count', 'runCount'], ['--duration', 'runDuration'],
    ['--queues', 'ids'], ['--cpus', 'ids'], ['--batch', 'count'], ['--engine', 'engine'], ['--xdp-mode', 'xdpMode'],
    ['--xdp-batch', 'count'], ['--rx-dev', 'iface'], ['--rx-netns', 'netns'], ['--interval', 'duration'], ['--json', 'flag'],
    ['--metrics-addr', 'metricsAddr'],
  ],
  probe: [['--dev', 'iface'], ['--json', 'flag']],
  recv: [
    ['--dev', 'iface'], ['--netns', 'netns'], ['--duration', 'runDuration'], ['--action', 'action'], ['--interval', 'duration'],
    ['--pin', 'flag'], ['--unpin', 'flag'], ['--json', 'flag'], ['--metrics-addr', 'metricsAddr'],
  ],
  templates: [...PLUGIN_OPTIONS, ['--pcap', 'pcap'], ['--json', 'flag']],
  plugins: [['--plugin-dir', 'dir'], ['--json', 'flag']],
};
const ALL_OPTIONS: OptionSpec[] = [...new Map(Object.values(COMMAND_OPTIONS).flat().map((o) => [o[0], o])).values()];

const unknownFlag: Arb<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('--frobnicate', '--pps2', '--Pps', '--PPS', '-x', '-', '--', '---', '--=', '--pps=', '-pps', '-cp', '-vv', '--no-json', '--plugin-', '--dev=') },
  { weight: 1, arbitrary: fc.constantFrom('-h', '--help', '-V', '--version') },
  { weight: 2, arbitrary: fc.stringMatching(/^--[a-z-]{1,12}$/) },
  { weight: 1, arbitrary: junk.map((s) => `--${s}`) },
);

/** One option as argv tokens: `--flag value`, `--flag=value`, `-cVALUE`, or the value missing. */
function optionTokens([flag, kind]: OptionSpec): Arb<string[]> {
  if (kind === 'flag') {
    return fc.oneof({ weight: 9, arbitrary: fc.constant<string[]>([flag]) }, { weight: 1, arbitrary: junk.map((v) => [`${flag}=${v}`]) });
  }
  const value: Arb<string> = VALUES[kind];
  return fc.oneof(
    { weight: 16, arbitrary: value.map((v) => [flag, v]) },
    { weight: 2, arbitrary: value.map((v) => [flag.startsWith('--') ? `${flag}=${v}` : `${flag}${v}`]) },
    { weight: 1, arbitrary: fc.constant<string[]>([flag]) },
  );
}

function optionFor(command: string): Arb<string[]> {
  const own = Object.hasOwn(COMMAND_OPTIONS, command) ? COMMAND_OPTIONS[command]! : ALL_OPTIONS;
  return fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...own).chain(optionTokens) },
    { weight: 1, arbitrary: fc.constantFrom(...ALL_OPTIONS).chain(optionTokens) },
    { weight: 1, arbitrary: fc.tuple(unknownFlag, fc.option(junk, { nil: undefined })).map(([f, v]) => (v === undefined ? [f] : [f, v])) },
  );
}

/** Options that get a command past its first checks, so the fuzz also reaches the deeper ones. */
const REACH: Record<string, string[][]> = {
  run: [['--plugin', 'simpleudp'], ['--dev', 'fz0']],
  templates: [['--plugin', 'simpleudp']],
  recv: [['--dev', 'fz1']],
  probe: [['--dev', 'fz2']],
};

/** undefined, or now and then a value. */
const rarely = <T>(arb: Arb<T>): Arb<T | undefined> => fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

export const commandName: Arb<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('run') },
  { weight: 6, arbitrary: fc.constant('templates') },
  { weight: 3, arbitrary: fc.constant('recv') },
  { weight: 2, arbitrary: fc.constant('probe') },
  { weight: 2, arbitrary: fc.constant('plugins') },
  { weight: 1, arbitrary: fc.constantFrom('help', 'RUN', 'runn', 'template', 'plugin', '-h', '--help', '-V', '--version', '') },
  { weight: 1, arbitrary: junk },
);

/** A whole command line (without `xdperf` itself). */
export const argv: Arb<string[]> = commandName.chain((command) =>
  fc
    .record({
      before: rarely(fc.constantFrom(['--help'], ['-V'], ['--json'], ['--dev', 'fz0'], ['help'], ['help', 'run'], ['help', 'bogus'])),
      reach: fc.oneof(
        { weight: 3, arbitrary: fc.constant(Object.hasOwn(REACH, command) ? REACH[command]! : []) },
        { weight: 1, arbitrary: fc.subarray(Object.hasOwn(REACH, command) ? REACH[command]! : []) },
      ),
      options: fc.array(optionFor(command), { maxLength: 5 }),
      positional: rarely(junk),
    })
    .chain(({ before, reach, options, positional }) =>
      fc.shuffledSubarray([...reach, ...options], { minLength: reach.length + options.length }).map((shuffled) => [
        ...(before ?? []),
        ...(command === '' && before === undefined ? [] : [command]),
        ...shuffled.flat(),
        ...(positional === undefined ? [] : [positional]),
      ]),
    ),
);

// --- profiles --------------------------------------------------------------------------------

const SCHEMA = JSON.parse(readFileSync(PROFILE_SCHEMA_PATH, 'utf8')) as { properties: Record<string, unknown> };
export const PROFILE_KEYS = Object.keys(SCHEMA.properties);

const scalar: Arb<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 10 }),
  numberish,
);
const wrongType: Arb<unknown> = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 3 }) },
);
const small = (values: (string | number)[]): Arb<unknown> => fc.constantFrom(...values);

/** Values that fit each profile key, or nearly. */
const FITTING: Record<string, Arb<unknown>> = {
  plugin: fc.oneof({ weight: 4, arbitrary: fc.constant('simpleudp') }, { weight: 1, arbitrary: pluginSpec }),
  plugin_dir: fc.array(dirPath, { maxLength: 3 }),
  plugin_config: fc.dictionary(configKey, fc.oneof(scalar, configText), { maxKeys: 4 }),
  plugin_timeout: fc.oneof(durationValue, fc.double({ min: 0, max: 1e6 })),
  plugin_memory: fc.oneof(sizeValue, fc.integer({ min: 0, max: 2 ** 33 })),
  plugin_output: fc.oneof(sizeValue, fc.integer({ min: 0, max: 2 ** 31 })),
  templates: fc.oneof(countValue, fc.integer({ min: -2, max: 70000 })),
  dev: iface,
  pcap: pcapPath,
  json: fc.boolean(),
  verbose: fc.boolean(),
  pps: fc.oneof(rateValue, fc.integer()),
  bps: fc.oneof(rateValue, fc.integer()),
  gbps: fc.oneof(fc.double(), small([0.001, 2.5, 1e308, 1e400])),
  count: fc.oneof(runCount, small([0, 1, 10, 1000, -1])),
  duration: fc.oneof(runDuration, small([0, 0.001, 0.5, 1, -1])),
  queues: fc.oneof(idList, fc.integer({ min: -1, max: 5000 })),
  cpus: fc.oneof(idList, fc.integer({ min: -1, max: 5000 })),
  batch: fc.oneof(countValue, fc.integer()),
  xdp_mode: VALUES.xdpMode,
  xdp_batch: fc.oneof(countValue, fc.integer()),
  engine: VALUES.engine,
  interval: fc.oneof(durationValue, fc.double()),
  rx_dev: iface,
  rx_netns: netns,
  metrics_addr: VALUES.metricsAddr,
};

const unknownKey: Arb<string> = fc.oneof(
  fc.constantFrom('ppss', 'plugin-timeout', 'Plugin', 'rx-dev', 'set', 'config', 'c', '', ' ', '__proto__', 'ü'),
  fc.string({ maxLength: 8 }),
);

/** A profile as data: schema keys with fitting or wrong values, sometimes unknown keys. */
export const profileDocument: Arb<Record<string, unknown>> = fc
  .tuple(
    fc.record(
      Object.fromEntries(PROFILE_KEYS.map((key) => [key, fc.oneof({ weight: 4, arbitrary: FITTING[key] ?? wrongType }, { weight: 1, arbitrary: wrongType })])),
      { requiredKeys: [] },
    ),
    rarely(fc.dictionary(unknownKey, wrongType, { minKeys: 1, maxKeys: 2 })),
  )
  // At most a few keys: a profile with all of them set mostly fails on the first one.
  .chain(([known, unknown]) =>
    fc
      .shuffledSubarray(Object.entries({ ...known, ...unknown }), { maxLength: Math.min(6, Object.keys({ ...known, ...unknown }).length) })
      .map((entries) => Object.fromEntries(entries)),
  );

const ALIAS_BOMB = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');

const BROKEN_YAML = [
  'plugin: [unclosed', 'a: b: c', '\tplugin: simpleudp', 'plugin: "simpleudp', '? [a]\n: b', '&a [*a, *a]', 'plugin: !!binary %%%',
  'plugin: simpleudp\nplugin: simpleudp', '---\nplugin: a\n---\nplugin: b', '%YAML 9.9\n---\nplugin: a', '- a\n- b', '42', '"just a string"',
  '', '~', '\n\n', 'plugin: !foo simpleudp', 'plugin_config: !!set {a, b}', 'templates: !!int x', 'plugin: *nowhere', '{', '}',
  'plugin_config:\n  a: 1\n a: 2', ALIAS_BOMB, 'plugin_config: &a {x: *a}', 'plugin: simpleudp\nplugin_config: &a [*a]',
  'plugin: simpleudp\nplugin_config:\n  __proto__: {count: 1}', '__proto__: {plugin: simpleudp}', 'plugin: simpleudp\nplugin_config: {toString: 1, hasOwnProperty: 2}',
  'plugin: simpleudp\nplugin_config: {x: !!binary AAAA}', 'plugin: simpleudp\nplugin_config: {dst_ip: !!timestamp 2001-12-14}', 'plugin: simpleudp\ntemplates: !!float 2', '\ufeffplugin: simpleudp', 'plugin: simpleudp\u0000', 'plugin: simpleudp\n' + 'x'.repeat(5000),
];

/** The text of a profile: YAML or JSON of a document, broken YAML, or noise. */
export const profileText: Arb<string> = fc.oneof(
  { weight: 8, arbitrary: profileDocument.map((doc) => toYaml(doc)) },
  { weight: 1, arbitrary: profileDocument.map((doc) => JSON.stringify(doc)) },
  { weight: 3, arbitrary: fc.constantFrom(...BROKEN_YAML) },
  { weight: 1, arbitrary: fc.tuple(profileDocument, junk).map(([doc, noise]) => toYaml(doc) + noise) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** A --plugin-config file: a mapping of plugin keys, or not. */
export const pluginConfigText: Arb<string> = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(configKey, fc.oneof(scalar, configText), { maxKeys: 4 }).map((doc) => toYaml(doc)) },
  { weight: 1, arbitrary: fc.constantFrom(...BROKEN_YAML) },
  { weight: 1, arbitrary: junk },
);
