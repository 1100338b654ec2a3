import { spawnSync } from 'node:child_process';
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
