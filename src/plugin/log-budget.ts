/**
 * How much a plugin may log and report in one call (its load, plugin_init, plugin_process or
 * plugin_cleanup): log lines (host_log, stdout and stderr alike), the bytes of each line, and
 * metrics. Runs in the plugin worker, where what is over a cap is only counted: it is never decoded
 * or posted to the main thread, so a plugin that logs without end costs the host a counter, not its
 * memory. A per-second cap would add nothing: the host makes at most four calls, each bounded in
 * time by --plugin-timeout and in output by these caps.
 */
export const LOG_LIMITS = {
  linesPerCall: 200,
  lineBytes: 1024,
  metricsPerCall: 1000,
} as const;

const decoder = new TextDecoder();
const count = (n: number): string => n.toLocaleString('en-US');

export class LogBudget {
  private lines = 0;
  private metrics = 0;

  /** Starts a call with the whole budget. */
  begin(): void {
    this.lines = 0;
    this.metrics = 0;
  }

  /** Counts one log line; true while it is within the call's cap. */
  takeLine(): boolean {
    return ++this.lines <= LOG_LIMITS.linesPerCall;
  }

  /** Counts one metric; true while it is within the call's cap. */
  takeMetric(): boolean {
    return ++this.metrics <= LOG_LIMITS.metricsPerCall;
  }

  /** One line for each cap the call went over, e.g. `199,800 log lines dropped (limit 200 a call)`. */
  overruns(): string[] {
    const notes: string[] = [];
    const lines = this.lines - LOG_LIMITS.linesPerCall;
    const metrics = this.metrics - LOG_LIMITS.metricsPerCall;
    if (lines > 0) notes.push(`${count(lines)} log line${lines === 1 ? '' : 's'} dropped (limit ${count(LOG_LIMITS.linesPerCall)} a call)`);
    if (metrics > 0) notes.push(`${count(metrics)} metric${metrics === 1 ? '' : 's'} dropped (limit ${count(LOG_LIMITS.metricsPerCall)} a call)`);
    return notes;
  }
}

/**
 * The text of a log line of `totalBytes` bytes whose first bytes are `head`; only the first
 * LOG_LIMITS.lineBytes of them are decoded, and a longer line says it was cut. Trailing white space
 * (a newline the plugin added to its message, a carriage return) is dropped.
 */
export function lineText(head: Uint8Array, totalBytes = head.length): string {
  if (totalBytes <= LOG_LIMITS.lineBytes) return decoder.decode(head).trimEnd();
  const end = wholeCharacters(head, Math.min(head.length, LOG_LIMITS.lineBytes));
  return `${decoder.decode(head.subarray(0, end)).trimEnd()} … (${count(totalBytes)} bytes, cut to ${count(LOG_LIMITS.lineBytes)})`;
}

/** Where to cut `bytes` at or before `end` so that no UTF-8 character is split. */
function wholeCharacters(bytes: Uint8Array, end: number): number {
  let lead = end - 1;
  while (lead > 0 && lead > end - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return end;
  const first = bytes[lead]!;
  const width = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return lead + width <= end ? end : lead;
}
