/**
 * Every option of every command, declared once. A row holds:
 * - `flag`, as commander takes it: its long name is the row's key in kebab-case (`xdpBatch` is
 *   `--xdp-batch`), and the key of a run profile with `_` for `-` (`xdp_batch`);
 * - `help`, one text, or one per command;
 * - `commands`, the commands that take it;
 * - `type`, what its value is (option-values.ts): how a flag or a profile value is read, and the
 *   profile's JSON Schema for it;
 * - `default`, the value when neither the flag nor the profile gives one (none: undefined);
 * - `profile`, whether a run profile (`-c`) may set it.
 *
 * From this table come each command's options (cli/main.ts), the profile's JSON Schema
 * (profileSchema(), which profile.schema.json must equal: test/options.test.ts) and the settings
 * (resolveOptions: the flag, else the profile, else the default). The order of the rows is the
 * order of the options in each command's --help, and the order in which values are checked.
 */
import { ENGINE_REQUESTS } from '../engine/engine-choice.js';
import { UsageError, XdperfError } from '../errors.js';
import { DEFAULT_LIMITS } from '../plugin/plugin-session.js';
import {
  count,
  cpuList,
  duration,
  gigabits,
  htmlFile,
  interval,
  listenAddress,
  oneOf,
  pluginConfig,
  positive,
  queues,
  SCHEMA_DEFINITIONS,
  size,
  startAt,
  strings,
  text,
  toggle,
  within,
  type JsonSchema,
  type ValueType,
} from './option-values.js';

export const COMMANDS = ['run', 'recv', 'probe', 'templates', 'plugins'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** V: the resolved value; F: what commander gives for the flag; C: the commands that take it. */
export interface OptionRow<V = unknown, F = unknown, C extends CommandName = CommandName> {
  readonly flag: string;
  readonly help: string | { readonly [K in CommandName]?: string };
  readonly commands: readonly C[];
  readonly type: ValueType<unknown, F>;
  readonly default: V;
  readonly profile: boolean;
}

interface RowSpec<T, F, C extends CommandName> {
  flag: string;
  /** One text for every command, or one for each of them. */
  help: string | NoInfer<{ readonly [K in C]: string }>;
  commands: readonly C[];
  type: ValueType<T, F>;
  profile: boolean;
}

function option<T, F, const C extends CommandName>(spec: RowSpec<T, F, C> & { default: NoInfer<T> }): OptionRow<T, F, C>;
function option<T, F, const C extends CommandName>(spec: RowSpec<T, F, C>): OptionRow<T | undefined, F, C>;
function option(spec: Omit<OptionRow, 'default'> & { default?: unknown }): OptionRow {
  return { default: undefined, ...spec };
}

const PLUGIN_COMMANDS = ['run', 'templates'] as const;
/** The most variants `templates --variants` shows of each template. */
export const MAX_VARIANTS = 1_000_000;
export const XDP_MODES = ['auto', 'zerocopy', 'copy'] as const;
export const STAMP_CLOCKS = ['monotonic', 'tai'] as const;
export type XdpMode = (typeof XDP_MODES)[number];

export const OPTIONS = {
  config: option({
    flag: '-c, --config <profile.yaml>',
    help: 'run profile: a YAML file holding any of these options (flags override it)',
    commands: PLUGIN_COMMANDS,
    type: text('a run profile'),
    profile: false,
  }),
  plugin: option({
    flag: '-p, --plugin <path|name>',
    help: 'plugin: a .wasm file, or a name looked up on the plugin search path',
    commands: PLUGIN_COMMANDS,
    type: text('a plugin name or a path to a .wasm file'),
    profile: true,
  }),
  pluginDir: option({
    flag: '--plugin-dir <dir>',
    help: {
      run: 'extra directory searched for plugins first (repeatable)',
      templates: 'extra directory searched for plugins first (repeatable)',
      plugins: 'extra directory to search first (repeatable)',
    },
    commands: [...PLUGIN_COMMANDS, 'plugins'],
    type: strings('a list of directories searched for plugins'),
    default: [],
    profile: true,
  }),
  pluginConfig: option({
    flag: '--plugin-config <file>',
    help: "plugin's config as a YAML or JSON file",
    commands: PLUGIN_COMMANDS,
    type: pluginConfig,
    profile: true,
  }),
  set: option({
    flag: '--set <key=value>',
    help: 'set one plugin config key (repeatable, overrides --plugin-config)',
    commands: PLUGIN_COMMANDS,
    type: strings('plugin config settings, key=value'),
    default: [],
    profile: false,
  }),
  templates: option({
    flag: '--templates <n>',
    help: "templates to ask the plugin for (the request's count)",
    commands: PLUGIN_COMMANDS,
    type: count(within(1, 65536)),
    default: 1,
    profile: true,
  }),
  pluginTimeout: option({
    flag: '--plugin-timeout <duration>',
    help: 'time limit for each plugin call, e.g. 500ms, 5s (default 5s)',
    commands: PLUGIN_COMMANDS,
    type: duration(within(1, 600_000)),
    default: DEFAULT_LIMITS.timeoutMs,
    profile: true,
  }),
  pluginMemory: option({
    flag: '--plugin-memory <size>',
    help: "cap on the plugin's memory, e.g. 64m (default 256m)",
    commands: PLUGIN_COMMANDS,
    // up to all a wasm32 module can address
    type: size(within(2 ** 20, 4 * 2 ** 30)),
    default: DEFAULT_LIMITS.memoryBytes,
    profile: true,
  }),
  pluginOutput: option({
    flag: '--plugin-output <size>',
    help: 'size of the buffer the plugin writes its JSON into (default 1m)',
    commands: PLUGIN_COMMANDS,
    type: size(within(1024, 2 ** 30)),
    default: DEFAULT_LIMITS.outputBytes,
    profile: true,
  }),
  dev: option({
    flag: '--dev <interface>',
    help: {
      run: 'interface whose MAC, MTU and neighbour table fill the plugin request',
      templates: 'interface whose MAC, MTU and neighbour table fill the plugin request',
      probe: 'interface to probe',
      recv: 'interface to count on',
    },
    commands: [...PLUGIN_COMMANDS, 'probe', 'recv'],
    type: text('an interface name'),
    profile: true,
  }),
  netns: option({
    flag: '--netns <name>',
    help: 'network namespace the interface is in',
    commands: ['recv'],
    type: text('a network namespace name'),
    profile: false,
  }),
  verbose: option({
    flag: '-v, --verbose',
    help: 'also show plugin debug lines (its stdout and stderr among them)',
    commands: PLUGIN_COMMANDS,
    type: toggle,
    default: false,
    profile: true,
  }),
  pps: option({
    flag: '--pps <rate>',
    help: 'packets per second over all queues, e.g. 100k, 1m (default: as fast as possible)',
    commands: ['run'],
    type: count(positive('a rate')),
    profile: true,
  }),
  bps: option({
    flag: '--bps <rate>',
    help: 'bits per second instead, counted on L2 frames without FCS, preamble or gap, e.g. 500m',
    commands: ['run'],
    type: count(positive('a rate')),
    profile: true,
  }),
  gbps: option({
    flag: '--gbps <rate>',
    help: 'the same in Gbit/s, e.g. 2.5',
    commands: ['run'],
    type: gigabits,
    profile: true,
  }),
  count: option({
    flag: '--count <n>',
    help: 'send exactly this many packets in total, e.g. 1m',
    commands: ['run'],
    type: count(positive('the count')),
    profile: true,
  }),
  duration: option({
    flag: '--duration <time>',
    help: { run: 'stop after this long, e.g. 10s', recv: 'stop after this long (default: until Ctrl-C)' },
    commands: ['run', 'recv'],
    type: duration(positive('the duration')),
    profile: true,
  }),
  action: option({
    flag: '--action <drop|pass>',
    help: 'what to do with counted frames (default drop)',
    commands: ['recv'],
    type: oneOf(['drop', 'pass']),
    default: 'drop',
    profile: false,
  }),
  queues: option({
    flag: '--queues <n|list>',
    help: 'number of TX queues (from 0), or queue ids such as 0,2 or 1-3 (default 1)',
    commands: ['run'],
    type: queues,
    default: { count: 1 },
    profile: true,
  }),
  cpus: option({
    flag: '--cpus <list>',
    help: "pin the thread of each queue to these CPUs, e.g. 0,1, and keep xdperf's other threads off them",
    commands: ['run'],
    type: cpuList,
    profile: true,
  }),
  batch: option({
    flag: '--batch <n>',
    help: 'descriptors per TX ring submission (default 64)',
    commands: ['run'],
    type: count(positive('the batch')),
    default: 64,
    profile: true,
  }),
  engine: option({
    flag: '--engine <name>',
    help: 'auto (default: probe and pick the fastest that works), afxdp, xdp (XDP live frames), packet (AF_PACKET) or raw (IP raw socket, portable, modest rates)',
    commands: ['run'],
    type: oneOf(ENGINE_REQUESTS),
    default: 'auto',
    profile: true,
  }),
  xdpMode: option({
    flag: '--xdp-mode <mode>',
    help: 'AF_XDP mode: auto, zerocopy or copy (default auto)',
    commands: ['run'],
    type: oneOf(XDP_MODES),
    default: 'auto',
    profile: true,
  }),
  xdpBatch: option({
    flag: '--xdp-batch <n>',
    help: 'xdp engine: live frames per kernel batch (default 64)',
    commands: ['run'],
    // none: the engine's default
    type: count(positive('the batch')),
    profile: true,
  }),
  rxDev: option({
    flag: '--rx-dev <interface>',
    help: 'count what arrives on this interface (the far end of the link) with an XDP counter',
    commands: ['run'],
    type: text('an interface name'),
    profile: true,
  }),
  rxNetns: option({
    flag: '--rx-netns <name>',
    help: 'network namespace of --rx-dev',
    commands: ['run'],
    type: text('a network namespace name'),
    profile: true,
  }),
  startAt: option({
    flag: '--start-at <time>',
    help: 'send the first packet at this wall-clock time, RFC 3339 (2026-11-29T06:30:00Z) or +DURATION (+5s), and report how close it came: for senders on many hosts started together',
    commands: ['run'],
    type: startAt,
    profile: false,
  }),
  rxLinger: option({
    flag: '--rx-linger <time>',
    help: 'after sending stops, keep counting at --rx-dev this long before computing loss, so packets in flight are not counted lost (default 1s)',
    commands: ['run'],
    type: duration(within(0, 600_000)),
    default: 1000,
    profile: true,
  }),
  stamp: option({
    flag: '--stamp',
    help: {
      run: "stamp every frame (stream = template, sequence number, transmit time): the receiver (--rx-dev) counts each stream's loss, duplicates, reordering and latency",
      recv: "report the stamped streams that arrive (from xdperf run --stamp): each one's loss, duplicates, reordering and latency",
    },
    commands: ['run', 'recv'],
    type: toggle,
    default: false,
    profile: true,
  }),
  countOnly: option({
    flag: '--count-only',
    help: "count frames only, without reading stamps: the cheapest receiver, for measuring a sender's raw rate (with --pin: pin such a counter)",
    commands: ['recv'],
    type: toggle,
    default: false,
    profile: false,
  }),
  stampClock: option({
    flag: '--stamp-clock <clock>',
    help: 'clock of the transmit time in stamps: monotonic (default; latency on this host only) or tai (across hosts whose clocks PTP keeps in step)',
    commands: ['run'],
    type: oneOf(STAMP_CLOCKS),
    default: 'monotonic',
    profile: true,
  }),
  report: option({
    flag: '--report <file.html>',
    help: 'when the run ends, write a report to this file: one self-contained HTML page with the rates over time, pacing, per-template counts, latency histograms (with --stamp), settings and environment',
    commands: ['run'],
    type: htmlFile,
    profile: true,
  }),
  interval: option({
    flag: '--interval <time>',
    help: { run: 'how often to report progress (default 1s)', recv: 'how often to report (default 1s)' },
    commands: ['run', 'recv'],
    type: interval,
    default: 1000,
    profile: true,
  }),
  metricsAddr: option({
    flag: '--metrics-addr <host:port>',
    help: {
      run: 'serve Prometheus metrics at http://HOST:PORT/metrics while the run lasts: sent per queue and template, received, and with --stamp loss, duplicates, reordering and latency per stream (e.g. 127.0.0.1:9100, [::1]:9100 or :9100)',
      recv: 'serve Prometheus metrics at http://HOST:PORT/metrics while counting: received, and with --stamp loss, duplicates, reordering and latency per stream (e.g. 127.0.0.1:9100, [::1]:9100 or :9100)',
    },
    commands: ['run', 'recv'],
    type: listenAddress,
    profile: true,
  }),
  pin: option({
    flag: '--pin',
    help: 'attach a counter that stays after exit (pinned on bpffs), and exit',
    commands: ['recv'],
    type: toggle,
    default: false,
    profile: false,
  }),
  unpin: option({
    flag: '--unpin',
    help: 'remove a pinned counter, and exit',
    commands: ['recv'],
    type: toggle,
    default: false,
    profile: false,
  }),
  pcap: option({
    flag: '--pcap <file>',
    help: 'write the templates to a pcap file (tcpdump, tshark, Wireshark)',
    commands: ['templates'],
    type: text('a file path'),
    profile: true,
  }),
  variants: option({
    flag: '--variants <n>',
    help: "show each template's first n variants (the frames its fields make), decoded with checksums checked; --pcap gets them instead of the templates",
    commands: ['templates'],
    type: count(within(1, MAX_VARIANTS)),
    profile: true,
  }),
  json: option({
    flag: '--json',
    help: {
      run: 'write NDJSON events (start, stats, log, metric, summary) instead of text',
      recv: 'write NDJSON events instead of text',
      probe: 'print JSON instead of text',
      templates: 'print one JSON document instead of text',
      plugins: 'print JSON instead of a table',
    },
    commands: COMMANDS,
    type: toggle,
    default: false,
    profile: true,
  }),
};

// --- what the table gives, typed ---------------------------------------------------------------

type Table = typeof OPTIONS;
export type OptionName = keyof Table;

/** The names of the options a command takes. */
export type OptionsOf<C extends CommandName> = { [K in OptionName]: C extends Table[K]['commands'][number] ? K : never }[OptionName];

/** Which options of a resolved set the flag or the profile gave (the rest are defaults). */
export const GIVEN: unique symbol = Symbol('given');

/** A command's settings: each of its options' values, by name. */
export type OptionValues<C extends CommandName> = { [K in OptionsOf<C>]: Table[K]['default'] } & {
  readonly [GIVEN]: ReadonlySet<OptionsOf<C>>;
};

type FlagValue<R> = R extends { type: ValueType<unknown, infer F> } ? F : never;

/** What commander hands a command's action: each option given, by name. */
export type CommandFlags<C extends CommandName> = { [K in OptionsOf<C>]?: FlagValue<Table[K]> };

/** A run profile's document (already valid against the schema): option values by profile key. */
export type RunProfile = Readonly<Record<string, unknown>>;

// --- names -----------------------------------------------------------------------------------

/** `xdpBatch` → `--xdp-batch` */
export function flagName(name: OptionName): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `xdpBatch` → `xdp_batch` */
export function profileKey(name: OptionName): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The rows of the options a command takes, in table order. */
export function optionsOf(command: CommandName): [OptionName, OptionRow][] {
  return (Object.entries(OPTIONS) as [OptionName, OptionRow][]).filter(([, row]) => row.commands.includes(command));
}

/** Of a command's values, those of the options `other` takes too (shared) or does not (own). */
export function valuesShared<C extends CommandName, O extends CommandName>(
  values: Pick<OptionValues<C>, OptionsOf<C> & OptionsOf<O>>,
  command: C,
  other: O,
): Pick<OptionValues<C>, OptionsOf<C> & OptionsOf<O>> {
  return select(values, command, (row) => row.commands.includes(other)) as Pick<OptionValues<C>, OptionsOf<C> & OptionsOf<O>>;
}

export function valuesOwn<C extends CommandName, O extends CommandName>(
  values: OptionValues<C>,
  command: C,
  other: O,
): Pick<OptionValues<C>, Exclude<OptionsOf<C>, OptionsOf<O>>> {
  return select(values, command, (row) => !row.commands.includes(other)) as Pick<OptionValues<C>, Exclude<OptionsOf<C>, OptionsOf<O>>>;
}

function select(values: object, command: CommandName, keep: (row: OptionRow) => boolean): object {
  const all = values as Record<string, unknown>;
  return Object.fromEntries(optionsOf(command).filter(([, row]) => keep(row)).map(([name]) => [name, all[name]]));
}

export function helpOf(row: OptionRow, command: CommandName): string {
  const help = typeof row.help === 'string' ? row.help : row.help[command];
  if (help === undefined) throw new Error(`option ${row.flag}: no help for ${command}`);
  return help;
}

// --- the profile's schema --------------------------------------------------------------------

/** The JSON Schema of a run profile: every option a profile may set, under its profile key. */
export function profileSchema(): JsonSchema {
  const properties = (Object.entries(OPTIONS) as [OptionName, OptionRow][])
    .filter(([, row]) => row.profile)
    .map(([name, row]) => [profileKey(name), row.type.schema]);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://xdperf.dev/schema/profile-v1.json',
    title: 'xdperf run profile',
    description:
      'A YAML file given with -c: any command-line option, by its long name with dashes written as underscores. Flags on the command line override the file.',
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(properties),
    definitions: SCHEMA_DEFINITIONS,
  };
}

// --- resolving -------------------------------------------------------------------------------

/**
 * A command's settings: for each of its options the flag, else the profile's value (when a
 * profile may set it), else the default; read with the option's type. A bad value is one error
 * naming where it came from: `--flag: …` (a usage error, exit 2) or `FILE: key 'k': …` (exit 1).
 * A profile value that a flag overrides is not read at all.
 */
export function resolveOptions<C extends CommandName>(command: C, flags: CommandFlags<C>, profile: RunProfile = {}): OptionValues<C> {
  const raw = flags as unknown as Record<string, unknown>;
  const file = raw.config as string | undefined;
  const values: Record<string | symbol, unknown> = {};
  const given = new Set<OptionName>();
  for (const [name, row] of optionsOf(command)) {
    const key = profileKey(name);
    const fromFlag = raw[name];
    const fromProfile = row.profile && Object.hasOwn(profile, key) ? profile[key] : undefined;
    const read = (value: unknown, source: 'flag' | 'profile'): unknown => {
      try {
        return source === 'flag' ? row.type.fromFlag(value) : row.type.fromProfile(value);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        if (source === 'flag') throw new UsageError(`${flagName(name)}: ${error.message}`);
        throw new XdperfError(`${file}: key '${key}': ${error.message}`);
      }
    };
    if (fromFlag !== undefined || fromProfile !== undefined) given.add(name);
    if (fromFlag !== undefined && fromProfile !== undefined && row.type.combine) {
      values[name] = row.type.combine(read(fromFlag, 'flag'), read(fromProfile, 'profile'));
    } else if (fromFlag !== undefined) {
      values[name] = read(fromFlag, 'flag');
    } else if (fromProfile !== undefined) {
      values[name] = read(fromProfile, 'profile');
    } else {
      values[name] = row.default;
    }
  }
  values[GIVEN] = given;
  return values as unknown as OptionValues<C>;
}
