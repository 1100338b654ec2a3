import { spawn, spawnSync } from 'node:child_process';
import * as assert from 'uvu/assert';
import { fromPackageRoot } from '../../src/paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const CLI = fromPackageRoot('dist', 'src', 'cli', 'main.js');

/** Runs the built CLI as a user would, from the package root. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; wrap?: string[] } = {}): CliResult {
  const [command, ...prefix] = [...(options.wrap ?? []), process.execPath];
  const result = spawnSync(command!, [...prefix, CLI, ...args], {
    cwd: options.cwd ?? fromPackageRoot(),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The error line the CLI printed; also checks it is exactly one line. */
export function errorLine(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('xdperf: '));
  if (lines.length !== 1) throw new Error(`expected one error line, got: ${JSON.stringify(result.stderr)}`);
  return lines[0]!;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the action to the exit. */
  afterMs: number;
}

/**
 * Starts `xdperf run` with `args`, waits until it prints its first stats line, does `action` to
 * it, and waits for it to exit (killing it after 20 s, which fails the test).
 */
export async function runAndThen(args: string[], action: (child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  const child = spawn(process.execPath, [CLI, 'run', ...args, '--interval', '200ms', '--json'], { cwd: fromPackageRoot() });
  let stdout = '';
  let stderr = '';
  let actedAt = 0;
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (actedAt === 0 && stdout.includes('"event":"stats"')) {
      actedAt = Date.now();
      action(child);
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(killer);
  assert.ok(actedAt > 0, `the run never reported: ${stderr}`);
  return { code, signal, stdout, stderr, afterMs: Date.now() - actedAt };
}
