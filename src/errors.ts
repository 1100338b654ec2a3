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

/**
 * A message as one printable line: messages quote what the user typed (a path, a key, a value),
 * which may hold a newline or a terminal escape, so control characters are shown escaped.
 */
export function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
