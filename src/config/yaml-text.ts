/**
 * YAML as xdperf reads it (profiles, plugin config files, `--set` values): one document of plain
 * data — mappings, sequences and scalars. What the yaml library would only warn about on stderr
 * (an unknown tag or directive) is an error here, as are YAML 1.1 types such as `!!binary` or
 * `!!set` (which JSON cannot carry to a plugin), a mapping or sequence as a key (`? [a]`), and an
 * alias inside the value it names (a cycle). The library never writes to stderr itself.
 * Every error is one line, with the line and column where the library gives them.
 */
import { isCollection, isPair, LineCounter, parseDocument, visit } from 'yaml';

const firstLine = (message: string): string => message.split('\n')[0]!.replace(/:\s*$/, '');

/** Whether a value contains itself; values an alias shares are looked into once. */
function holdsItself(value: unknown, open = new Set<object>(), done = new Set<object>()): boolean {
  if (typeof value !== 'object' || value === null || done.has(value)) return false;
  if (open.has(value)) return true;
  open.add(value);
  const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
  if (children.some((child) => holdsItself(child, open, done))) return true;
  open.delete(value);
  done.add(value);
  return false;
}

/** The value of a YAML text; throws an Error with a one-line message when it is not plain YAML data. */
export function parseYamlText(text: string): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { resolveKnownTags: false, uniqueKeys: true, logLevel: 'error', lineCounter });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem) throw new Error(firstLine(problem.message));
  visit(document, {
    Pair(_, pair) {
      if (isPair(pair) && isCollection(pair.key)) {
        const { line, col } = lineCounter.linePos(pair.key.range?.[0] ?? 0);
        throw new Error(`a key must be a plain value, not a mapping or a list, at line ${line}, column ${col}`);
      }
    },
  });
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new Error(firstLine((error as Error).message));
  }
  if (holdsItself(value)) throw new Error('an alias stands inside the value it names (a cycle)');
  return value;
}
