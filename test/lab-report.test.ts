import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PALETTE } from '../src/chart/plot.js';
import { LATENCY_COLOR } from '../src/report/latency-section.js';
import { RECEIVED_COLOR, SENT_COLOR } from '../src/report/rate-section.js';
import { chromiumMissing, renderedDom, screenshot } from './support/chromium.js';
import { runAndThen, runCli } from './support/cli.js';
import { LAB, labUp, rxOnLab, simpleUdpToLab, useLab } from './support/lab.js';
import { decodePng, distinctColours, pixelsNear } from './support/png.js';

// What a user does with --report: runs on the lab, opens the file in a browser and reads the
// charts. Chromium (Debian's, headless) renders it: the screenshot must show the charts'
// colours, and the DOM it parsed must hold the charts' elements.

const lab = suite('run --report on the veth lab, the report rendered by chromium');
useLab(lab);

let dir = '';
lab.before(() => {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(missing);
  dir = mkdtempSync(join(tmpdir(), 'xdperf-report-'));
});
lab.after(() => rmSync(dir, { recursive: true, force: true }));

/** The part of the page's DOM under the section with `id`. */
function section(dom: string, id: string): string {
  const match = new RegExp(`<section id="${id}">.*?</section>`, 's').exec(dom);
  assert.ok(match, `no section ${id} in the rendered page`);
  return match[0];
}

const count = (text: string, what: RegExp): number => [...text.matchAll(what)].length;

lab('a stamped, paced run: the file fetches nothing, and chromium draws its rate, latency, pacing and template charts', () => {
  const path = join(dir, 'run.html');
  const args = ['run', ...simpleUdpToLab, '--dev', LAB.tx, '--stamp', ...rxOnLab, '--pps', '20k', '--duration', '3s', '--interval', '250ms', '--report', path, '--json'];
  const result = runCli(args);
  assert.is(result.code, 0, result.stderr);
  const summary = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; packets: number }).find((e) => e.event === 'summary');
  assert.ok(summary, result.stdout);
  assert.equal(readdirSync(dir), ['run.html'], 'the report and nothing else');

  const html = readFileSync(path, 'utf8');
  assert.not.match(html, /https?:\/\/|\/\/[a-z0-9]|url\(|@import|\s(src|href)=/i, 'no external URL, nothing that loads');

  const dom = renderedDom(path);
  const rates = section(dom, 'rates');
  // sent and received packet and bit rates, loss per interval; a marker per sample
  assert.is(count(rates, /<polyline /g), 5);
  assert.ok(count(rates, /<circle /g) >= 5 * 8, `${count(rates, /<circle /g)} markers`);
  const latency = section(dom, 'latency');
  assert.ok(count(latency, /<rect class="bar"/g) >= 3, 'the histogram has bars');
  assert.is(count(latency, /<g class="marker">/g), 4, 'p50, p90, p99, p99.9');
  assert.ok(latency.includes(`<td class="num">${summary.packets.toLocaleString('en-US')}</td>`), 'the stream sent what the run says it sent');
  assert.is(count(section(dom, 'pacing'), /<polyline /g), 1, 'the interval rates against the target');
  assert.is(count(section(dom, 'templates'), /<rect class="bar"/g), 2, 'the template, and its tag');
  assert.ok(section(dom, 'environment').includes(`<dd>${LAB.tx}, driver veth</dd>`));

  const image = decodePng(screenshot(path, 1200, 4800));
  assert.ok(distinctColours(image) > 50, `${distinctColours(image)} colours: a blank page has one`);
  for (const [what, colour, least] of [
    ['the sent rate', SENT_COLOR, 200],
    ['the received rate', RECEIVED_COLOR, 100],
    ['the latency histogram', LATENCY_COLOR, 500],
    ['the template bar', PALETTE[0], 200],
  ] as const) {
    const pixels = pixelsNear(image, colour);
    assert.ok(pixels >= least, `${what} (${colour}): ${pixels} pixels`);
  }
});

lab('Ctrl-C: the run stops and still writes its report, stopped by a signal', async () => {
  const path = join(dir, 'signal.html');
  const exit = await runAndThen([...simpleUdpToLab, '--dev', LAB.tx, '--pps', '10k', '--report', path], (child) => {
    setTimeout(() => child.kill('SIGINT'), 600);
  });
  assert.is(exit.code, 0, exit.stderr);
  const html = readFileSync(path, 'utf8');
  assert.match(html, /<dd>stopped by a signal \(Ctrl-C or SIGTERM\)<\/dd>/);
  assert.ok(count(section(html, 'rates'), /<circle /g) >= 2, 'the samples until then');
});

lab('the interface set down mid-run: exit 1 with its one line, and a report that says the run failed and why', async () => {
  const path = join(dir, 'failed.html');
  try {
    const exit = await runAndThen([...simpleUdpToLab, '--dev', LAB.tx, '--pps', '20k', '--duration', '60s', '--report', path], () =>
      setTimeout(() => execFileSync('ip', ['link', 'set', LAB.tx, 'down']), 600),
    );
    assert.is(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, new RegExp(`^xdperf: interface ${LAB.tx}: went down$`, 'm'));
    const html = readFileSync(path, 'utf8');
    assert.ok(html.includes(`<p class="failed">The run failed: interface ${LAB.tx}: went down. This report holds what was recorded until then.</p>`));
    assert.ok(count(section(html, 'rates'), /<circle /g) >= 2, 'the samples until then');
  } finally {
    // Down took the lab's neighbour entry with it.
    labUp();
  }
});

lab.run();
