/**
 * Writes to a closed stdout or stderr (the reader of a pipe went away, as with `| head`) must
 * never take the process down mid-run, where an uncaught EPIPE would leave it waiting for its
 * transmit threads with no JavaScript left to stop them. The first failed write is noted, the
 * command is told (a run stops its session at once), and it ends quietly with the status a C
 * tool stopped by SIGPIPE has.
 */
import { XdperfError } from '../errors.js';

/** 128 + SIGPIPE, what a shell reports for a C tool stopped by a closed pipe. */
export const OUTPUT_CLOSED_EXIT_CODE = 141;

let closed = false;
const listeners = new Set<() => void>();

/** Watches stdout and stderr for the rest of the process. */
export function guardOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      if (closed) return;
      closed = true;
      for (const listener of listeners) listener();
    });
  }
}

export function outputClosed(): boolean {
  return closed;
}

/** Calls `listener` once when the output closes; returns what stops listening. */
export function onOutputClosed(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Ends a command whose output went away: no message (there is nowhere to print it). */
export class OutputClosedError extends XdperfError {
  constructor() {
    super('the output was closed', OUTPUT_CLOSED_EXIT_CODE);
    this.name = 'OutputClosedError';
  }
}
