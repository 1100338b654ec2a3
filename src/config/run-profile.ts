/**
 * Run profiles: YAML files (`-c profile.yaml`) that hold any command-line option. Validated with
 * the JSON Schema the option table makes (options.ts); every error names the file and the key.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { XdperfError } from '../errors.js';
import { fromPackageRoot } from '../paths.js';
import { profileSchema, type RunProfile } from './options.js';
import { parseYamlText } from './yaml-text.js';

export type { RunProfile } from './options.js';

/** The published schema, which test/options.test.ts holds equal to the one the option table makes. */
export const PROFILE_SCHEMA_PATH = fromPackageRoot('src', 'config', 'profile.schema.json');

// Compiled when a profile is read (ajv takes about 0.1 s), not by every run that has none.
let validator: ValidateFunction<RunProfile> | undefined;
function validateProfile(): ValidateFunction<RunProfile> {
  validator ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true }).compile<RunProfile>(profileSchema() as object);
  return validator;
}

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
  const validate = validateProfile();
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

/** The profile `-c` names, or an empty one. */
export function readProfile(file: string | undefined): RunProfile {
  return file === undefined ? {} : loadProfile(file);
}
