// A plugin's callbacks and how the ABI calls reach them.
//
// Hosts differ in where the user's config arrives. xdperf passes it to
// plugin_init and again inside each request; the seed's xdperf host never
// calls plugin_init and passes it only inside the request, beside keys it
// adds for itself. So that a plugin works under either, the SDK reads a
// request's config keys as config too, laid over what plugin_init gave (the
// request wins), and runs Init again before Process whenever that changes the
// config Init last accepted, or Init never succeeded: a plugin then starts
// from its defaults. This is what the Go SDK does (request_config.go).

import { JsonKind, JsonValue, JsonWriter, parseJsonAt } from "./json";
import { Config, HOST_KEYS, setRequestOnlyKeys } from "./config";
import { logError } from "./host";
import { readRequest, Request } from "./request";
import { Templates } from "./response";

/**
 * Reads the user's config, a JSON object (empty when the user gave none),
 * and keeps what it needs in globals for Process; returns "" when it accepts
 * the config, else the error for the user, naming the key. It may run more
 * than once (see above), so it should start from the plugin's defaults.
 */
export type InitFunction = (config: JsonValue) => string;

/** Adds the templates for one request to out; returns "" or the error for the user. */
export type ProcessFunction = (request: Request, out: Templates) => string;

export type CleanupFunction = () => void;

// Return codes, as the Go SDK's.
const INIT_FAILED: i32 = 1;
const PROCESS_FAILED: i32 = -1;
const OUTPUT_TOO_SMALL: i32 = -3;

let initFn: InitFunction | null = null;
let processFn: ProcessFunction | null = null;
let cleanupFn: CleanupFunction | null = null;

// The object plugin_init gave, once Init accepted it; null when plugin_init
// never succeeded (or plugin_cleanup ran since).
let initConfig: JsonValue | null = null;
// The config Init last accepted, written compactly; "" until Init succeeds.
let accepted: string = "";

/**
 * Installs the plugin's callbacks. Call it from the plugin's top level, which
 * runs in _initialize, before the host's first call. A null init means the
 * plugin takes no config: any key is an error.
 */
export function register(init: InitFunction | null, process: ProcessFunction, cleanup: CleanupFunction | null = null): void {
  initFn = init;
  processFn = process;
  cleanupFn = cleanup;
}

function callInit(config: JsonValue): string {
  const init = initFn;
  if (init == null) return new Config(config, []).error;
  return init(config);
}

/** The config text as an object: none at all, or null, is an empty one. */
function readConfig(ptr: usize, len: i32, into: JsonValue[]): string {
  const parsed = parseJsonAt(ptr, len);
  const value = parsed.value;
  if (value == null) {
    let blank = true;
    for (let i = 0; i < len; i++) {
      const c = load<u8>(ptr + <usize>i);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) blank = false;
    }
    if (blank) {
      into.push(JsonValue.object());
      return "";
    }
    return "config is not valid JSON: " + parsed.error;
  }
  if (value.kind == JsonKind.Null) {
    into.push(JsonValue.object());
    return "";
  }
  if (value.kind != JsonKind.Object) return "config must be a JSON object, not " + value.describe();
  into.push(value);
  return "";
}

export function runInit(ptr: usize, len: i32): i32 {
  initConfig = null;
  accepted = "";
  if (processFn == null) {
    logError("no plugin registered: the plugin must call register() at its top level");
    return INIT_FAILED;
  }
  const read: JsonValue[] = [];
  let error = readConfig(ptr, len, read);
  if (error == "") error = callInit(read[0]);
  if (error != "") {
    logError(error);
    return INIT_FAILED;
  }
  initConfig = read[0];
  accepted = read[0].toString();
  return 0;
}

/** Makes sure Init has accepted the config this request asks for before Process runs. */
function configureFromRequest(request: JsonValue): string {
  const base = initConfig;
  const merged = base != null ? base.cloneObject() : JsonValue.object();
  const fresh: string[] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const key = request.keys[i];
    if (HOST_KEYS.includes(key)) continue;
    if (base == null || base.get(key) == null) fresh.push(key);
    merged.set(key, request.values[i]);
  }
  const text = merged.toString();
  if (accepted != "" && text == accepted) return "";
  accepted = "";
  setRequestOnlyKeys(fresh);
  const error = callInit(merged);
  setRequestOnlyKeys([]);
  if (error != "") return error;
  accepted = text;
  return "";
}

export function runProcess(inPtr: usize, inLen: i32, outPtr: usize, outCap: i32): i32 {
  const process = processFn;
  if (process == null) {
    logError("no plugin registered: the plugin must call register() at its top level");
    return PROCESS_FAILED;
  }
  const parsed = parseJsonAt(inPtr, inLen);
  const obj = parsed.value;
  if (obj == null || obj.kind != JsonKind.Object) {
    logError("the host sent a request the plugin cannot read: " + (obj == null ? parsed.error : "it is " + obj.describe() + ", not an object"));
    return PROCESS_FAILED;
  }
  const read = readRequest(obj);
  if (read.error != "") {
    logError("the host sent a request the plugin cannot read: " + read.error);
    return PROCESS_FAILED;
  }
  let error = configureFromRequest(obj);
  const out = new Templates();
  if (error == "") error = process(read.request, out);
  if (error != "") {
    logError(error);
    return PROCESS_FAILED;
  }
  const w = new JsonWriter(4096);
  out.write(w);
  if (w.len > outCap) {
    logError("the templates need " + w.len.toString() + " bytes of JSON but the host's output buffer holds " + outCap.toString());
    return OUTPUT_TOO_SMALL;
  }
  memory.copy(outPtr, w.buf.dataStart, <usize>w.len);
  return w.len;
}

export function runCleanup(): void {
  initConfig = null;
  accepted = "";
  const cleanup = cleanupFn;
  if (cleanup != null) cleanup();
}
