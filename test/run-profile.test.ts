import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseProfile } from '../src/config/run-profile.js';
import { applySetting, buildPluginConfig } from '../src/config/plugin-config.js';
import { resolvePluginSettings } from '../src/config/plugin-settings.js';
import { errorLine, runCli } from './support/cli.js';

test('a valid profile parses, numbers with suffixes included', () => {
  const profile = parseProfile('p.yaml', 'plugin: simpleudp\nplugin_timeout: 2s\nplugin_memory: 64m\ntemplates: 4\nplugin_config:\n  dst_port: 53\n');
  assert.equal(profile, { plugin: 'simpleudp', plugin_timeout: '2s', plugin_memory: '64m', templates: 4, plugin_config: { dst_port: 53 } });
  const settings = resolvePluginSettings({}, profile);
  assert.is(settings.limits.timeoutMs, 2000);
  assert.is(settings.limits.memoryBytes, 64 * 2 ** 20);
  assert.is(settings.templates, 4);
  assert.equal(settings.pluginConfig, { dst_port: 53 });
});

test('profile errors name the file and the key', () => {
  assert.throws(() => parseProfile('p.yaml', 'ppss: 10\n'), (e: Error) => e.message === "p.yaml: unknown key 'ppss'");
  assert.throws(
    () => parseProfile('p.yaml', 'plugin_timeout: 5 parsecs\n'),
    (e: Error) => e.message === `p.yaml: key 'plugin_timeout' must be a duration such as 500ms, 10s or 2m, not "5 parsecs"`,
  );
  assert.throws(() => parseProfile('p.yaml', 'plugin_memory: 12q\n'), /p\.yaml: key 'plugin_memory' must be a size/);
  assert.throws(() => parseProfile('p.yaml', 'templates: many\n'), /p\.yaml: key 'templates' must be a count/);
  assert.throws(() => parseProfile('p.yaml', 'json: "yes please"\n'), /p\.yaml: key 'json' must be true or false, not "yes please"/);
  assert.throws(() => parseProfile('p.yaml', 'plugin_config: [1, 2]\n'), /p\.yaml: key 'plugin_config' must be a mapping/);
  assert.throws(() => parseProfile('p.yaml', '- just\n- a list\n'), /p\.yaml: must be a mapping of option names to values/);
  assert.throws(() => parseProfile('p.yaml', 'plugin: [unclosed\n'), /p\.yaml: not valid YAML/);
});

test('out-of-range profile values name the key', () => {
  assert.throws(
    () => resolvePluginSettings({ config: 'p.yaml' }, { plugin: 'x', plugin_memory: '4k' }),
    /p\.yaml: key 'plugin_memory': 4096 bytes is out of range 1 MiB\.\.4096 MiB/,
  );
  assert.throws(() => resolvePluginSettings({ config: 'p.yaml' }, { plugin: 'x', templates: 0 }), /key 'templates': 0 is out of range 1\.\.65536/);
});

test('flags override the profile; a bad flag is a usage error naming the flag', () => {
  const settings = resolvePluginSettings({ plugin: 'tcpsyn', pluginTimeout: '250ms' }, { plugin: 'simpleudp', plugin_timeout: '2s' });
  assert.is(settings.plugin, 'tcpsyn');
  assert.is(settings.limits.timeoutMs, 250);
  assert.throws(
    () => resolvePluginSettings({ plugin: 'x', templates: '10x' }, {}),
    (e: Error & { exitCode?: number }) => e.message === "--templates: '10x' is not a count (use e.g. 1000, 100k, 1.5m)" && e.exitCode === 2,
  );
});

test('--set values are YAML scalars, dotted keys nest, later settings win', () => {
  let config = applySetting({}, 'dst_port=53');
  config = applySetting(config, 'dst_ip=10.0.0.1');
  config = applySetting(config, 'flow.vlan=7');
  config = applySetting(config, 'dst_port=54');
  assert.equal(config, { dst_port: 54, dst_ip: '10.0.0.1', flow: { vlan: 7 } });
  assert.throws(() => applySetting({}, 'novalue'), /--set 'novalue': expected key=value/);
  assert.throws(() => buildPluginConfig({}, undefined, ['count=3']), /plugin config key 'count' is set by the host \(use --templates\)/);
});

test('CLI: exit code 2 for usage errors, 1 for user errors, one line each', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdperf-profile-'));
  try {
    const unknownOption = runCli(['templates', '--plugin', 'simpleudp', '--frobnicate']);
    assert.is(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option '--frobnicate'/);

    const badSuffix = runCli(['templates', '--plugin', 'simpleudp', '--plugin-timeout', '5x']);
    assert.is(badSuffix.code, 2);
    assert.is(errorLine(badSuffix), "xdperf: --plugin-timeout: '5x' is not a duration (use e.g. 500ms, 10s, 2m)");

    const profile = join(dir, 'bad.yaml');
    writeFileSync(profile, 'plugin: simpleudp\nplugin_timout: 5s\n');
    const badProfile = runCli(['templates', '-c', profile]);
    assert.is(badProfile.code, 1);
    assert.is(errorLine(badProfile), `xdperf: ${profile}: unknown key 'plugin_timout'`);

    const missing = runCli(['templates', '--plugin', join(dir, 'nothere.wasm')]);
    assert.is(missing.code, 1);
    assert.is(errorLine(missing), `xdperf: plugin file ${join(dir, 'nothere.wasm')}: no such file`);

    const noDevice = runCli(['templates', '--plugin', 'simpleudp', '--dev', 'xdperf-nope0']);
    assert.is(noDevice.code, 1);
    assert.is(errorLine(noDevice), 'xdperf: interface xdperf-nope0: no such interface');

    const help = runCli(['--help']);
    assert.is(help.code, 0);
    assert.match(help.stdout, /templates/);
    assert.is(runCli(['--version']).stdout.trim(), '0.1.0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
