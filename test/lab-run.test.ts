import { spawn, execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, errorLine, runCli } from './support/cli.js';
import { LAB, leftovers, rxOnLab, simpleUdpToLab, useLab } from './support/lab.js';
import { fixture } from './support/plugins.js';
import { fromPackageRoot } from '../src/paths.js';

interface Summary {
  packets: number;
  bytes: number;
  elapsedMs: number;
  pps: number;
  stoppedBy: string;
  perTemplate: { index: number; tags: string[]; packets: number }[];
  perTag: Record<string, number>;
  received?: { packets: number; bytes: number };
}

function events(stdout: string): { event: string; [key: string]: unknown }[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string });
}

function summaryOf(stdout: string): Summary {
  const summary = events(stdout).find((e) => e.event === 'summary');
  assert.ok(summary, `no summary in ${stdout}`);
  return summary as unknown as Summary;
}

const lab = suite('run on the veth lab');
useLab(lab);

lab('--count 1000000: the receiver counts exactly one million frames and their bytes', () => {
  const result = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '1m', ...rxOnLab, '--json']);
  assert.is(result.code, 0, result.stderr);
  const summary = summaryOf(result.stdout);
  assert.is(summary.packets, 1_000_000);
  assert.is(summary.stoppedBy, 'count');
  assert.equal(summary.received, { packets: 1_000_000, bytes: 60_000_000, device: LAB.rx });
});

for (const pps of [100_000, 20_000]) {
  lab(`--pps ${pps / 1000}k --duration 5s: received within ±1 % of the target`, () => {
    const result = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--pps', `${pps / 1000}k`, '--duration', '5s', ...rxOnLab, '--json']);
    assert.is(result.code, 0, result.stderr);
    const summary = summaryOf(result.stdout);
    const expected = pps * 5;
    const received = summary.received!.packets;
    assert.ok(Math.abs(received - expected) <= expected * 0.01, `received ${received}, expected ${expected} ±1 %`);
    assert.is(summary.stoppedBy, 'duration');
  });
}

lab('templates weighted 3:1 are sent in exactly that ratio', () => {
  const result = runCli(['run', '--plugin', fixture('weighted'), '--dev', LAB.tx, '--count', '400000', ...rxOnLab, '--json']);
  assert.is(result.code, 0, result.stderr);
  const summary = summaryOf(result.stdout);
  assert.equal(summary.perTemplate.map((t) => t.packets), [300_000, 100_000]);
  assert.equal(summary.perTag, { heavy: 300_000, light: 100_000 });
  assert.is(summary.received!.packets, 400_000);
});

lab('SIGINT mid-run: exit 0 with a summary, and nothing left on the interface', async () => {
  const child = spawn(process.execPath, [CLI, 'run', ...simpleUdpToLab, '--dev', LAB.tx, '--pps', '50k', '--duration', '60s', '--interval', '200ms', '--json'], {
    cwd: fromPackageRoot(),
  });
  let stdout = '';
  let interrupted = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!interrupted && stdout.includes('"event":"stats"')) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.is(code, 0);
  const summary = summaryOf(stdout);
  assert.is(summary.stoppedBy, 'signal');
  assert.ok(summary.packets > 0 && summary.elapsedMs < 30_000);
  assert.equal(leftovers(), []);
});

lab('bad inputs: one line each, exit code 1', () => {
  const cases: [string[], RegExp][] = [
    [['--dev', 'xdperf-nope0'], /^xdperf: interface xdperf-nope0: no such interface$/],
    [['--dev', LAB.tx, '--queues', '3-3'], new RegExp(`^xdperf: interface ${LAB.tx}: queue 3 out of range .*$`)],
    [['--dev', LAB.tx, '--xdp-mode', 'zerocopy'], new RegExp(`^xdperf: .*${LAB.tx}.*zero-copy.*$`)],
  ];
  for (const [args, expected] of cases) {
    const result = runCli(['run', ...simpleUdpToLab, '--count', '10', ...args]);
    assert.is(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
    assert.match(errorLine(result), expected);
  }
  const jumbo = runCli(['run', '--plugin', fixture('jumbo'), '--dev', LAB.tx, '--count', '10']);
  assert.is(jumbo.code, 1);
  assert.is(errorLine(jumbo), `xdperf: template 0: frame of 9000 bytes exceeds MTU 1500 + 14 of interface ${LAB.tx}`);
  assert.equal(leftovers(), []);
});

lab('an interface that is down is named as down', () => {
  execFileSync('ip', ['link', 'set', LAB.tx, 'down']);
  try {
    const result = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '10']);
    assert.is(result.code, 1);
    assert.is(errorLine(result), `xdperf: interface ${LAB.tx} is down`);
  } finally {
    execFileSync('ip', ['link', 'set', LAB.tx, 'up']);
  }
});

lab('without root: the missing capability is named', () => {
  const result = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '10'], {
    wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'],
  });
  assert.is(result.code, 1, result.stderr);
  assert.match(errorLine(result), /permission denied \(needs CAP_NET_ADMIN and CAP_NET_RAW, or root\)/);
});

lab.run();
