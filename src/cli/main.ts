#!/usr/bin/env node
/**
 * The xdperf command line. Exit codes: 0 success, 1 a user error (one line on stderr),
 * 2 a malformed command line.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { oneLine, XdperfError } from '../errors.js';
import { fromPackageRoot } from '../paths.js';
import { guardOutput, OUTPUT_CLOSED_EXIT_CODE, outputClosed } from './output-guard.js';
import { runPluginsCommand } from './plugins-command.js';
import { runProbeCommand } from './probe-command.js';
import { runRecvCommand } from './recv-command.js';
import { runRunCommand } from './run-command.js';
import { runTemplatesCommand } from './templates-command.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function version(): string {
  return (JSON.parse(readFileSync(fromPackageRoot('package.json'), 'utf8')) as { version: string }).version;
}

function pluginOptions(command: Command): Command {
  return command
    .option('-c, --config <profile.yaml>', 'run profile: a YAML file holding any of these options (flags override it)')
    .option('-p, --plugin <path|name>', 'plugin: a .wasm file, or a name looked up on the plugin search path')
    .addOption(new Option('--plugin-dir <dir>', 'extra directory searched for plugins first (repeatable)').argParser(collect))
    .option('--plugin-config <file>', "plugin's config as a YAML or JSON file")
    .addOption(new Option('--set <key=value>', 'set one plugin config key (repeatable, overrides --plugin-config)').argParser(collect))
    .option('--templates <n>', 'templates to ask the plugin for (the request\'s count)', undefined)
    .option('--plugin-timeout <duration>', 'time limit for each plugin call, e.g. 500ms, 5s (default 5s)')
    .option('--plugin-memory <size>', 'cap on the plugin\'s memory, e.g. 64m (default 256m)')
    .option('--plugin-output <size>', 'size of the buffer the plugin writes its JSON into (default 1m)')
    .option('--dev <interface>', 'interface whose MAC, MTU and neighbour table fill the plugin request')
    .option('-v, --verbose', 'also show plugin debug lines (its stdout and stderr among them)');
}

function buildProgram(): Command {
  const program = new Command('xdperf')
    .description('High-rate packet generator: WebAssembly plugins describe packets, a native core sends them.')
    .version(version(), '-V, --version')
    .exitOverride()
    // A usage error is one line like every other error (commander's own take two or three);
    // the usage shown when no command is named goes to stdout (see main).
    .configureOutput({
      outputError: (message) => process.stderr.write(`xdperf: ${usageError(message)}\n`),
      writeErr: (text) => process.stdout.write(text),
    });

  pluginOptions(
    program
      .command('run')
      .description('send the plugin\'s templates on an interface at the asked rate (AF_XDP), then report what was sent'),
  )
    .option('--pps <rate>', 'packets per second over all queues, e.g. 100k, 1m (default: as fast as possible)')
    .option('--bps <rate>', 'bits per second instead, counted on L2 frames without FCS, preamble or gap, e.g. 500m')
    .option('--gbps <rate>', 'the same in Gbit/s, e.g. 2.5')
    .option('--count <n>', 'send exactly this many packets in total, e.g. 1m')
    .option('--duration <time>', 'stop after this long, e.g. 10s')
    .option('--queues <n|list>', 'number of TX queues (from 0), or queue ids such as 0,2 or 1-3 (default 1)')
    .option('--cpus <list>', 'pin the thread of each queue to these CPUs, e.g. 0,1, and keep xdperf\'s other threads off them')
    .option('--batch <n>', 'descriptors per TX ring submission (default 64)')
    .option('--engine <name>', 'auto (default: probe and pick the fastest that works), afxdp, xdp (XDP live frames), packet (AF_PACKET) or raw (IP raw socket, portable, modest rates)')
    .option('--xdp-mode <mode>', 'AF_XDP mode: auto, zerocopy or copy (default auto)')
    .option('--xdp-batch <n>', 'xdp engine: live frames per kernel batch (default 64)')
    .option('--rx-dev <interface>', 'count what arrives on this interface (the far end of the link) with an XDP counter')
    .option('--rx-netns <name>', 'network namespace of --rx-dev')
    .option('--interval <time>', 'how often to report progress (default 1s)')
    .option('--json', 'write NDJSON events (start, stats, log, metric, summary) instead of text')
    .action((flags) => runRunCommand(flags));

  program
    .command('probe')
    .description('what an interface can do (XDP modes, AF_XDP zero-copy, live frames, AF_PACKET), each found by trying — it briefly attaches a test XDP program, which resets some NICs — and the engine auto would pick')
    .option('--dev <interface>', 'interface to probe')
    .option('--json', 'print JSON instead of text')
    .action((flags) => runProbeCommand(flags));

  program
    .command('recv')
    .description('count what arrives on an interface (an XDP program, attached for as long as this runs)')
    .option('--dev <interface>', 'interface to count on')
    .option('--netns <name>', 'network namespace the interface is in')
    .option('--duration <time>', 'stop after this long (default: until Ctrl-C)')
    .option('--action <drop|pass>', 'what to do with counted frames (default drop)')
    .option('--interval <time>', 'how often to report (default 1s)')
    .option('--pin', 'attach a counter that stays after exit (pinned on bpffs), and exit')
    .option('--unpin', 'remove a pinned counter, and exit')
    .option('--json', 'write NDJSON events instead of text')
    .action((flags) => runRecvCommand(flags));

  pluginOptions(
    program
      .command('templates')
      .description('dry run: load a plugin, print each template decoded layer by layer, optionally write a pcap'),
  )
    .option('--pcap <file>', 'write the templates to a pcap file (tcpdump, tshark, Wireshark)')
    .option('--json', 'print one JSON document instead of text')
    .action((flags) => runTemplatesCommand(flags));

  program
    .command('plugins')
    .description('list the plugins on the search path, with size, exports and whether each loads')
    .addOption(new Option('--plugin-dir <dir>', 'extra directory to search first (repeatable)').argParser(collect))
    .option('--json', 'print JSON instead of a table')
    .action((flags) => runPluginsCommand(flags));

  for (const command of program.commands) command.exitOverride();
  return program;
}

/** `error: unknown option '--ppps'\n(Did you mean --pps?)` → `unknown option '--ppps'; did you mean --pps?` */
function usageError(message: string): string {
  const [first = '', ...rest] = message.trim().replace(/^error: /, '').split('\n');
  const suggestion = /^\(Did you mean (.*)\)$/.exec(rest.join(' ').trim());
  if (suggestion) return `${oneLine(first)}; did you mean ${oneLine(suggestion[1]!)}`;
  return `${oneLine([first, ...rest].join(' '))} (run with --help for usage)`;
}

/** The one line for commander's usage-as-error: no command, or `help` of one that does not exist. */
function noCommand(argv: string[]): string {
  const [first, second] = argv.slice(2);
  const what = first === 'help' && second !== undefined ? `no command '${oneLine(second)}'` : 'no command given';
  return `${what}: use run, recv, probe, templates or plugins (run with --help for usage)`;
}

async function main(argv: string[]): Promise<number> {
  guardOutput();
  try {
    await buildProgram().parseAsync(argv);
    return outputClosed() ? OUTPUT_CLOSED_EXIT_CODE : 0;
  } catch (error) {
    if (outputClosed()) return OUTPUT_CLOSED_EXIT_CODE;
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      if (error.code === 'commander.help') process.stderr.write(`xdperf: ${noCommand(argv)}\n`);
      return 2;
    }
    if (error instanceof XdperfError) {
      process.stderr.write(`xdperf: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    process.stderr.write(`xdperf: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv);
