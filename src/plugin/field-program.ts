/**
 * A template's field program: its fields as the native core takes them (values as big-endian
 * bytes), checked by the core's describeFields, which holds the one implementation of what a
 * program means (overlaps, checksums, ranges, flow counts) and returns the base frame with
 * every checksum the program fixes recomputed.
 */
import { nativeCore, type FieldSpec, type FieldsSummary } from '../engine/native-core.js';
import { NativeError } from '../engine/native-error.js';
import { fieldValueBytes, type FieldValueJson } from './field-values.js';
import type { FieldJson } from './response-schema.js';

export interface FieldProgram {
  fields: FieldSpec[];
  /** The template's `flows`: it repeats its first N variants. */
  flowCap: number | undefined;
  /**
   * Variants before the sequence repeats: how many distinct flows the template sends; with a
   * random field, the size of the space its values are drawn from.
   */
  flows: number;
  random: boolean;
}

/** Why a template's field program is refused, one line naming the field: `field 2: …`. */
export class FieldProgramError extends Error {
  override name = 'FieldProgramError';
}

/** The fields in the core's terms; a value that cannot be written in its field is refused here. */
export function fieldSpecs(fields: FieldJson[]): FieldSpec[] {
  return fields.map((field, index) => {
    const bytes = (value: FieldValueJson, key: string): Buffer => {
      try {
        return fieldValueBytes(value, field.size);
      } catch (error) {
        if (error instanceof RangeError) throw new FieldProgramError(`field ${index}: ${key} ${error.message}`);
        throw error;
      }
    };
    const { offset, size, op, min, max, step, seed, values, chain } = field;
    return {
      offset,
      size,
      op,
      ...(min === undefined ? {} : { min: bytes(min, 'min') }),
      ...(max === undefined ? {} : { max: bytes(max, 'max') }),
      ...(step === undefined ? {} : { step }),
      ...(seed === undefined ? {} : { seed }),
      ...(values === undefined ? {} : { values: values.map((value, i) => bytes(value, `values[${i}]`)) }),
      ...(chain === undefined ? {} : { chain }),
    };
  });
}

/**
 * Checks `fields` against `frame` (as the plugin gave it, before padding) in the native core;
 * returns the program and the base frame to send.
 */
export function compileFieldProgram(frame: Buffer, fields: FieldJson[], flowCap: number | undefined): { program: FieldProgram; frame: Buffer } {
  const specs = fieldSpecs(fields);
  const summary = describeFields(frame, specs, flowCap);
  return { program: { fields: specs, flowCap, flows: summary.flows, random: summary.random }, frame: summary.frame };
}

function describeFields(frame: Buffer, specs: FieldSpec[], flowCap: number | undefined): FieldsSummary {
  try {
    return nativeCore().describeFields(frame, specs, flowCap);
  } catch (error) {
    // The core words a refused program as "field N: …"; anything else is not the plugin's.
    if (error instanceof NativeError) throw new FieldProgramError(error.message);
    throw error;
  }
}
