/**
 * Checks a plugin's output against the published GeneratorResponse schema and the rules a schema
 * cannot say, and turns it into the templates the rest of xdperf uses.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { fromPackageRoot } from '../paths.js';
import { PluginError } from './plugin-error.js';

export const ETHERNET_MIN_FRAME = 60;

export interface PacketTemplate {
  /** The frame as it goes on the wire (no FCS), zero-padded to 60 bytes when shorter. */
  frame: Buffer;
  /** The length the plugin declared, before padding. */
  length: number;
  weight: number;
  ratePps: number;
  tags: string[];
}

interface RawResponse {
  template: { base_packet: { data: string; length: number } };
  metadata?: { packet_count?: number; rate_pps?: number; tags?: string[] };
}

export const GENERATOR_RESPONSE_SCHEMA_PATH = fromPackageRoot('src', 'plugin', 'generator-response.schema.json');

const validate = new Ajv({ allErrors: false, strict: true }).compile<RawResponse[]>(
  JSON.parse(readFileSync(GENERATOR_RESPONSE_SCHEMA_PATH, 'utf8')) as object,
);

/** `/1/template/base_packet/length` → `response[1].template.base_packet.length` */
function fieldPath(error: ErrorObject): string {
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

export function parseTemplates(plugin: string, output: string): PacketTemplate[] {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch (error) {
    throw new PluginError(plugin, `returned text that is not JSON: ${(error as Error).message}`, 'validate');
  }
  if (!validate(json)) {
    const error = validate.errors![0]!;
    throw new PluginError(plugin, `${fieldPath(error)} ${describe(error)}`, 'validate');
  }
  return json.map((item, index) => {
    const data = Buffer.from(item.template.base_packet.data, 'base64');
    const { length } = item.template.base_packet;
    if (length > data.length) {
      throw new PluginError(
        plugin,
        `response[${index}].template.base_packet.length ${length} is more than the ${data.length} bytes of data`,
        'validate',
      );
    }
    const frame = Buffer.alloc(Math.max(length, ETHERNET_MIN_FRAME));
    data.copy(frame, 0, 0, length);
    return {
      frame,
      length,
      weight: item.metadata?.packet_count ?? 1,
      ratePps: item.metadata?.rate_pps ?? 0,
      tags: item.metadata?.tags ?? [],
    };
  });
}
