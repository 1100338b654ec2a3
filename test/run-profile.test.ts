import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseProfile } from '../src/config/run-profile.js';
import { applySetting, buildPluginConfig } from '../src/config/plugin-config.js';
import { resolvePluginSettings } from '../src/config/plugin-settings.js';
import { resolveRunSettings } from '../src/config/run-settings.js';
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

test('YAML that the library would only warn about is an error that names the file', () => {
  assert.throws(() => parseProfile('p.yaml', 'plugin: !foo simpleudp\n'), /^p\.yaml: not valid YAML: Unresolved tag: !foo at line 1, column 9$/);
  assert.throws(() => parseProfile('p.yaml', '? [a]\n: b\n'), /p\.yaml: not valid YAML: a key must be a plain value, not a mapping or a list, at line 1, column 3/);
  assert.throws(() => parseProfile('p.yaml', 'plugin_config: &a {x: *a}\n'), /p\.yaml: not valid YAML: an alias stands inside the value it names/);
  assert.throws(() => parseProfile('p.yaml', 'plugin_config: {x: !!binary AAAA}\n'), /p\.yaml: not valid YAML: Unresolved tag/);
  // a --set value that is not plain YAML is the text as typed
  assert.equal(applySetting({}, 'dst_mac=%'), { dst_mac: '%' });
  assert.equal(applySetting({}, 'tag=!foo x'), { tag: '!foo x' });
});

test('--set __proto__.x=1 sets a key named __proto__, never Object.prototype', () => {
  const config = applySetting({}, '__proto__.toString=1');
  assert.is(JSON.stringify(config), '{"__proto__":{"toString":1}}');
  assert.is(Object.prototype.toString.call([]), '[object Array]');
  assert.not.ok(Object.hasOwn(Object.prototype, 'x'));
  assert.equal(Object.keys(buildPluginConfig({}, undefined, ['__proto__.count=1'])), ['__proto__']);
});

test('rates, queue and CPU lists that could not be exact or allocated are refused', () => {
  assert.throws(() => resolveRunSettings({ gbps: '1e309' }, {}), /--gbps: '1e309' is not a number of Gbit\/s/);
  assert.throws(() => resolveRunSettings({ config: 'p.yaml' }, { gbps: 1e300 }), /p\.yaml: key 'gbps': '1e\+300' is too large/);
  assert.is(resolveRunSettings({ gbps: '2.5' }, {}).bps, 2.5e9);
  assert.throws(() => resolveRunSettings({ queues: '0-4000000000' }, {}), /--queues: 4000000000 is out of range 0\.\.65535/);
  assert.throws(() => resolveRunSettings({ queues: '99999999999' }, {}), /--queues: 99999999999 queues is out of range 1\.\.65536/);
  assert.throws(() => resolveRunSettings({ cpus: '70000' }, {}), /--cpus: 70000 is out of range 0\.\.65535/);
});

test('CLI: commander\'s usage errors are one line too, and so are messages quoting a newline', () => {
  const suggestion = runCli(['run', '--ppps', '1']);
  assert.is(suggestion.code, 2);
  assert.is(suggestion.stderr, "xdperf: unknown option '--ppps'; did you mean --pps?\n");
  const none = runCli([]);
  assert.is(none.code, 2);
  assert.is(none.stderr, 'xdperf: no command given: use run, recv, probe, templates or plugins (run with --help for usage)\n');
  assert.match(none.stdout, /Usage: xdperf/);
  const quoted = runCli(['templates', '--plugin', 'a\nb']);
  assert.is(quoted.code, 1);
  assert.match(quoted.stderr, /^xdperf: plugin a\\nb: not found in [^\n]*\n$/);
  const notDir = runCli(['plugins', '--plugin-dir', 'package.json']);
  assert.is(notDir.code, 1);
  assert.match(notDir.stderr, /^xdperf: plugin directory \S+package\.json: not a directory\n$/);
});

test('CLI: exit code 2 for usage errors, 1 for user errors, one line each', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdperf-profile-'));
  try {
    const unknownOption = runCli(['templates', '--plugin', 'simpleudp', '--frobnicate']);
    assert.is(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option '--frobnicate'/);

    const opposites = runCli(['recv', '--dev', 'lo', '--count-only', '--stamp']);
    assert.is(opposites.code, 2);
    assert.is(errorLine(opposites), 'xdperf: --count-only and --stamp are opposites: a count-only counter reads no stamps; give one');

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
