// A small JSON reader and writer, enough for the plugin contract: configs and
// requests are read into a JsonValue tree (objects keep their key order), and
// responses are written into a growing byte buffer without building a tree.
// Numbers keep the text they were written with, so that error messages can
// quote them and a config can be compared byte for byte after a round trip.

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

const MAX_DEPTH = 64;

/** One JSON value. Only the members of its kind are meaningful. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  /** A boolean's value. */
  flag: bool = false;
  /** A number's value; exact for integers up to 2^53. */
  num: f64 = 0;
  /** A string's text, or a number as it was written. */
  text: string = "";
  /** An array's items. */
  items: JsonValue[] = [];
  /** An object's keys and values, in the order first written. */
  keys: string[] = [];
  values: JsonValue[] = [];

  static object(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    return v;
  }

  static string(text: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.text = text;
    return v;
  }

  /** Whether the value is a number without a fraction (1e3 is one, 1.5 is not). */
  isInteger(): bool {
    return this.kind == JsonKind.Number && Math.floor(this.num) == this.num && isFinite(this.num);
  }

  /** An object's member, or null when it has none of that name. */
  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.values[i];
    }
    return null;
  }

  /** Sets an object's member; a new key goes last. */
  set(key: string, value: JsonValue): void {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) {
        this.values[i] = value;
        return;
      }
    }
    this.keys.push(key);
    this.values.push(value);
  }

  /** A shallow copy of an object: its own key and value lists, the same values. */
  cloneObject(): JsonValue {
    const v = JsonValue.object();
    for (let i = 0; i < this.keys.length; i++) v.set(this.keys[i], this.values[i]);
    return v;
  }

  /** What the value is, for messages: "a string", "an array", or a number as written. */
  describe(): string {
    switch (this.kind) {
      case JsonKind.Null:
        return "null";
      case JsonKind.Bool:
        return "a boolean";
      case JsonKind.Number:
        return this.text;
      case JsonKind.String:
        return "a string";
      case JsonKind.Array:
        return "an array";
      default:
        return "an object";
    }
  }

  /** The value written compactly, as JsonWriter writes it. */
  toString(): string {
    const w = new JsonWriter(64);
    w.value(this);
    return w.toString();
  }
}

/** The outcome of parseJson: a value, or an error message with no value. */
export class JsonParse {
  constructor(public value: JsonValue | null, public error: string) {}
}

/** Parses UTF-8 JSON text held at ptr..ptr+len. */
export function parseJsonAt(ptr: usize, len: i32): JsonParse {
  const bytes = new Uint8Array(len);
  memory.copy(bytes.dataStart, ptr, <usize>len);
  return parseJson(bytes);
}

/** Parses a whole JSON document; anything but whitespace after the value is an error. */
export function parseJson(bytes: Uint8Array): JsonParse {
  const p = new Parser(bytes);
  p.skipSpace();
  const v = p.value(0);
  if (v != null && p.error == "") {
    p.skipSpace();
    if (p.pos < bytes.length) p.unexpected("after top-level value");
  }
  if (p.error != "") return new JsonParse(null, p.error);
  return new JsonParse(v, "");
}

class Parser {
  pos: i32 = 0;
  error: string = "";
  constructor(public data: Uint8Array) {}

  fail(message: string): void {
    if (this.error == "") this.error = message;
  }

  unexpected(context: string): void {
    if (this.pos >= this.data.length) {
      this.fail("unexpected end of JSON input");
      return;
    }
    const c = this.data[this.pos];
    const shown = c >= 0x20 && c < 0x7f ? "'" + String.fromCharCode(c) + "'" : "byte 0x" + hex2(c);
    this.fail("invalid character " + shown + " " + context + " (at byte " + (this.pos + 1).toString() + ")");
  }

  skipSpace(): void {
    while (this.pos < this.data.length) {
      const c = this.data[this.pos];
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  literal(word: string): bool {
    for (let i = 0; i < word.length; i++) {
      if (this.pos >= this.data.length || <i32>this.data[this.pos] != word.charCodeAt(i)) {
        this.unexpected("in literal " + word);
        return false;
      }
      this.pos++;
    }
    return true;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) {
      this.fail("nested too deeply (more than " + MAX_DEPTH.toString() + " levels)");
      return null;
    }
    if (this.pos >= this.data.length) {
      this.unexpected("");
      return null;
    }
    const c = this.data[this.pos];
    const v = new JsonValue();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s == null) return null;
      v.kind = JsonKind.String;
      v.text = s;
      return v;
    }
    if (c == 0x74 || c == 0x66) {
      if (!this.literal(c == 0x74 ? "true" : "false")) return null;
      v.kind = JsonKind.Bool;
      v.flag = c == 0x74;
      return v;
    }
    if (c == 0x6e) {
      if (!this.literal("null")) return null;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.numberValue();
    this.unexpected("looking for beginning of value");
    return null;
  }

  digits(): i32 {
    const start = this.pos;
    while (this.pos < this.data.length && this.data[this.pos] >= 0x30 && this.data[this.pos] <= 0x39) this.pos++;
    return this.pos - start;
  }

  numberValue(): JsonValue | null {
    const start = this.pos;
    if (this.data[this.pos] == 0x2d) this.pos++;
    if (this.pos < this.data.length && this.data[this.pos] == 0x30) {
      this.pos++;
    } else if (this.digits() == 0) {
      this.unexpected("in numeric literal");
      return null;
    }
    if (this.pos < this.data.length && this.data[this.pos] == 0x2e) {
      this.pos++;
      if (this.digits() == 0) {
        this.unexpected("after decimal point in numeric literal");
        return null;
      }
    }
    if (this.pos < this.data.length && (this.data[this.pos] == 0x65 || this.data[this.pos] == 0x45)) {
      this.pos++;
      if (this.pos < this.data.length && (this.data[this.pos] == 0x2b || this.data[this.pos] == 0x2d)) this.pos++;
      if (this.digits() == 0) {
        this.unexpected("in exponent of numeric literal");
        return null;
      }
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.text = String.UTF8.decodeUnsafe(this.data.dataStart + <usize>start, <usize>(this.pos - start));
    v.num = parseFloat(v.text);
    return v;
  }

  string(): string | null {
    this.pos++; // the opening quote
    let out = "";
    let run = this.pos;
    while (true) {
      if (this.pos >= this.data.length) {
        this.fail("unexpected end of JSON input");
        return null;
      }
      const c = this.data[this.pos];
      if (c == 0x22) break;
      if (c < 0x20) {
        this.unexpected("in string literal");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += this.run(run);
      this.pos++;
      if (this.pos >= this.data.length) {
        this.fail("unexpected end of JSON input");
        return null;
      }
      const e = this.data[this.pos];
      if (e == 0x75) {
        let unit = 0;
        for (let i = 0; i < 4; i++) {
          this.pos++;
          const d = this.pos < this.data.length ? hexDigit(this.data[this.pos]) : -1;
          if (d < 0) {
            this.unexpected("in \\u hexadecimal character escape");
            return null;
          }
          unit = (unit << 4) | d;
        }
        out += String.fromCharCode(unit);
      } else {
        const i = "\"\\/bfnrt".indexOf(String.fromCharCode(e));
        if (i < 0) {
          this.unexpected("in string escape code");
          return null;
        }
        out += "\"\\/\b\f\n\r\t".charAt(i);
      }
      this.pos++;
      run = this.pos;
    }
    out += this.run(run);
    this.pos++; // the closing quote
    return out;
  }

  run(start: i32): string {
    return String.UTF8.decodeUnsafe(this.data.dataStart + <usize>start, <usize>(this.pos - start));
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.pos++;
    this.skipSpace();
    if (this.pos < this.data.length && this.data[this.pos] == 0x5d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.skipSpace();
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.items.push(item);
      this.skipSpace();
      if (this.pos < this.data.length && this.data[this.pos] == 0x2c) {
        this.pos++;
        continue;
      }
      if (this.pos < this.data.length && this.data[this.pos] == 0x5d) {
        this.pos++;
        return v;
      }
      this.unexpected("after array element");
      return null;
    }
  }

  object(depth: i32): JsonValue | null {
    const v = JsonValue.object();
    this.pos++;
    this.skipSpace();
    if (this.pos < this.data.length && this.data[this.pos] == 0x7d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.skipSpace();
      if (this.pos >= this.data.length || this.data[this.pos] != 0x22) {
        this.unexpected("looking for beginning of object key string");
        return null;
      }
      const key = this.string();
      if (key == null) return null;
      this.skipSpace();
      if (this.pos >= this.data.length || this.data[this.pos] != 0x3a) {
        this.unexpected("after object key");
        return null;
      }
      this.pos++;
      this.skipSpace();
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.set(key, item);
      this.skipSpace();
      if (this.pos < this.data.length && this.data[this.pos] == 0x2c) {
        this.pos++;
        continue;
      }
      if (this.pos < this.data.length && this.data[this.pos] == 0x7d) {
        this.pos++;
        return v;
      }
      this.unexpected("after object key:value pair");
      return null;
    }
  }
}

function hexDigit(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const HEX = "0123456789abcdef";

function hex2(c: u8): string {
  return HEX.charAt(c >> 4) + HEX.charAt(c & 15);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Writes JSON into a byte buffer that grows as needed. The caller places
 * commas and colons; the writer only encodes values.
 */
export class JsonWriter {
  buf: Uint8Array;
  len: i32 = 0;

  constructor(capacity: i32 = 1024) {
    this.buf = new Uint8Array(max(capacity, 16));
  }

  private reserve(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    memory.copy(next.dataStart, this.buf.dataStart, <usize>this.len);
    this.buf = next;
  }

  byte(c: i32): void {
    this.reserve(1);
    this.buf[this.len++] = <u8>c;
  }

  /** Text written as it is: keys, punctuation, literals. ASCII only. */
  raw(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = <u8>s.charCodeAt(i);
  }

  /** `"key":` */
  key(k: string): void {
    this.string(k);
    this.byte(0x3a);
  }

  uint(v: u64): void {
    this.raw(v.toString());
  }

  int(v: i64): void {
    this.raw(v.toString());
  }

  /** A finite number; integers are written without a fraction. */
  float(v: f64): void {
    if (!isFinite(v)) v = 0;
    if (Math.floor(v) == v && Math.abs(v) < 9007199254740992) this.raw((<i64>v).toString());
    else this.raw(v.toString());
  }

  bool(v: bool): void {
    this.raw(v ? "true" : "false");
  }

  /** A string, escaped as RFC 8259 asks, in UTF-8. */
  string(s: string): void {
    this.byte(0x22);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c == 0x22 || c == 0x5c) {
        this.byte(0x5c);
        this.byte(c);
      } else if (c < 0x20) {
        this.raw("\\u00" + hex2(<u8>c));
      } else if (c < 0x80) {
        this.byte(c);
      } else if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
      } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) < 0xe000) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
        i++;
        this.byte(0xf0 | (cp >> 18));
        this.byte(0x80 | ((cp >> 12) & 0x3f));
        this.byte(0x80 | ((cp >> 6) & 0x3f));
        this.byte(0x80 | (cp & 0x3f));
      } else if (c >= 0xd800 && c < 0xe000) {
        this.raw("\\u" + hex2(<u8>(c >> 8)) + hex2(<u8>c)); // a lone surrogate
      } else {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      }
    }
    this.byte(0x22);
  }

  /** The first n bytes of data as a standard base64 string with padding. */
  base64(data: Uint8Array, n: i32): void {
    this.byte(0x22);
    this.reserve(((n + 2) / 3) * 4);
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const v = (<u32>data[i] << 16) | (<u32>data[i + 1] << 8) | <u32>data[i + 2];
      this.buf[this.len++] = <u8>BASE64.charCodeAt(v >> 18);
      this.buf[this.len++] = <u8>BASE64.charCodeAt((v >> 12) & 63);
      this.buf[this.len++] = <u8>BASE64.charCodeAt((v >> 6) & 63);
      this.buf[this.len++] = <u8>BASE64.charCodeAt(v & 63);
    }
    if (i < n) {
      const two = i + 1 < n;
      const v = (<u32>data[i] << 16) | (two ? <u32>data[i + 1] << 8 : 0);
      this.buf[this.len++] = <u8>BASE64.charCodeAt(v >> 18);
      this.buf[this.len++] = <u8>BASE64.charCodeAt((v >> 12) & 63);
      this.buf[this.len++] = two ? <u8>BASE64.charCodeAt((v >> 6) & 63) : 0x3d;
      this.buf[this.len++] = 0x3d;
    }
    this.byte(0x22);
  }

  /** Any JsonValue, compactly; numbers as they were written. */
  value(v: JsonValue): void {
    switch (v.kind) {
      case JsonKind.Null:
        this.raw("null");
        break;
      case JsonKind.Bool:
        this.bool(v.flag);
        break;
      case JsonKind.Number:
        this.raw(v.text);
        break;
      case JsonKind.String:
        this.string(v.text);
        break;
      case JsonKind.Array:
        this.byte(0x5b);
        for (let i = 0; i < v.items.length; i++) {
          if (i > 0) this.byte(0x2c);
          this.value(v.items[i]);
        }
        this.byte(0x5d);
        break;
      default:
        this.byte(0x7b);
        for (let i = 0; i < v.keys.length; i++) {
          if (i > 0) this.byte(0x2c);
          this.key(v.keys[i]);
          this.value(v.values[i]);
        }
        this.byte(0x7d);
    }
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.buf.dataStart, <usize>this.len);
  }
}

/** Decodes standard base64 (padding optional); null when it is not base64. */
export function decodeBase64(s: string): Uint8Array | null {
  let n = s.length;
  while (n > 0 && s.charCodeAt(n - 1) == 0x3d) n--;
  if (s.length - n > 2 || n % 4 == 1 || (s.length != n && s.length % 4 != 0)) return null;
  const out = new Uint8Array((n * 3) / 4);
  let acc: u32 = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const d = BASE64.indexOf(s.charAt(i));
    if (d < 0) return null;
    acc = (acc << 6) | <u32>d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>(acc >> bits);
    }
  }
  return out;
}
