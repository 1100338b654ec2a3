// The host's imports (module env) and what plugins call to use them.

@external("env", "host_log")
declare function host_log(level: i32, ptr: usize, len: i32): void;

@external("env", "host_report_metric")
declare function host_report_metric(namePtr: usize, nameLen: i32, value: f64, timestamp: i64): void;

/** host_log's levels. */
export enum LogLevel {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

/** Sends one line to the host's log. The host shows the last ERROR line of a failed call. */
export function log(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  host_log(<i32>level, changetype<usize>(bytes), bytes.byteLength);
}

/** A detail for the plugin's developer. */
export function logDebug(message: string): void {
  log(LogLevel.Debug, message);
}

/** What the plugin is doing. */
export function logInfo(message: string): void {
  log(LogLevel.Info, message);
}

/** Something the user may want to change. */
export function logWarn(message: string): void {
  log(LogLevel.Warn, message);
}

/** A failure. The SDK logs the errors Init and Process return, so plugins seldom need this. */
export function logError(message: string): void {
  log(LogLevel.Error, message);
}

/** Sends the host one sample of a named metric, stamped now (ms since the epoch). */
export function reportMetric(name: string, value: f64): void {
  const bytes = String.UTF8.encode(name);
  host_report_metric(changetype<usize>(bytes), bytes.byteLength, value, <i64>Date.now());
}
