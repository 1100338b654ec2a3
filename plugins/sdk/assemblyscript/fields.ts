// Field programs: per-packet variation the host's core applies to a
// template (see plugins/README.md and the GeneratorResponse schema).

import { JsonWriter } from "./json";
import { formatIPv4 } from "./net";
import { MAX_SAFE_INTEGER } from "./config";

export enum FieldOp {
  Inc,
  Dec,
  Random,
  List,
}

const OP_NAMES: string[] = ["inc", "dec", "random", "list"];

/** A field's min, max or list value: a number, or text the host reads (an address, a hex or decimal string). */
export class FieldValue {
  constructor(public num: u64, public text: string) {}

  /** A number; past 2^53 - 1 it is written as a decimal string, which JSON numbers cannot carry exactly. */
  static of(n: u64): FieldValue {
    return n <= <u64>MAX_SAFE_INTEGER ? new FieldValue(n, "") : new FieldValue(0, n.toString());
  }

  /** Text as the host reads it: "10.0.0.1", "2001:db8::1", "02:00:00:00:00:01", "0x0a000001". */
  static text(s: string): FieldValue {
    return new FieldValue(0, s);
  }

  static ipv4(a: u32): FieldValue {
    return new FieldValue(0, formatIPv4(a));
  }

  write(w: JsonWriter): void {
    if (this.text != "") w.string(this.text);
    else w.uint(this.num);
  }
}

/** One field of a template's field program. */
export class Field {
  /** 0 leaves out `step` (default 1). */
  step: u64 = 0;
  /** For op random; 0, the host's default, is left out. */
  seed: u64 = 0;
  values: FieldValue[] = [];
  /** Advance only when the field before this one wraps. */
  chain: bool = false;

  constructor(
    public offset: i32,
    public size: i32,
    public op: FieldOp,
    public min: FieldValue | null = null,
    public max: FieldValue | null = null,
  ) {}

  static inc(offset: i32, size: i32, min: FieldValue, max: FieldValue): Field {
    return new Field(offset, size, FieldOp.Inc, min, max);
  }

  static dec(offset: i32, size: i32, min: FieldValue, max: FieldValue): Field {
    return new Field(offset, size, FieldOp.Dec, min, max);
  }

  static random(offset: i32, size: i32, min: FieldValue, max: FieldValue, seed: u64): Field {
    const f = new Field(offset, size, FieldOp.Random, min, max);
    f.seed = seed;
    return f;
  }

  static list(offset: i32, size: i32, values: FieldValue[]): Field {
    const f = new Field(offset, size, FieldOp.List);
    f.values = values;
    return f;
  }

  write(w: JsonWriter): void {
    w.raw("{\"offset\":");
    w.int(this.offset);
    w.raw(",\"size\":");
    w.int(this.size);
    w.raw(",\"op\":");
    w.string(OP_NAMES[<i32>this.op]);
    const min = this.min;
    const max = this.max;
    if (this.op == FieldOp.List) {
      w.raw(",\"values\":[");
      for (let i = 0; i < this.values.length; i++) {
        if (i > 0) w.byte(0x2c);
        this.values[i].write(w);
      }
      w.byte(0x5d);
    } else if (min != null && max != null) {
      w.raw(",\"min\":");
      min.write(w);
      w.raw(",\"max\":");
      max.write(w);
    }
    if (this.step != 0 && (this.op == FieldOp.Inc || this.op == FieldOp.Dec)) {
      w.raw(",\"step\":");
      w.uint(this.step);
    }
    if (this.seed != 0 && this.op == FieldOp.Random) {
      w.raw(",\"seed\":");
      w.uint(this.seed);
    }
    if (this.chain) w.raw(",\"chain\":true");
    w.byte(0x7d);
  }
}
