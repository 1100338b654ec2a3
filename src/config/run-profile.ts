/**
 * Run profiles: YAML files (`-c profile.yaml`) that hold any command-line option. Validated with
 * the published JSON Schema; every error names the file and the key.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { XdperfError } from '../errors.js';
import { fromPackageRoot } from '../paths.js';
import { parseYamlText } from './yaml-text.js';

export interface RunProfile {
  plugin?: string;
  plugin_dir?: string[];
  plugin_config?: Record<string, unknown>;
  plugin_timeout?: string | number;
  plugin_memory?: string | number;
  plugin_output?: string | number;
  templates?: string | number;
  dev?: string;
  pcap?: string;
  json?: boolean;
  verbose?: boolean;
  pps?: string | number;
  bps?: string | number;
  gbps?: number;
  count?: string | number;
  duration?: string | number;
  queues?: string | number;
  cpus?: string | number;
  batch?: string | number;
  xdp_mode?: string;
  xdp_batch?: string | number;
  engine?: string;
  interval?: string | number;
  rx_dev?: string;
  rx_netns?: string;
}

export const PROFILE_SCHEMA_PATH = fromPackageRoot('src', 'config', 'profile.schema.json');

const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true }).compile<RunProfile>(
  JSON.parse(readFileSync(PROFILE_SCHEMA_PATH, 'utf8')) as object,
);

function explain(file: string, error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1).join('.');
  if (error.keyword === 'additionalProperties') {
    const key = String(error.params.additionalProperty);
    return `${file}: unknown key '${path === '' ? key : `${path}.${key}`}'`;
  }
  const schema = error.parentSchema as { description?: string } | undefined;
  const expected = schema?.description ?? error.message ?? error.keyword;
  return `${file}: key '${path}' must be ${expected}, not ${JSON.stringify(error.data)}`;
}

export function parseProfile(file: string, text: string): RunProfile {
  let document: unknown;
  try {
    document = parseYamlText(text);
  } catch (error) {
    throw new XdperfError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new XdperfError(`${file}: must be a mapping of option names to values`);
  }
  if (!validate(document)) throw new XdperfError(explain(file, validate.errors![0]!));
  return document;
}

export function loadProfile(file: string): RunProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new XdperfError(`profile ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseProfile(file, text);
}
