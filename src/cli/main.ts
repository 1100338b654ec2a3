#!/usr/bin/env node
/**
 * The xdperf command line. Exit codes: 0 success, 1 a user error (one line on stderr),
 * 2 a malformed command line.
 */
import { Command, CommanderError, Option } from 'commander';
import { helpOf, optionsOf, type CommandName } from '../config/options.js';
import { oneLine, XdperfError } from '../errors.js';
import { packageVersion } from '../paths.js';
import { guardOutput, OUTPUT_CLOSED_EXIT_CODE, outputClosed } from './output-guard.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The command's options, from the option table (config/options.ts), in its order. */
function withOptions(command: Command, name: CommandName): Command {
  for (const [, row] of optionsOf(name)) {
    const option = new Option(row.flag, helpOf(row, name));
    command.addOption(row.type.repeatable ? option.argParser(collect) : option);
  }
  return command;
}

function buildProgram(): Command {
  const program = new Command('xdperf')
    .description('High-rate packet generator: WebAssembly plugins describe packets, a native core sends them.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    // A usage error is one line like every other error (commander's own take two or three);
    // the usage shown when no command is named goes to stdout (see main).
    .configureOutput({
      outputError: (message) => process.stderr.write(`xdperf: ${usageError(message)}\n`),
      writeErr: (text) => process.stdout.write(text),
    });

  // Each command's module is loaded when it runs: between them they compile JSON schemas and
  // load the native addon, which `--version` and `--help` have no use for (about 0.7 s).
  const commands: [CommandName, string, () => Promise<(flags: never) => void | Promise<void>>][] = [
    ['run', "send the plugin's templates on an interface at the asked rate, with the fastest engine that works there (or the one --engine names), then report what was sent", async () => (await import('./run-command.js')).runRunCommand],
    ['probe', 'what an interface can do (XDP modes, AF_XDP zero-copy, live frames, AF_PACKET), each found by trying — it briefly attaches a test XDP program, which resets some NICs — and the engine auto would pick', async () => (await import('./probe-command.js')).runProbeCommand],
    ['recv', 'count what arrives on an interface (an XDP program, attached for as long as this runs)', async () => (await import('./recv-command.js')).runRecvCommand],
    ['templates', 'dry run: load a plugin, print each template decoded layer by layer, optionally write a pcap', async () => (await import('./templates-command.js')).runTemplatesCommand],
    ['plugins', 'list the plugins on the search path, with size, exports and whether each loads', async () => (await import('./plugins-command.js')).runPluginsCommand],
  ];
  for (const [name, description, load] of commands) {
    withOptions(program.command(name).description(description), name).action(async (flags) => (await load())(flags as never));
  }

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
