import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS, flagName, GIVEN, helpOf, OPTIONS, optionsOf, profileKey, profileSchema, resolveOptions } from '../src/config/options.js';
import { toggle } from '../src/config/option-values.js';
import { PROFILE_SCHEMA_PATH } from '../src/config/run-profile.js';
import { runCli } from './support/cli.js';

const REGENERATE = 'node scripts/profile-schema.mjs > src/config/profile.schema.json';

test('profile.schema.json is the schema the option table makes: same keys, types, enums, descriptions', () => {
  const published = JSON.parse(readFileSync(PROFILE_SCHEMA_PATH, 'utf8')) as { properties: Record<string, unknown> };
  const made = JSON.parse(JSON.stringify(profileSchema())) as typeof published;
  for (const key of new Set([...Object.keys(published.properties), ...Object.keys(made.properties)])) {
    assert.equal(published.properties[key], made.properties[key], `profile key '${key}' differs from the option table; after make ts: ${REGENERATE}`);
  }
  assert.equal(published, made, `the schema differs from the option table; after make ts: ${REGENERATE}`);
});

test("each option's name is commander's name for its flag; its profile key is the long name with _ for -", () => {
  for (const [name, row] of Object.entries(OPTIONS)) {
    const option = new Option(row.flag);
    assert.is(option.attributeName(), name, row.flag);
    assert.is(option.long, flagName(name as keyof typeof OPTIONS));
    assert.is(profileKey(name as keyof typeof OPTIONS), option.long!.slice(2).replaceAll('-', '_'));
    assert.ok(row.commands.length > 0, `${row.flag} belongs to no command`);
    assert.is(option.isBoolean(), row.type === toggle, `${row.flag}: a switch exactly when its type is toggle`);
  }
});

test('every command has help for each of its options, and no flag twice', () => {
  for (const command of COMMANDS) {
    const seen = new Set<string>();
    for (const [, row] of optionsOf(command)) {
      assert.ok(helpOf(row, command).trim() !== '', `${command} ${row.flag}: no help`);
      const option = new Option(row.flag);
      for (const flag of [option.short, option.long].filter((f) => f !== undefined)) {
        assert.not.ok(seen.has(flag!), `${command}: ${flag} twice`);
        seen.add(flag!);
      }
    }
  }
});

test('the flag, else the profile, else the default; a profile value under a flag is not read', () => {
  const values = resolveOptions('run', { batch: '32', json: true }, { batch: 0, xdp_batch: '16', json: false, interval: '2s' });
  assert.is(values.batch, 32);
  assert.is(values.xdpBatch, 16);
  assert.is(values.json, true);
  assert.is(values.interval, 2000);
  assert.is(values.pps, undefined);
  assert.is(values.engine, 'auto');
  assert.equal(values.queues, { count: 1 });
  assert.equal([...values[GIVEN]].sort(), ['batch', 'interval', 'json', 'xdpBatch']);
});

test('a repeatable option takes the flags first, then the profile; a plugin config file goes over the profile mapping', () => {
  assert.equal(resolveOptions('templates', { pluginDir: ['a', 'b'] }, { plugin_dir: ['c'] }).pluginDir, ['a', 'b', 'c']);
  assert.equal(resolveOptions('templates', {}, { plugin_dir: ['c'] }).pluginDir, ['c']);
  assert.equal(resolveOptions('plugins', {}).pluginDir, []);
  assert.equal(resolveOptions('templates', {}, { plugin_config: { dst_port: 53 } }).pluginConfig, { dst_port: 53 });
});

test('only the options of the command are read, and a profile sets only what it may', () => {
  // templates ignores run's options in a shared profile, as before
  const values = resolveOptions('templates', {}, { pps: 0, batch: 'x', pcap: 'out.pcap' }) as Record<string, unknown>;
  assert.is(values.pcap, 'out.pcap');
  assert.not.ok('pps' in values);
  // recv takes no profile; `action` has a default
  assert.is(resolveOptions('recv', {}).action, 'drop');
});

test('a bad value names the flag (exit 2) or the file and key (exit 1)', () => {
  assert.throws(
    () => resolveOptions('recv', { action: 'DROP' }),
    (e: Error & { exitCode?: number }) => e.message === "--action: 'DROP' is not one of drop, pass" && e.exitCode === 2,
  );
  assert.throws(
    () => resolveOptions('run', { config: 'p.yaml' }, { xdp_batch: 0 }),
    (e: Error & { exitCode?: number }) => e.message === "p.yaml: key 'xdp_batch': the batch must be more than 0" && e.exitCode === 1,
  );
  assert.throws(() => resolveOptions('run', { engine: 'fast' }), /^--engine: 'fast' is not one of auto, afxdp, xdp, packet, raw$/);
  assert.throws(() => resolveOptions('recv', { interval: '0' }), /^--interval: the interval must be more than 0$/);
  assert.throws(() => resolveOptions('run', { pluginConfig: 'no/such/file.yaml' }), /^plugin config no\/such\/file\.yaml: cannot read it \(ENOENT\)$/);
});

test("CLI: each command's --help lists the table's options for it, in the table's order", () => {
  for (const command of COMMANDS) {
    const result = runCli([command, '--help']);
    assert.is(result.code, 0, result.stderr);
    const listed = [...result.stdout.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((f) => f !== '--help');
    assert.equal(listed, optionsOf(command).map(([name]) => flagName(name)), command);
  }
  assert.not.match(runCli(['--help']).stdout, /AF_XDP\)/);
});

test.run();
