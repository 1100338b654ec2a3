/**
 * Checks a plugin's output against the published GeneratorResponse schema and the rules a schema
 * cannot say, and turns it into the templates the rest of xdperf uses.
 */
import type { EngineTemplate } from '../engine/tx-engine.js';
import type { TemplateFlows } from '../report/run-reporter.js';
import { compileFieldProgram, FieldProgramError, type FieldProgram } from './field-program.js';
import { PluginError } from './plugin-error.js';
import { responseSchemaError, type ResponseJson } from './response-schema.js';

export const ETHERNET_MIN_FRAME = 60;

/** List values a response may hold over all its templates (the core keeps them in one table). */
export const MAX_LIST_VALUES = 65536;

export interface PacketTemplate {
  /**
   * The frame as it goes on the wire (no FCS), zero-padded to 60 bytes when shorter; with a field
   * program, the base frame the native core made of the plugin's (checksums fixed).
   */
  frame: Buffer;
  /** The length the plugin declared, before padding. */
  length: number;
  weight: number;
  ratePps: number;
  tags: string[];
  /** Per-packet variation; undefined when every packet is `frame`. */
  program: FieldProgram | undefined;
}

export function parseTemplates(plugin: string, output: string): PacketTemplate[] {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch (error) {
    throw new PluginError(plugin, `returned text that is not JSON: ${(error as Error).message}`, 'validate');
  }
  const schemaError = responseSchemaError(json);
  if (schemaError !== undefined) throw new PluginError(plugin, schemaError, 'validate');
  const responses = json as ResponseJson[];
  const listValues = responses.reduce((sum, item) => sum + (item.template.fields ?? []).reduce((n, f) => n + (f.values?.length ?? 0), 0), 0);
  if (listValues > MAX_LIST_VALUES) {
    throw new PluginError(plugin, `the templates' list fields hold ${listValues} values in all; at most ${MAX_LIST_VALUES}`, 'validate');
  }
  return responses.map((item, index) => {
    const data = Buffer.from(item.template.base_packet.data, 'base64');
    const { length } = item.template.base_packet;
    if (length > data.length) {
      throw new PluginError(
        plugin,
        `response[${index}].template.base_packet.length ${length} is more than the ${data.length} bytes of data`,
        'validate',
      );
    }
    let base: Buffer = data.subarray(0, length);
    let program: FieldProgram | undefined;
    const fields = item.template.fields ?? [];
    if (fields.length > 0) {
      try {
        ({ program, frame: base } = compileFieldProgram(base, fields, item.template.flows));
      } catch (error) {
        if (error instanceof FieldProgramError) throw new PluginError(plugin, `template ${index}: ${error.message}`, 'validate');
        throw error;
      }
    }
    const frame = Buffer.alloc(Math.max(length, ETHERNET_MIN_FRAME));
    base.copy(frame);
    return {
      frame,
      length,
      weight: item.metadata?.packet_count ?? 1,
      ratePps: item.metadata?.rate_pps ?? 0,
      tags: item.metadata?.tags ?? [],
      program,
    };
  });
}

/** What an engine sends for a template: with fields, the base frame unpadded, as the core checked it. */
export function engineTemplate(template: PacketTemplate): EngineTemplate {
  if (template.program === undefined) return { frame: template.frame, weight: template.weight };
  const { fields, flowCap } = template.program;
  return { frame: template.frame.subarray(0, template.length), weight: template.weight, fields, flows: flowCap };
}

export function templateFlows(template: PacketTemplate, index: number): TemplateFlows {
  return { index, flows: template.program?.flows ?? 1, random: template.program?.random ?? false };
}
