// The request the host passes to plugin_process.

import { JsonKind, JsonValue, decodeBase64 } from "./json";

/**
 * What the host adds to a request. The rest of the request is the user's
 * config, which the SDK has already handed to Init (see plugin.ts).
 */
export class Request {
  /** How many templates the user wants (--templates); 0 leaves it to the plugin. */
  count: i32 = 0;
  /** The sending interface's MAC address, or an empty array when the host gave none. */
  deviceMAC: Uint8Array = new Uint8Array(0);
  /** The destination's MAC from the host's neighbour table, or an empty array. */
  dstMAC: Uint8Array = new Uint8Array(0);
  /** The sending interface's name, e.g. "eth0"; "" when the host did not say. */
  deviceName: string = "";
  /** The sending interface's MTU; 0 when the host did not say. */
  mtu: i32 = 0;
  /** How many TX queues the host will send on; 0 when it did not say. */
  queues: i32 = 0;
  /** The whole request, config keys included. */
  raw: JsonValue = JsonValue.object();

  /** The device name for messages: "(unnamed)" when the host gave none. */
  get deviceLabel(): string {
    return this.deviceName == "" ? "(unnamed)" : this.deviceName;
  }
}

/** The outcome of readRequest: a request, or why it cannot be read. */
export class RequestRead {
  constructor(public request: Request, public error: string) {}
}

function integer(obj: JsonValue, key: string, problem: string[]): i32 {
  const v = obj.get(key);
  if (v == null || v.kind == JsonKind.Null) return 0;
  if (!v.isInteger() || v.num < 0 || v.num > 2147483647) {
    if (problem.length == 0) problem.push(key + " is " + v.describe() + ", not a non-negative integer");
    return 0;
  }
  return <i32>v.num;
}

function bytes(obj: JsonValue, key: string, problem: string[]): Uint8Array {
  const v = obj.get(key);
  if (v == null || v.kind == JsonKind.Null) return new Uint8Array(0);
  const b = v.kind == JsonKind.String ? decodeBase64(v.text) : null;
  if (b == null) {
    if (problem.length == 0) problem.push(key + " is not base64 bytes");
    return new Uint8Array(0);
  }
  return b;
}

/** Reads the host's keys of a request object. */
export function readRequest(obj: JsonValue): RequestRead {
  const r = new Request();
  const problem: string[] = [];
  r.raw = obj;
  r.count = integer(obj, "count", problem);
  r.mtu = integer(obj, "mtu", problem);
  r.queues = integer(obj, "queues", problem);
  r.deviceMAC = bytes(obj, "device_mac_addr", problem);
  r.dstMAC = bytes(obj, "dst_mac_addr", problem);
  const name = obj.get("device_name");
  if (name != null && name.kind == JsonKind.String) r.deviceName = name.text;
  else if (name != null && name.kind != JsonKind.Null && problem.length == 0) problem.push("device_name is " + name.describe() + ", not a string");
  return new RequestRead(r, problem.length > 0 ? problem[0] : "");
}
