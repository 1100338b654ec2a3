/**
 * Errors meant for the user. The CLI prints `message` as one line and exits with `exitCode`;
 * nothing else (no stack) reaches the terminal for these.
 */
export class XdperfError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'XdperfError';
    this.exitCode = exitCode;
  }
}

/** A malformed command line: exit code 2, as commander does for its own usage errors. */
export class UsageError extends XdperfError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** The message of anything thrown, without a stack. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
