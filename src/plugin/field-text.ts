/**
 * A field program in words, for `xdperf templates`: each value in the notation a plugin would
 * write it in for its size (an IPv4 address in 4 bytes, a MAC in 6, an IPv6 address in 16, a
 * decimal number otherwise), so the text and the JSON read back through field-values.ts.
 */
import type { FieldSpec } from '../engine/native-core.js';
import { formatIpv4, formatIpv6, formatMac } from '../packet/frame-decoder.js';

// A list's values shown in a line before it says how many more there are.
const LIST_SHOWN = 4;

export function fieldValueText(bytes: Buffer): string {
  if (bytes.length === 4) return formatIpv4(bytes);
  if (bytes.length === 6) return formatMac(bytes);
  if (bytes.length === 16) return formatIpv6(bytes);
  return BigInt(`0x${bytes.toString('hex')}`).toString();
}

/** `bytes 36-37  inc 20000..20999 step 2  chained` */
export function fieldLine(field: FieldSpec): string {
  const parts = [`bytes ${field.offset}-${field.offset + field.size - 1}`];
  if (field.op === 'list') {
    const values = field.values ?? [];
    const shown = values.slice(0, LIST_SHOWN).map(fieldValueText).join(', ');
    parts.push(`list of ${values.length}: ${shown}${values.length > LIST_SHOWN ? ', …' : ''}`);
  } else {
    parts.push(`${field.op} ${fieldValueText(field.min!)}..${fieldValueText(field.max!)}`);
  }
  if (field.step !== undefined) parts.push(`step ${field.step}`);
  if (field.seed !== undefined) parts.push(`seed ${field.seed}`);
  if (field.chain === true) parts.push('chained');
  return parts.join('  ');
}

/** The field as a plugin would write it in JSON. */
export function fieldJson(field: FieldSpec): Record<string, unknown> {
  return {
    ...field,
    ...(field.min === undefined ? {} : { min: fieldValueText(field.min) }),
    ...(field.max === undefined ? {} : { max: fieldValueText(field.max) }),
    ...(field.values === undefined ? {} : { values: field.values.map(fieldValueText) }),
  };
}
