// Reading a plugin config: the keys a plugin knows, with their types and
// ranges, and errors worded for the user that name the key.

import { JsonKind, JsonValue } from "./json";
import { logWarn } from "./host";
import { parseIPv4, parseMAC } from "./net";

/** The keys the host adds to a request; configs never use these names. */
export const HOST_KEYS: string[] = ["count", "device_mac_addr", "dst_mac_addr", "device_name", "mtu", "queues"];

/** The largest integer a JSON number carries exactly, 2^53 - 1. */
export const MAX_SAFE_INTEGER: i64 = 9007199254740991;

// The keys of the config being read that only a request gave (see plugin.ts):
// an unknown one among them is skipped with a warning instead of refused.
let requestOnly: string[] = [];

/** For the SDK: the keys that only the request gave, while Init runs for a request. */
export function setRequestOnlyKeys(keys: string[]): void {
  requestOnly = keys;
}

/**
 * A config object read key by key. Each getter returns the key's value, or
 * the default when the key is absent or null; the first problem is kept in
 * `error` (and later getters return their defaults), so a plugin reads every
 * key and then checks `error` once.
 *
 *     const c = new Config(config, ["dst_port", "src_ip"]);
 *     const port = c.int("dst_port", 9, 1, 65535);
 *     const ip = c.ipv4("src_ip", "10.250.0.1");
 *     if (c.error != "") return c.error;
 *
 * A key that is neither in `known` nor one the host adds is an error,
 * `unknown config key "x" (known keys: …)`, unless only the request gave it:
 * a host that passes the config in the request may add keys of its own
 * there, which a plugin cannot tell from a typo, so those are warned about.
 */
export class Config {
  error: string = "";

  constructor(public obj: JsonValue, public known: string[]) {
    for (let i = 0; i < obj.keys.length; i++) {
      const key = obj.keys[i];
      if (HOST_KEYS.includes(key) || known.includes(key)) continue;
      if (requestOnly.includes(key)) {
        logWarn("request key \"" + key + "\" ignored: not a config key of this plugin (known keys: " + this.knownList() + ")");
        continue;
      }
      if (known.length == 0) this.fail("unknown config key \"" + key + "\": this plugin takes no config");
      else this.fail("unknown config key \"" + key + "\" (known keys: " + this.knownList() + ")");
    }
  }

  /** Records a problem unless one is recorded already. */
  fail(message: string): void {
    if (this.error == "") this.error = message;
  }

  get ok(): bool {
    return this.error == "";
  }

  knownList(): string {
    const keys = this.known.slice(0);
    keys.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
    return keys.join(", ");
  }

  /** The key's value when it is set (not absent, not null) and no error came before. */
  value(key: string): JsonValue | null {
    if (this.error != "") return null;
    const v = this.obj.get(key);
    if (v == null || v.kind == JsonKind.Null) return null;
    return v;
  }

  /** Whether the config sets the key (to anything but null). */
  has(key: string): bool {
    const v = this.obj.get(key);
    return v != null && v.kind != JsonKind.Null;
  }

  wrongType(key: string, want: string, v: JsonValue): void {
    this.fail("config key \"" + key + "\" must be " + want + ", not " + v.describe());
  }

  string(key: string, fallback: string): string {
    const v = this.value(key);
    if (v == null) return fallback;
    if (v.kind != JsonKind.String) {
      this.wrongType(key, "a string", v);
      return fallback;
    }
    return v.text;
  }

  bool(key: string, fallback: bool): bool {
    const v = this.value(key);
    if (v == null) return fallback;
    if (v.kind != JsonKind.Bool) {
      this.wrongType(key, "true or false", v);
      return fallback;
    }
    return v.flag;
  }

  /** An integer in lo..hi: `key V is out of range lo..hi` otherwise. */
  int(key: string, fallback: i64, lo: i64, hi: i64): i64 {
    const v = this.value(key);
    if (v == null) return fallback;
    return this.checkInt(key, key, v, fallback, lo, hi);
  }

  checkInt(key: string, name: string, v: JsonValue, fallback: i64, lo: i64, hi: i64): i64 {
    if (!v.isInteger()) {
      if (name == key) this.wrongType(key, "an integer", v);
      else this.fail(name + " must be an integer, not " + v.describe());
      return fallback;
    }
    if (v.num < <f64>lo || v.num > <f64>hi) {
      this.fail(name + " " + v.text + " is out of range " + lo.toString() + ".." + hi.toString());
      return fallback;
    }
    return <i64>v.num;
  }

  /**
   * A list of integers, each in lo..hi, with minItems..maxItems entries; a
   * single integer is a list of one. Errors name the entry: `sizes[2] 20 is
   * out of range 60..9018`.
   */
  intList(key: string, fallback: i64[], lo: i64, hi: i64, minItems: i32, maxItems: i32): i64[] {
    const v = this.value(key);
    if (v == null) return fallback;
    let items: JsonValue[];
    if (v.kind == JsonKind.Number) items = [v];
    else if (v.kind == JsonKind.Array) items = v.items;
    else {
      this.wrongType(key, "a list of integers", v);
      return fallback;
    }
    if (items.length < minItems || items.length > maxItems) {
      this.fail(key + " has " + items.length.toString() + " entries: give " + minItems.toString() + " to " + maxItems.toString());
      return fallback;
    }
    const out = new Array<i64>(items.length);
    for (let i = 0; i < items.length; i++) {
      out[i] = this.checkInt(key, key + "[" + i.toString() + "]", items[i], 0, lo, hi);
    }
    return this.error == "" ? out : fallback;
  }

  /** A dotted-quad IPv4 address: `src_ip "1.2.3" is not an IPv4 address` otherwise. */
  ipv4(key: string, fallback: string): u32 {
    const s = this.string(key, fallback);
    const a = parseIPv4(s);
    if (a < 0) {
      this.fail(key + " \"" + s + "\" is not an IPv4 address");
      return 0;
    }
    return <u32>a;
  }

  /** A MAC address (aa:bb:cc:dd:ee:ff or aa-bb-…), or null when the key is not set (or ""). */
  mac(key: string): Uint8Array | null {
    const s = this.string(key, "");
    if (s == "" || this.error != "") return null;
    const m = parseMAC(s);
    if (m == null) this.fail(key + " \"" + s + "\" is not a MAC address: want six hex pairs like 02:00:00:00:00:01");
    return m;
  }

  /** One of `choices` (strings), quoted in the error. */
  choice(key: string, fallback: string, choices: string[]): string {
    const s = this.string(key, fallback);
    if (choices.includes(s)) return s;
    this.fail(key + " \"" + s + "\" must be " + either(choices));
    return fallback;
  }
}

function either(choices: string[]): string {
  let out = "";
  for (let i = 0; i < choices.length; i++) {
    if (i > 0) out += i == choices.length - 1 ? " or " : ", ";
    out += choices[i];
  }
  return out;
}
