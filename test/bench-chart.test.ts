import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromPackageRoot } from '../src/paths.js';

// `make bench`'s chart, drawn from a bench.json of our own making (the bench itself is not run).

const BENCH_REPORT = fromPackageRoot('scripts', 'bench-report.mjs');

const run = (tool: string, queues: number, len: number, median: number, ok = 3) => ({ tool, queues, len, runs: 3, ok, rx_median: median, rx_min: median * 0.97, rx_max: median * 1.01 });

const BENCH = {
  meta: { date: '2026-11-29T06:05:40+00:00', kernel: '6.1.0', xdperf: 'eda1783' },
  max: [
    run('xdperf-afxdp', 1, 60, 1_106_000),
    run('xdperf-afxdp', 1, 1514, 754_000),
    run('c-afxdp', 1, 60, 1_016_000),
    run('c-afxdp', 1, 1514, 0, 0),
    run('xdp-trafficgen', 1, 64, 6_294_000),
  ],
  flows: [run('xdperf-xdp', 1, 60, 7_400_000), run('xdperf-xdp', 1, 60, 7_100_000)].map((r, i) => ({ ...r, flows: [1, 65535][i] })),
  stamps: [],
};

/** Every element closed, in order: what an XML parser needs of a standalone .svg file. */
function balanced(xml: string): boolean {
  const open: string[] = [];
  for (const [, close, name, selfClosing] of xml.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^<>]*?(\/?)>/g)) {
    if (selfClosing) continue;
    if (close && open.pop() !== name) return false;
    if (!close) open.push(name!);
  }
  return open.length === 0 && !/<(?![a-zA-Z/])|&(?!(amp|lt|gt|quot|#39);)/.test(xml);
}

test('bench.svg: a bar per case that ran, its numbers in its tooltip, xdperf beside the anchors; a file that stands alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xdperf-bench-'));
  try {
    writeFileSync(join(dir, 'bench.json'), JSON.stringify(BENCH));
    const result = spawnSync(process.execPath, [BENCH_REPORT, 'chart', join(dir, 'bench.json'), dir], { encoding: 'utf8' });
    assert.is(result.status, 0, result.stderr);
    const svg = readFileSync(join(dir, 'bench.svg'), 'utf8');
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.equal(svg.match(/https?:\/\/[^"]*/g), ['http://www.w3.org/2000/svg'], 'the namespace is the only URL');
    assert.ok(balanced(svg), 'well-formed');
    // 4 cases ran in the max-rate panel (c-afxdp at 1514 B did not), 2 in the flows panel
    assert.is(svg.split('class="bar"').length - 1, 6);
    for (const tip of [
      'xdperf AF_XDP, 1 thread, 64 B: 1.106 Mpps received, median of 3 runs (1.073–1.117)',
      'C AF_XDP anchor (afxdp_tx -c), 64 B: 1.016 Mpps received, median of 3 runs (0.986–1.026)',
      'xdp-trafficgen anchor, 1 thread (64 B, no FCS), 64 B: 6.294 Mpps received, median of 3 runs (6.105–6.357)',
      'xdperf XDP live frames, 65,535 flows: 7.100 Mpps received, median of 3 runs (6.887–7.171)',
    ]) {
      assert.ok(svg.includes(`<title>${tip}</title>`), tip);
    }
    assert.not.ok(svg.includes('Stamps'), 'no panel for a section that did not run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
