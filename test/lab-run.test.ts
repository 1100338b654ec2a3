import { spawn, execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, errorLine, runCli } from './support/cli.js';
import { LAB, leftovers, rxOnLab, simpleUdpToLab, useLab } from './support/lab.js';
import { fixture } from './support/plugins.js';
import { nativeCore } from '../src/engine/native-core.js';
import { counterPinDir } from '../src/engine/rx-counter.js';
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
  pacing?: { timesBehind: number; mostBehindMs: number; pinned: boolean };
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

// Every engine must keep the same promises: exact counts, the asked rate, the weighted mix, and
// a clean stop. The raw engine runs in JavaScript, so it is held to a modest rate.
const ENGINES: { engine: string; rates: number[] }[] = [
  { engine: 'afxdp', rates: [100_000, 20_000] },
  { engine: 'xdp', rates: [100_000, 20_000] },
  { engine: 'packet', rates: [100_000, 20_000] },
  { engine: 'raw', rates: [20_000] },
];

for (const { engine, rates } of ENGINES) {
  const on = ['--engine', engine];
  const count = engine === 'raw' ? 100_000 : 1_000_000;

  lab(`${engine}: --count ${count}: the receiver counts exactly that many frames and their bytes`, () => {
    const result = runCli(['run', ...on, ...simpleUdpToLab, '--dev', LAB.tx, '--count', String(count), ...rxOnLab, '--json']);
    assert.is(result.code, 0, result.stderr);
    const summary = summaryOf(result.stdout);
    assert.is(summary.packets, count);
    assert.is(summary.stoppedBy, 'count');
    assert.equal(summary.received, { packets: count, bytes: count * 60, device: LAB.rx });
    assert.is(summary.pacing, undefined, 'an unpaced run has no schedule to fall behind');
  });

  for (const pps of rates) {
    // --cpus as a user who cares about the rate runs it: the sending thread pinned, the rest moved off
    lab(`${engine}: --pps ${pps / 1000}k --duration 5s --cpus 0: received within ±1 % of the target`, () => {
      const result = runCli(['run', ...on, ...simpleUdpToLab, '--dev', LAB.tx, '--pps', `${pps / 1000}k`, '--duration', '5s', '--cpus', '0', ...rxOnLab, '--json']);
      assert.is(result.code, 0, result.stderr);
      const summary = summaryOf(result.stdout);
      const expected = pps * 5;
      const received = summary.received!.packets;
      assert.ok(Math.abs(received - expected) <= expected * 0.01, `received ${received}, expected ${expected} ±1 %`);
      assert.is(summary.stoppedBy, 'duration');
      // how often the sender fell behind is reported, whatever this machine made of it
      assert.ok(summary.pacing && Number.isInteger(summary.pacing.timesBehind) && summary.pacing.pinned, JSON.stringify(summary.pacing));
      assert.ok(summary.pacing.timesBehind === 0 ? summary.pacing.mostBehindMs === 0 : summary.pacing.mostBehindMs > 1);
    });
  }

  lab(`${engine}: templates weighted 3:1 are sent in exactly that ratio`, () => {
    const packets = engine === 'raw' ? 40_000 : 400_000;
    const result = runCli(['run', ...on, '--plugin', fixture('weighted'), '--dev', LAB.tx, '--count', String(packets), ...rxOnLab, '--json']);
    if (engine === 'raw') {
      // The fixture's frames are not IP; the raw engine must say so rather than send something else.
      assert.is(result.code, 1);
      assert.match(errorLine(result), /engine raw: template 0 is not an IPv4 packet/);
      return;
    }
    assert.is(result.code, 0, result.stderr);
    const summary = summaryOf(result.stdout);
    assert.equal(summary.perTemplate.map((t) => t.packets), [packets * 0.75, packets * 0.25]);
    assert.equal(summary.perTag, { heavy: packets * 0.75, light: packets * 0.25 });
    assert.is(summary.received!.packets, packets);
  });

  lab(`${engine}: SIGINT mid-run: exit 0 with a summary, and nothing left on the interface`, async () => {
    const child = spawn(process.execPath, [CLI, 'run', ...on, ...simpleUdpToLab, '--dev', LAB.tx, '--pps', '20k', '--duration', '60s', '--interval', '200ms', '--json'], {
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
}

lab('auto picks XDP live frames on the veth lab and says why', () => {
  const result = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '1000', '--json']);
  assert.is(result.code, 0, result.stderr);
  const start = events(result.stdout).find((e) => e.event === 'start')!;
  assert.is(start.engine, 'xdp');
  assert.match(String(start.engineReason), /XDP live frames work and .* takes redirected frames \(no AF_XDP zero-copy: .*not supported/);
});

lab('probe reports what the engines can actually do on the lab', () => {
  const result = runCli(['probe', '--dev', LAB.tx, '--json']);
  assert.is(result.code, 0, result.stderr);
  const probe = JSON.parse(result.stdout) as Record<string, { supported: boolean | null } | unknown> & {
    driver: string;
    vethPeer: { name: string; netns: string; xdpProgram: { supported: boolean } };
    auto: { engine: string };
  };
  assert.is(probe.driver, 'veth');
  assert.is((probe.afxdpZeroCopy as { supported: boolean }).supported, false);
  for (const check of ['afxdpCopy', 'liveFrames', 'packetTxRing', 'xdpRedirectTarget', 'xdpNative', 'xdpGeneric']) {
    assert.is((probe[check] as { supported: boolean }).supported, true, check);
  }
  assert.equal([probe.vethPeer.name, probe.vethPeer.netns, probe.vethPeer.xdpProgram.supported], [LAB.rx, LAB.netns, true]);
  assert.is(probe.auto.engine, 'xdp');
  assert.equal(leftovers(), []);
});

lab('without an XDP program on the veth peer, auto avoids the xdp engine and --engine xdp warns', () => {
  const peer = ['--dev', LAB.rx, '--netns', LAB.netns];
  assert.is(runCli(['recv', ...peer, '--unpin']).code, 0);
  try {
    const probe = JSON.parse(runCli(['probe', '--dev', LAB.tx, '--json']).stdout) as {
      xdpRedirectTarget: { supported: boolean; reason: string };
      auto: { engine: string; xdpMode: string; reason: string };
    };
    assert.is(probe.xdpRedirectTarget.supported, false);
    assert.equal([probe.auto.engine, probe.auto.xdpMode], ['afxdp', 'copy']);
    assert.match(probe.auto.reason, /does not take redirected frames/);
    const forced = runCli(['run', '--engine', 'xdp', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '100']);
    assert.match(forced.stderr, new RegExp(`xdperf: warning: --engine xdp on ${LAB.tx}: .*frames may not arrive`));
  } finally {
    assert.is(runCli(['recv', ...peer, '--pin']).code, 0);
  }
});

lab('a count-only counter on --rx-dev counts a run exactly, and run --stamp fails on it before sending', () => {
  const peer = ['--dev', LAB.rx, '--netns', LAB.netns];
  assert.is(runCli(['recv', ...peer, '--unpin']).code, 0);
  try {
    assert.is(runCli(['recv', ...peer, '--pin', '--count-only']).code, 0);
    const counter = nativeCore().openPinnedCounter(counterPinDir(LAB.rx, LAB.netns));
    assert.ok(counter.countOnly && !counter.tracksStamps);
    const plain = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '1000', ...rxOnLab, '--json']);
    assert.is(plain.code, 0, plain.stderr);
    assert.equal(summaryOf(plain.stdout).received, { packets: 1000, bytes: 60_000, device: LAB.rx });
    const before = counter.counts().packets;
    const stamped = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '1000', '--stamp', ...rxOnLab]);
    assert.is(stamped.code, 1);
    assert.is(
      errorLine(stamped),
      `xdperf: interface ${LAB.rx} in netns ${LAB.netns}: the pinned counter counts frames only (pinned with --count-only) and reads no stamps: ` +
        `remove it with 'xdperf recv --dev ${LAB.rx} --netns ${LAB.netns} --unpin' and pin one without --count-only, or go without --stamp`,
    );
    assert.is(counter.counts().packets, before, 'the stamped run sent');
    assert.equal(leftovers(), []);
  } finally {
    assert.is(runCli(['recv', ...peer, '--unpin']).code, 0);
    assert.is(runCli(['recv', ...peer, '--pin']).code, 0);
  }
});

lab('bad inputs: one line each, exit code 1', () => {
  const cases: [string[], RegExp][] = [
    [['--dev', 'xdperf-nope0'], /^xdperf: interface xdperf-nope0: no such interface$/],
    [['--dev', LAB.tx, '--queues', '3-3'], new RegExp(`^xdperf: interface ${LAB.tx}: queue 3 out of range .*$`)],
    [['--dev', LAB.tx, '--xdp-mode', 'zerocopy'], new RegExp(`^xdperf: .*${LAB.tx}.*zero-copy.*$`)],
    [['--dev', LAB.tx, '--cpus', '1023'], /^xdperf: cpu 1023: not available to this process$/],
    [['--dev', LAB.tx, '--cpus', '1023', '--engine', 'raw'], /^xdperf: cpu 1023: not available to this process$/],
  ];
  for (const [args, expected] of cases) {
    const result = runCli(['run', '--engine', 'afxdp', ...simpleUdpToLab, '--count', '10', ...args]);
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

// The user nobody, with no capability at all.
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];

lab('without root: the missing capability is named', () => {
  const result = runCli(['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '10'], {
    wrap: AS_NOBODY,
  });
  assert.is(result.code, 1, result.stderr);
  assert.match(errorLine(result), /permission denied \(needs CAP_NET_ADMIN and CAP_NET_RAW, or root\)/);
});

lab('without root, recv names what loading its XDP program needs', () => {
  const result = runCli(['recv', '--dev', LAB.tx, '--duration', '1s'], {
    wrap: AS_NOBODY,
  });
  assert.is(result.code, 1, result.stderr);
  assert.is(errorLine(result), `xdperf: interface ${LAB.tx}: XDP counter: load: permission denied (needs CAP_BPF and CAP_PERFMON, or root)`);
});

lab.run();
