import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { timestampToMs } from '../src/plugin/plugin-instance.js';
import { failureOf, fixture, runPlugin } from './support/plugins.js';

// Every refusal, run one after the other in this one process: each must give its own one-line
// error, and the host must still load the next plugin afterwards.
const REFUSALS: [string, string][] = [
  ['command', 'plugin command: is a WASI command module (exports _start); build it as a reactor (Go: -buildmode=c-shared, clang: -mexec-model=reactor) (load)'],
  ['missing_export', 'plugin missing_export: does not export plugin_process (load)'],
  ['bad_import', 'plugin bad_import: imports env.host_sleep (function), which the host does not provide (load)'],
  ['trap', 'plugin trap: trapped: unreachable (plugin_process)'],
  ['proc_exit', 'plugin proc_exit: exited with code 7 (plugin_init)'],
  ['negative_return', 'plugin negative_return: returned error code -42 (plugin_process)'],
  ['init_error', 'plugin init_error: returned error code 3: port 99999 is out of range (plugin_init)'],
  ['oversize_return', 'plugin oversize_return: returned 1048676 bytes, more than its 1048576-byte output buffer (--plugin-output) (plugin_process)'],
  ['not_utf8', 'plugin not_utf8: returned 3 bytes that are not UTF-8 text (plugin_process)'],
  ['bad_schema', 'plugin bad_schema: response[1].template.base_packet.length must be >= 14 (validate)'],
];

for (const [name, expected] of REFUSALS) {
  test(`refuses ${name} with one line`, async () => {
    const message = await failureOf(fixture(name));
    assert.is(message, expected);
    assert.not.match(message, /\n/);
  });
}

test('refuses text that is not JSON, quoting the parser', async () => {
  assert.match(await failureOf(fixture('not_json')), /^plugin not_json: returned text that is not JSON: .*"this is not json".* \(validate\)$/);
});

test('a hung plugin is terminated at the time limit', async () => {
  const started = performance.now();
  const message = await failureOf(fixture('infinite_loop'), { timeoutMs: 1000 });
  const elapsed = performance.now() - started;
  assert.is(message, 'plugin infinite_loop: timed out after 1 s (--plugin-timeout) (plugin_process)');
  // The limit is the point of the test, not speed: it must have waited, and not much longer.
  assert.ok(elapsed >= 1000 && elapsed < 10_000, `took ${elapsed} ms`);
});

test('a memory bomb stops at the cap', async () => {
  assert.is(
    await failureOf(fixture('memory_bomb'), { memoryBytes: 32 * 2 ** 20 }),
    'plugin memory_bomb: ran out of memory (the cap is 32 MiB, --plugin-memory) (plugin_process)',
  );
});

test('a smaller output buffer is enforced', async () => {
  assert.match(await failureOf(fixture('oversize_return'), { outputBytes: 4096 }), /returned 4196 bytes, more than its 4096-byte output buffer/);
});

test('after all those failures the host still loads a good plugin', async () => {
  const result = await runPlugin(fixture('chatty'));
  assert.is(result.templates.length, 1);
  assert.equal(result.templates[0]!.tags, ['chatty']);
});

test('logs: levels kept, plugin stdout and stderr become debug lines', async () => {
  const { logs } = await runPlugin(fixture('chatty'));
  assert.ok(logs.some((l) => l.level === 0 && l.message === 'stdout: hello from stdout'), JSON.stringify(logs));
  assert.ok(logs.some((l) => l.level === 0 && l.message === 'stderr: hello from stderr'));
  assert.equal(
    logs.filter((l) => l.message.endsWith(': init')).map((l) => l.level),
    [0, 1, 2],
  );
});

test('metrics: timestamps in s, ms, µs and ns all land on the same instant', async () => {
  const { metrics } = await runPlugin(fixture('chatty'));
  assert.equal(
    metrics.map((m) => [m.name, m.value, m.timestampMs]),
    [
      ['ts_s', 1, 1_700_000_000_000],
      ['ts_ms', 2, 1_700_000_000_000],
      ['ts_us', 3, 1_700_000_000_000],
      ['ts_ns', 4, 1_700_000_000_000],
    ],
  );
  // Nanoseconds keep microsecond resolution: more than a double holds at this magnitude.
  assert.is(timestampToMs(1_700_000_000_123_456_789n), 1_700_000_000_123.456);
});

test('the request carries the user config plus what the host injects', async () => {
  const mac = Buffer.from([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
  const { logs } = await runPlugin(fixture('chatty'), {
    config: { dst_port: 53, label: 'x' },
    device: { name: 'veth-test', mac, mtu: 9000, queues: 4 },
    templates: 3,
  });
  const echoed = logs.find((l) => l.level === 1 && l.message.startsWith('{'));
  assert.ok(echoed, 'chatty echoes its request');
  assert.equal(JSON.parse(echoed!.message), {
    dst_port: 53,
    label: 'x',
    count: 3,
    device_mac_addr: mac.toString('base64'),
    device_name: 'veth-test',
    mtu: 9000,
    queues: 4,
  });
});

test.run();
