import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LOG_LIMITS, lineText } from '../src/plugin/log-budget.js';
import { runCliMeasured } from './support/peak-rss.js';
import { fixture, runPlugin } from './support/plugins.js';

const MiB = 2 ** 20;
// What the host may hold whatever a plugin logs: node, the worker, the plugin's memory, the caps.
const RSS_LIMIT = 300 * MiB;
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

test('log_flood: 200,000 lines and metrics are cut to the caps, said in one line each, and the template is accepted', async () => {
  const { templates, logs, metrics, notices } = await runPlugin(fixture('log_flood'));
  assert.equal(templates.map((t) => [t.length, t.tags]), [[60, ['flood']]]);
  assert.equal(notices, ['199,800 log lines dropped (limit 200 a call)', '199,000 metrics dropped (limit 1,000 a call)']);
  assert.is(logs.length, LOG_LIMITS.linesPerCall);
  assert.is(logs[0]!.message, `${'x'.repeat(1024)} … (4,096 bytes, cut to 1,024)`);
  assert.is(metrics.length, LOG_LIMITS.metricsPerCall);
  assert.equal(metrics.at(-1), { name: 'flood', value: 999, timestampMs: 1_700_000_000_000 });
});

test('stdout_flood: 864 MiB on stdout, a 64 MiB line among it, is cut and capped the same way', async () => {
  const { templates, logs, notices } = await runPlugin(fixture('stdout_flood'));
  assert.equal(templates.map((t) => [t.length, t.tags]), [[60, ['flood']]]);
  assert.equal(notices, ['199,802 log lines dropped (limit 200 a call)']);
  assert.is(logs.length, LOG_LIMITS.linesPerCall);
  assert.equal(logs[0], { level: 0, message: `stdout: ${'x'.repeat(1024)} … (67,108,864 bytes, cut to 1,024)` });
  assert.equal(logs[1], { level: 0, message: `stdout: ${'y'.repeat(1024)} … (4,095 bytes, cut to 1,024)` });
});

test('a plugin within the caps loses nothing and hears nothing from the host', async () => {
  const { logs, metrics, notices } = await runPlugin(fixture('chatty'));
  assert.equal(notices, []);
  assert.ok(logs.length >= 6 && metrics.length === 4);
});

test('a cut line keeps whole UTF-8 characters and says how long it was', () => {
  assert.is(lineText(encode('short line \r\n')), 'short line');
  const exact = 'é'.repeat(512); // 1,024 bytes: not cut
  assert.is(lineText(encode(exact)), exact);
  // 1,023 ASCII bytes and then a 2-byte character that would straddle the cut.
  const straddling = `${'a'.repeat(1023)}é and more`;
  assert.is(lineText(encode(straddling)), `${'a'.repeat(1023)} … (1,034 bytes, cut to 1,024)`);
  // Only the head of a long line may be at hand (stdout keeps no more); its length is given apart.
  assert.is(lineText(encode('€'.repeat(342)).subarray(0, 1024), 5000), `${'€'.repeat(341)} … (5,000 bytes, cut to 1,024)`);
});

for (const name of ['log_flood', 'stdout_flood']) {
  test(`xdperf templates on ${name} stays under 300 MB and warns on stderr`, () => {
    const result = runCliMeasured(['templates', '--plugin', `test/fixtures/out/${name}.wasm`]);
    assert.is(result.code, 0, result.stderr.slice(-500));
    assert.ok(result.peakRssBytes < RSS_LIMIT, `peak RSS ${(result.peakRssBytes / MiB).toFixed(0)} MiB`);
    assert.match(result.stdout, /^template 0: 60 bytes .*tags flood$/m);
    const dropped = name === 'log_flood' ? '199,800' : '199,802';
    assert.match(result.stderr, new RegExp(`^plugin ${name}: ${dropped} log lines dropped \\(limit 200 a call\\)$`, 'm'));
  });
}

test('with --json the notices are warn records among the logs, and memory stays under 300 MB', () => {
  const result = runCliMeasured(['templates', '--plugin', 'test/fixtures/out/log_flood.wasm', '--json']);
  assert.is(result.code, 0, result.stderr.slice(-500));
  assert.ok(result.peakRssBytes < RSS_LIMIT, `peak RSS ${(result.peakRssBytes / MiB).toFixed(0)} MiB`);
  assert.is(result.stderr, '');
  const document = JSON.parse(result.stdout) as { logs: { level: string; message: string }[]; metrics: unknown[]; templates: unknown[] };
  assert.is(document.templates.length, 1);
  assert.is(document.metrics.length, 1000);
  assert.equal(
    document.logs.filter((record) => record.level === 'warn'),
    [
      { level: 'warn', message: '199,800 log lines dropped (limit 200 a call)' },
      { level: 'warn', message: '199,000 metrics dropped (limit 1,000 a call)' },
    ],
  );
});

test.run();
