// The flow keys every xdperf IPv4 plugin shares, read from a config and
// turned into a field program:
//
//   src_ip_range, dst_ip_range      "A-B" (inclusive) or one address
//   src_port_range, dst_port_range  "A-B" or "N" (or the number N), 1..65535
//   vary                            "sequential" (op inc, the default) or "random"
//   seed                            random's seed, 0..MAX_SEED: the field at position n
//                                   of the program uses seed + n
//   flows                           a cap on each template's flows, emitted as its "flows"
//
// A range overrides the single-value key (src_ip, dst_port, …); the base
// frame carries its first value. Ranges become fields in the order src_ip
// (the fastest digit), dst_ip, src_port, dst_port, all but the first
// chained, so the flow count is the product of the ranges. A range of one
// value is no field; a template without fields has no "flows" either. The
// Go SDK (flows.go, ranges.go) does the same, in the same words.

import { Config, MAX_SAFE_INTEGER } from "./config";
import { JsonKind } from "./json";
import { parseIPv4 } from "./net";
import { Field, FieldValue } from "./fields";
import { Template } from "./response";

/** The config keys FlowKeys reads; add them to a plugin's known keys. */
export const FLOW_KEYS: string[] = ["src_ip_range", "dst_ip_range", "src_port_range", "dst_port_range", "vary", "seed", "flows"];

/** The most fields the host takes in one template. */
export const MAX_FIELDS_PER_TEMPLATE: i32 = 8;

/** The largest seed: the random field at position n uses seed + n, which must stay a number the host reads exactly. */
export const MAX_SEED: i64 = MAX_SAFE_INTEGER - (MAX_FIELDS_PER_TEMPLATE - 1);

/** An inclusive range of integers. */
export class Range {
  constructor(public first: u64, public last: u64) {}

  /** How many values it holds. */
  get count(): u64 {
    return this.last - this.first + 1;
  }
}

export class FlowKeys {
  srcIP: Range | null = null;
  dstIP: Range | null = null;
  srcPort: Range | null = null;
  dstPort: Range | null = null;
  random: bool = false;
  seed: u64 = 0;
  /** The flows cap; 0 when not set. */
  flows: u64 = 0;

  /** Reads the flow keys; problems are recorded in c.error, naming the key. */
  static read(c: Config): FlowKeys {
    const k = new FlowKeys();
    k.srcIP = ipv4Range(c, "src_ip_range");
    k.dstIP = ipv4Range(c, "dst_ip_range");
    k.srcPort = portRange(c, "src_port_range");
    k.dstPort = portRange(c, "dst_port_range");
    k.random = c.choice("vary", "sequential", ["sequential", "random"]) == "random";
    k.seed = <u64>c.int("seed", 0, 0, MAX_SEED);
    k.flows = <u64>c.int("flows", 0, 1, MAX_SAFE_INTEGER);
    if (c.ok) k.checkProduct(c);
    return k;
  }

  /** The ranges' product must fit the u64 a template counts its flows in. */
  private checkProduct(c: Config): void {
    const ranges: (Range | null)[] = [this.srcIP, this.dstIP, this.srcPort, this.dstPort];
    const names = ["src_ip_range", "dst_ip_range", "src_port_range", "dst_port_range"];
    const keys: string[] = [];
    let p: u64 = 1;
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i];
      if (r == null || r.count < 2) continue;
      keys.push(names[i]);
      if (p > u64.MAX_VALUE / r.count) {
        c.fail(keys.join(" × ") + " make more flows than a template can count (2^64-1): narrow a range");
        return;
      }
      p *= r.count;
    }
  }

  /** Whether any range varies a field. */
  get varies(): bool {
    return varying(this.srcIP) || varying(this.dstIP) || varying(this.srcPort) || varying(this.dstPort);
  }

  /** How many flows a template has: the product of the ranges (read checked that it fits), capped by flows. */
  get flowCount(): u64 {
    let p: u64 = 1;
    const ranges: (Range | null)[] = [this.srcIP, this.dstIP, this.srcPort, this.dstPort];
    for (let i = 0; i < ranges.length; i++) {
      const r = ranges[i];
      if (r != null) p *= r.count;
    }
    return this.flows != 0 && this.flows < p ? this.flows : p;
  }

  /** How the flows vary, for a log line: "sequential" or "random, seed 7", and the cap when there is one. */
  describe(): string {
    let s = this.random ? "random, seed " + this.seed.toString() : "sequential";
    if (this.flows != 0) s += ", capped at " + this.flows.toString() + " flows";
    return s;
  }

  /** The first value of the source address range, or fallback when it is not set. */
  firstSrcIP(fallback: u32): u32 {
    const r = this.srcIP;
    return r != null ? <u32>r.first : fallback;
  }

  firstDstIP(fallback: u32): u32 {
    const r = this.dstIP;
    return r != null ? <u32>r.first : fallback;
  }

  firstSrcPort(fallback: u16): u16 {
    const r = this.srcPort;
    return r != null ? <u16>r.first : fallback;
  }

  firstDstPort(fallback: u16): u16 {
    const r = this.dstPort;
    return r != null ? <u16>r.first : fallback;
  }

  /**
   * The field program for a frame whose IPv4 header starts at l3 and whose
   * TCP or UDP header starts at l4. Give a template these fields and, when
   * there are any, the flows cap (see apply).
   */
  fields(l3: i32, l4: i32): Field[] {
    const out: Field[] = [];
    this.add(out, this.srcIP, l3 + 12, 4, true);
    this.add(out, this.dstIP, l3 + 16, 4, true);
    this.add(out, this.srcPort, l4, 2, false);
    this.add(out, this.dstPort, l4 + 2, 2, false);
    return out;
  }

  /** Sets t's fields for a frame laid out as fields() says, and its flows cap when it has fields. */
  apply(t: Template, l3: i32, l4: i32): void {
    t.fields = this.fields(l3, l4);
    t.flows = t.fields.length > 0 ? this.flows : 0;
  }

  private add(out: Field[], r: Range | null, offset: i32, size: i32, address: bool): void {
    if (r == null || r.count < 2) return;
    const min = address ? FieldValue.ipv4(<u32>r.first) : FieldValue.of(r.first);
    const max = address ? FieldValue.ipv4(<u32>r.last) : FieldValue.of(r.last);
    const f = this.random ? Field.random(offset, size, min, max, this.seed + <u64>out.length) : Field.inc(offset, size, min, max);
    f.chain = out.length > 0;
    out.push(f);
  }
}

function varying(r: Range | null): bool {
  return r != null && r.count > 1;
}

/** "A-B" split at its first '-', each end trimmed; a text without one is both ends. */
function ends(s: string): string[] {
  const dash = s.indexOf("-");
  if (dash < 0) return [s.trim(), s.trim()];
  return [s.substring(0, dash).trim(), s.substring(dash + 1).trim()];
}

/**
 * A range key's text: a string, or a number's digits (`--set dst_port_range=53` gives the
 * number 53); null when the key is absent, null or "", or not a string or number (an error).
 */
function rangeText(c: Config, key: string): string | null {
  const v = c.value(key);
  if (v == null) return null;
  if (v.kind != JsonKind.Number && v.kind != JsonKind.String) {
    c.wrongType(key, "a string", v);
    return null;
  }
  return v.text == "" ? null : v.text;
}

/** An IPv4 address range "A-B" or a single address. */
export function ipv4Range(c: Config, key: string): Range | null {
  const text = rangeText(c, key);
  if (text == null) return null;
  const s = text;
  const e = ends(s);
  const a = parseIPv4(e[0]);
  const b = parseIPv4(e[1]);
  if (a < 0 || b < 0) {
    c.fail(key + " \"" + s + "\" is not an IPv4 address or a range like 10.0.0.1-10.0.0.254");
    return null;
  }
  if (a > b) {
    c.fail(key + " \"" + s + "\" runs backwards: " + e[0] + " is after " + e[1]);
    return null;
  }
  return new Range(<u64>a, <u64>b);
}

function parseNumber(s: string): i64 {
  if (s.length < 1 || s.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** A port range "A-B", a port "N", or the number N (as `--set dst_port_range=53` gives it); ports 1..65535. */
export function portRange(c: Config, key: string): Range | null {
  return numberRange(c, key, 1, 65535);
}

/** A range "A-B" of integers in lo..hi, one integer "N", or the number N. */
export function numberRange(c: Config, key: string, lo: i64, hi: i64): Range | null {
  const text = rangeText(c, key);
  if (text == null) return null;
  const s = text;
  const e = ends(s);
  const a = parseNumber(e[0]);
  const b = parseNumber(e[1]);
  const bounds = lo.toString() + ".." + hi.toString();
  if (a < 0 || b < 0) {
    c.fail(key + " \"" + s + "\" is not a number or a range A-B of numbers in " + bounds);
    return null;
  }
  if (a < lo || a > hi || b < lo || b > hi) {
    c.fail(key + " \"" + s + "\": " + (a < lo || a > hi ? a : b).toString() + " is out of range " + bounds);
    return null;
  }
  if (a > b) {
    c.fail(key + " \"" + s + "\" runs backwards: " + a.toString() + " is after " + b.toString());
    return null;
  }
  return new Range(<u64>a, <u64>b);
}
