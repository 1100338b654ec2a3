/**
 * The published GeneratorResponse schema (generator-response.schema.json) and its errors in
 * words: `response[1].template.base_packet.length must be >= 14`, and for a field program the
 * template and field by index, `template 0: field 2: size must be 1..16`.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { fromPackageRoot } from '../paths.js';
import type { FieldValueJson } from './field-values.js';

export type FieldOp = 'inc' | 'dec' | 'random' | 'list';

/** A field as the schema lets it through. */
export interface FieldJson {
  offset: number;
  size: number;
  op: FieldOp;
  min?: FieldValueJson;
  max?: FieldValueJson;
  step?: number;
  seed?: number;
  values?: FieldValueJson[];
  chain?: boolean;
}

export interface ResponseJson {
  template: { base_packet: { data: string; length: number }; fields?: FieldJson[]; flows?: number };
  metadata?: { packet_count?: number; rate_pps?: number; tags?: string[] };
}

export const GENERATOR_RESPONSE_SCHEMA_PATH = fromPackageRoot('src', 'plugin', 'generator-response.schema.json');

// verbose: errors carry their schema, whose bounds the messages quote.
const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true }).compile<ResponseJson[]>(
  JSON.parse(readFileSync(GENERATOR_RESPONSE_SCHEMA_PATH, 'utf8')) as object,
);

/** What is wrong with `json` as a GeneratorResponse list, in one line; undefined when it is one. */
export function responseSchemaError(json: unknown): string | undefined {
  if (validate(json)) return undefined;
  const error = validate.errors![0]!;
  const field = /^\/(\d+)\/template\/fields\/(\d+)(?:\/(.*))?$/.exec(error.instancePath);
  if (field) {
    const op = ((json as ResponseJson[])[Number(field[1])]!.template.fields![Number(field[2])] as FieldJson | null)?.op;
    return `template ${field[1]}: field ${field[2]}: ${fieldError(error, field[3], op)}`;
  }
  const template = /^\/(\d+)\/template\/(fields|flows)$/.exec(error.instancePath);
  if (template) return `template ${template[1]}: ${templateKeyError(error, template[2]!)}`;
  return `${responsePath(error)} ${describe(error)}`;
}

/** `/1/template/base_packet/length` → `response[1].template.base_packet.length` */
function responsePath(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1);
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(String(error.params.additionalProperty));
  return 'response' + parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is missing';
    case 'additionalProperties':
      return 'is not part of the GeneratorResponse schema';
    case 'pattern':
      return 'is not standard base64';
    case 'minItems':
      return 'is empty: the plugin returned no templates';
    default:
      return error.message ?? error.keyword;
  }
}

/** An error of the template's `fields` or `flows` key. */
function templateKeyError(error: ErrorObject, key: string): string {
  if (error.keyword === 'maxItems') return `more than ${String(error.params.limit)} fields`;
  if (error.keyword === 'type') return `${key} must be ${typeWords(error)}`;
  return boundsError(error, key) ?? `${key} ${error.message ?? error.keyword}`;
}

const FIELD_KEYS = 'offset, size, op, min, max, step, seed, values, chain';

/** `rest`: the path inside the field (`size`, `values/3`), or undefined for the field itself. */
function fieldError(error: ErrorObject, rest: string | undefined, op: FieldOp | undefined): string {
  if (rest === undefined && error.keyword === 'type') return 'must be an object';
  const [key, index] = (rest ?? '').split('/');
  const name = index === undefined ? key! : `${key}[${index}]`;
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      // A key required by an op's `then` branch (min and max for inc, values for list).
      return error.schemaPath.includes('/then/') ? `${missing} is missing (op ${op} needs ${needs(op)})` : `${missing} is missing`;
    }
    case 'additionalProperties':
      return `${String(error.params.additionalProperty)} is not a field key (${FIELD_KEYS})`;
    case 'false schema':
      return `${key} is not used by op ${op}`;
    case 'enum':
      return `${name} must be one of ${(error.params.allowedValues as string[]).join(', ')}, not ${JSON.stringify(error.data)}`;
    case 'type':
      return `${name} must be ${typeWords(error)}`;
    case 'minLength':
      return `${name} is empty`;
    case 'maxLength':
      return `${name} is longer than ${String(error.params.limit)} characters`;
    case 'minItems':
      return `${name} is empty`;
    case 'maxItems':
      return `${name} has more than ${String(error.params.limit)} entries`;
    case 'maximum':
      // A JSON number past 2^53-1 has already lost its low digits when it was parsed.
      if (key === 'min' || key === 'max' || key === 'values') return `${name} is more than 2^53-1: write larger values as strings ("0x…" or decimal)`;
      return boundsError(error, name)!;
    default:
      return boundsError(error, name) ?? `${name} ${error.message ?? error.keyword}`;
  }
}

function needs(op: FieldOp | undefined): string {
  return op === 'list' ? 'values' : 'min and max';
}

/** `size must be 1..16` from a minimum or maximum error and the bounds beside it in the schema. */
function boundsError(error: ErrorObject, name: string): string | undefined {
  if (error.keyword !== 'minimum' && error.keyword !== 'maximum') return undefined;
  const schema = error.parentSchema as { minimum: number; maximum: number };
  if (schema.maximum !== Number.MAX_SAFE_INTEGER) return `${name} must be ${schema.minimum}..${schema.maximum}`;
  // 2^53-1 bounds what a JSON number holds exactly, not what the key means: said only when passed.
  return error.keyword === 'minimum' ? `${name} must be at least ${schema.minimum}` : `${name} is more than 2^53-1`;
}

function typeWords(error: ErrorObject): string {
  const words: Record<string, string> = { integer: 'an integer', string: 'a string', boolean: 'true or false', array: 'a list', object: 'an object' };
  const types = ([] as string[]).concat(error.params.type as string | string[]);
  return types.map((t) => words[t] ?? t).join(' or ');
}
