// The templates plugin_process returns, and their JSON (GeneratorResponse[]).

import { JsonWriter } from "./json";
import { Field } from "./fields";

/** One packet template and how it takes part in the mix. */
export class Template {
  /** How many bytes of frame to send; 0 means all of it. */
  length: i32 = 0;
  /** The template's weight in the mix (≥ 1). */
  packetCount: u64 = 1;
  /** A suggested rate, used only when the user sets none; 0 means none. */
  ratePps: f64 = 0;
  /** Labels for the template's counters in the report. */
  tags: string[] = [];
  /** Per-packet variation; empty for a fixed frame. */
  fields: Field[] = [];
  /** The template-level flows cap; 0 leaves it out. */
  flows: u64 = 0;

  /** frame: the whole frame from the Ethernet header, without FCS. */
  constructor(public frame: Uint8Array) {}

  write(w: JsonWriter): void {
    const length = this.length > 0 ? this.length : this.frame.length;
    w.raw("{\"template\":{\"base_packet\":{\"data\":");
    w.base64(this.frame, min(length, this.frame.length));
    w.raw(",\"length\":");
    w.int(length);
    w.byte(0x7d);
    if (this.fields.length > 0) {
      w.raw(",\"fields\":[");
      for (let i = 0; i < this.fields.length; i++) {
        if (i > 0) w.byte(0x2c);
        this.fields[i].write(w);
      }
      w.byte(0x5d);
    }
    if (this.flows > 0) {
      w.raw(",\"flows\":");
      w.uint(this.flows);
    }
    w.raw("},\"metadata\":{\"packet_count\":");
    w.uint(this.packetCount > 0 ? this.packetCount : 1);
    w.raw(",\"rate_pps\":");
    w.float(this.ratePps);
    w.raw(",\"tags\":[");
    for (let i = 0; i < this.tags.length; i++) {
      if (i > 0) w.byte(0x2c);
      w.string(this.tags[i]);
    }
    w.raw("]}}");
  }
}

/** What Process fills in: the templates, in order. */
export class Templates {
  items: Template[] = [];

  /** Adds a template for frame and returns it, to set its weight, tags and fields. */
  add(frame: Uint8Array): Template {
    const t = new Template(frame);
    this.items.push(t);
    return t;
  }

  get length(): i32 {
    return this.items.length;
  }

  /** The GeneratorResponse array. */
  write(w: JsonWriter): void {
    w.byte(0x5b);
    for (let i = 0; i < this.items.length; i++) {
      if (i > 0) w.byte(0x2c);
      this.items[i].write(w);
    }
    w.byte(0x5d);
  }
}
