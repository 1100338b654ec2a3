/** `xdperf templates`: a dry run that shows what a plugin builds and writes it to a pcap. */
import { statSync } from 'node:fs';
import { resolveOptions, type CommandFlags } from '../config/options.js';
import { pluginSettings } from '../config/plugin-settings.js';
import { readProfile } from '../config/run-profile.js';
import { NO_DEVICE, readDevice } from '../device/local-device.js';
import { XdperfError } from '../errors.js';
import { checksumsValid, decodeFrame } from '../packet/frame-decoder.js';
import { writePcapFile } from '../packet/pcap-writer.js';
import { locatePlugin, pluginSearchPath } from '../plugin/plugin-locator.js';
import { generateTemplates } from '../plugin/template-generator.js';
import { PluginLog } from './plugin-log.js';

export type TemplatesFlags = CommandFlags<'templates'>;

export async function runTemplatesCommand(flags: TemplatesFlags): Promise<void> {
  const options = resolveOptions('templates', flags, readProfile(flags.config));
  const settings = pluginSettings(options);
  const pcap = options.pcap;
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
  if (pcap !== undefined) {
    try {
      writePcapFile(pcap, result.templates.map((t) => t.frame));
    } catch (error) {
      throw new XdperfError(`pcap ${pcap}: cannot write it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  const decoded = result.templates.map((template) => decodeFrame(template.frame));
  if (settings.json) {
    const document = {
      plugin: { name: plugin.name, path: plugin.path, size: statSync(plugin.path).size, exports: result.module.exports },
      elapsed_ms: Math.round(result.elapsedMs * 1000) / 1000,
      request: result.request,
      templates: result.templates.map((template, index) => ({
        index,
        length: template.length,
        frame_length: template.frame.length,
        weight: template.weight,
        rate_pps: template.ratePps,
        tags: template.tags,
        data: template.frame.toString('base64'),
        checksums_valid: checksumsValid(decoded[index]!),
        layers: decoded[index]!.map((layer) => ({ name: layer.name, ...layer.fields })),
      })),
      logs: log.logs,
      metrics: log.metrics,
      pcap: pcap ?? null,
    };
    process.stdout.write(JSON.stringify(document, null, 2) + '\n');
    return;
  }
  const lines = [
    `plugin ${plugin.name} (${plugin.path}, ${statSync(plugin.path).size} bytes): ` +
      `${result.templates.length} template${result.templates.length === 1 ? '' : 's'} in ${result.elapsedMs.toFixed(1)} ms`,
  ];
  result.templates.forEach((template, index) => {
    const padded = template.frame.length > template.length ? ` (padded to ${template.frame.length})` : '';
    lines.push(
      `template ${index}: ${template.length} bytes${padded}  weight ${template.weight}` +
        `${template.ratePps > 0 ? `  rate ${template.ratePps} pps` : ''}${template.tags.length ? `  tags ${template.tags.join(',')}` : ''}`,
    );
    for (const layer of decoded[index]!) lines.push(`  ${layer.name.padEnd(9)} ${layer.summary}`);
  });
  for (const metric of log.metrics) lines.push(`metric ${metric.name} = ${metric.value} at ${metric.timestamp}`);
  if (pcap !== undefined) lines.push(`wrote ${result.templates.length} frame${result.templates.length === 1 ? '' : 's'} to ${pcap}`);
  process.stdout.write(lines.join('\n') + '\n');
}
