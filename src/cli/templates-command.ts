/**
 * `xdperf templates`: a dry run that shows what a plugin builds and writes it to a pcap; with
 * --variants, also the frames each template's fields make, each decoded and its checksums
 * verified here in full, independently of the native core that fixed them.
 */
import { statSync } from 'node:fs';
import { resolveOptions, type CommandFlags } from '../config/options.js';
import { pluginSettings } from '../config/plugin-settings.js';
import { readProfile } from '../config/run-profile.js';
import { NO_DEVICE, readDevice } from '../device/local-device.js';
import { variantBatches } from '../engine/variant-batches.js';
import { XdperfError } from '../errors.js';
import { checksumsValid, decodeFrame, frameLine, type Layer } from '../packet/frame-decoder.js';
import { PcapWriter } from '../packet/pcap-writer.js';
import { fieldJson, fieldLine } from '../plugin/field-text.js';
import { ETHERNET_MIN_FRAME, engineTemplate, type PacketTemplate } from '../plugin/packet-template.js';
import { locatePlugin, pluginSearchPath } from '../plugin/plugin-locator.js';
import { generateTemplates } from '../plugin/template-generator.js';
import { formatCount, formatFlows } from '../report/format.js';
import { PluginLog } from './plugin-log.js';

export type TemplatesFlags = CommandFlags<'templates'>;

interface Variant {
  index: number;
  /** As sent: padded to the Ethernet minimum. */
  frame: Buffer;
  layers: Layer[];
}

/** A pcap being written, its errors worded for the user. */
class PcapOutput {
  private readonly writer: PcapWriter;

  constructor(readonly path: string) {
    this.writer = this.attempt(() => new PcapWriter(path));
  }

  get count(): number {
    return this.writer.count;
  }

  append(frame: Buffer): void {
    this.attempt(() => this.writer.append(frame));
  }

  commit(): void {
    this.attempt(() => this.writer.commit());
  }

  abort(): void {
    this.writer.abort();
  }

  private attempt<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw new XdperfError(`pcap ${this.path}: cannot write it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
}

/**
 * The first `wanted` variants of a template, a batch at a time; at most one period of them, since
 * variant k + flows is variant k again. A template without fields has one: its frame.
 */
function* variantsOf(template: PacketTemplate, wanted: number): Generator<Variant[]> {
  if (template.program === undefined) {
    yield [{ index: 0, frame: template.frame, layers: decodeFrame(template.frame) }];
    return;
  }
  let index = 0;
  for (const batch of variantBatches(engineTemplate(template), Math.min(wanted, template.program.flows))) {
    yield batch.map((rendered) => {
      const frame = padded(rendered);
      return { index: index++, frame, layers: decodeFrame(frame) };
    });
  }
}

function padded(frame: Buffer): Buffer {
  if (frame.length >= ETHERNET_MIN_FRAME) return frame;
  const full = Buffer.alloc(ETHERNET_MIN_FRAME);
  frame.copy(full);
  return full;
}

function layersJson(layers: Layer[]): Record<string, unknown>[] {
  return layers.map((layer) => ({ name: layer.name, ...layer.fields }));
}

export async function runTemplatesCommand(flags: TemplatesFlags): Promise<void> {
  const options = resolveOptions('templates', flags, readProfile(flags.config));
  const settings = pluginSettings(options);
  const { variants } = options;
  const plugin = locatePlugin(settings.plugin, pluginSearchPath(settings.pluginDirs));
  const device = settings.dev === undefined ? NO_DEVICE : readDevice(settings.dev);
  const log = new PluginLog(plugin.name, !settings.json, settings.verbose);
  const result = await generateTemplates({
    name: plugin.name,
    path: plugin.path,
    limits: settings.limits,
    config: settings.pluginConfig,
    templates: settings.templates,
    device,
    deviceIsReal: settings.dev !== undefined,
    listener: log,
  });
  log.releaseErrors();
  const { templates } = result;
  const pcap = options.pcap === undefined ? undefined : new PcapOutput(options.pcap);
  try {
    // The pcap holds what is shown: the templates, or with --variants their variants.
    if (pcap !== undefined && variants === undefined) for (const template of templates) pcap.append(template.frame);
    const decoded = templates.map((template) => decodeFrame(template.frame));
    if (settings.json) {
      const document = {
        plugin: { name: plugin.name, path: plugin.path, size: statSync(plugin.path).size, exports: result.module.exports },
        elapsed_ms: Math.round(result.elapsedMs * 1000) / 1000,
        request: result.request,
        templates: templates.map((template, index) => ({
          index,
          length: template.length,
          frame_length: template.frame.length,
          weight: template.weight,
          rate_pps: template.ratePps,
          tags: template.tags,
          data: template.frame.toString('base64'),
          checksums_valid: checksumsValid(decoded[index]!),
          layers: layersJson(decoded[index]!),
          fields: (template.program?.fields ?? []).map(fieldJson),
          flows: template.program?.flows ?? 1,
          random: template.program?.random ?? false,
          ...(variants === undefined ? {} : { variants: variantsJson(template, variants, pcap) }),
        })),
        logs: log.logs,
        metrics: log.metrics,
        pcap: pcap?.path ?? null,
      };
      pcap?.commit();
      process.stdout.write(JSON.stringify(document, null, 2) + '\n');
      return;
    }
    const out = (lines: string[]): void => void process.stdout.write(lines.join('\n') + '\n');
    out([
      `plugin ${plugin.name} (${plugin.path}, ${statSync(plugin.path).size} bytes): ` +
        `${templates.length} template${templates.length === 1 ? '' : 's'} in ${result.elapsedMs.toFixed(1)} ms`,
    ]);
    templates.forEach((template, index) => {
      const padding = template.frame.length > template.length ? ` (padded to ${template.frame.length})` : '';
      const lines = [
        `template ${index}: ${template.length} bytes${padding}  weight ${template.weight}` +
          `${template.ratePps > 0 ? `  rate ${template.ratePps} pps` : ''}${template.tags.length ? `  tags ${template.tags.join(',')}` : ''}`,
        ...decoded[index]!.map((layer) => `  ${layer.name.padEnd(9)} ${layer.summary}`),
      ];
      const program = template.program;
      if (program !== undefined) {
        lines.push(...program.fields.map((field, f) => `  field ${f}   ${fieldLine(field)}`));
        lines.push(`  ${formatFlows(program.flows, program.random)}${program.flowCap !== undefined ? ` (capped at ${formatCount(program.flowCap)})` : ''}`);
      }
      out(lines);
      if (variants !== undefined) writeVariantsText(template, variants, pcap, out);
    });
    const tail = log.metrics.map((metric) => `metric ${metric.name} = ${metric.value} at ${metric.timestamp}`);
    pcap?.commit();
    if (pcap !== undefined) tail.push(`wrote ${formatCount(pcap.count)} frame${pcap.count === 1 ? '' : 's'} to ${pcap.path}`);
    if (tail.length > 0) out(tail);
  } catch (error) {
    pcap?.abort();
    throw error;
  }
}

function variantsJson(template: PacketTemplate, wanted: number, pcap: PcapOutput | undefined): Record<string, unknown>[] {
  const shown: Record<string, unknown>[] = [];
  for (const batch of variantsOf(template, wanted)) {
    for (const variant of batch) {
      pcap?.append(variant.frame);
      shown.push({
        index: variant.index,
        data: variant.frame.toString('base64'),
        checksums_valid: checksumsValid(variant.layers),
        layers: layersJson(variant.layers),
      });
    }
  }
  return shown;
}

/** One line per variant, written a batch at a time as the core renders them. */
function writeVariantsText(template: PacketTemplate, wanted: number, pcap: PcapOutput | undefined, out: (lines: string[]) => void): void {
  const program = template.program;
  const shown = program === undefined ? 1 : Math.min(wanted, program.flows);
  out([
    program === undefined
      ? '  variants  one: no fields, every packet is this frame'
      : `  variants  the first ${formatCount(shown)} of ${formatCount(program.flows)}${shown < wanted ? ', then they repeat' : ''}:`,
  ]);
  const width = String(shown - 1).length;
  for (const batch of variantsOf(template, wanted)) {
    out(
      batch.map((variant) => {
        pcap?.append(variant.frame);
        return `    ${String(variant.index).padStart(width)}  ${frameLine(variant.layers)}`;
      }),
    );
  }
}
