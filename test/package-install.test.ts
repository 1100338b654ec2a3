import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LAB, leftovers, rxOnLab, simpleUdpToLab, useLab } from './support/lab.js';
import { fromPackageRoot } from '../src/paths.js';

// The npm tarball as a user without a toolchain installs it: into an empty prefix, with a PATH
// that holds node, npm and a shell and nothing else (no cargo, go, clang, cc, make or python),
// then used on the lab. The registry is reached as npm always does (its proxy and CA settings
// in the environment are kept); only the PATH is taken away.
const install = suite('make package: the tarball installs and runs without Rust, Go or clang');
useLab(install);

const PACKAGE_DIR = fromPackageRoot('out', 'package');
const VERSION = (JSON.parse(readFileSync(fromPackageRoot('package.json'), 'utf8')) as { version: string }).version;

let home = '';
let prefix = '';
let env: NodeJS.ProcessEnv = {};

install.before(() => {
  home = mkdtempSync(join(tmpdir(), 'xdperf-package-'));
  prefix = join(home, 'prefix');
  const tools = join(home, 'tools');
  mkdirSync(tools);
  const npmBin = '/usr/bin';
  symlinkSync(process.execPath, join(tools, 'node'));
  symlinkSync(join(npmBin, 'npm'), join(tools, 'npm'));
  symlinkSync(join(npmBin, 'npx'), join(tools, 'npx'));
  symlinkSync('/bin/sh', join(tools, 'sh'));
  // npm_config_prefix makes the empty prefix npm's global one, for `npm install -g` and for
  // npx, which runs a globally installed package's command from there.
  env = { ...process.env, PATH: `${join(prefix, 'bin')}:${tools}`, HOME: home, npm_config_prefix: prefix, npm_config_update_notifier: 'false' };
});

install.after(() => {
  if (home !== '') rmSync(home, { recursive: true, force: true });
});

function inPrefix(command: string, args: string[], timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: home, env, encoding: 'utf8', timeout });
}

install('the PATH it installs with has no compiler or build tool', () => {
  for (const tool of ['cargo', 'rustc', 'go', 'clang', 'cc', 'gcc', 'make', 'python3']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { env, encoding: 'utf8' });
    assert.is.not(found.status, 0, `${tool} is on the PATH: ${found.stdout}`);
  }
});

install('npm install -g out/package/*.tgz gives xdperf, and npx xdperf runs it', () => {
  const tarballs = readdirSync(PACKAGE_DIR).filter((name) => name.endsWith('.tgz'));
  assert.equal(tarballs, [`xdperf-${VERSION}.tgz`], `out/package holds ${tarballs.join(', ')}: run 'make package'`);
  const installed = inPrefix('npm', ['install', '-g', '--no-audit', '--no-fund', join(PACKAGE_DIR, tarballs[0]!)]);
  assert.is(installed.status, 0, installed.stderr);
  const version = inPrefix('xdperf', ['--version']);
  assert.is(version.stdout.trim(), VERSION, version.stderr);
  const viaNpx = inPrefix('npx', ['--no-install', 'xdperf', '--version']);
  assert.is(viaNpx.stdout.trim(), VERSION, viaNpx.stderr);
});

install('the installed plugins load, and templates decodes one', () => {
  const plugins = inPrefix('xdperf', ['plugins']);
  assert.is(plugins.status, 0, plugins.stderr);
  for (const name of ['simpleudp', 'udp6', 'vlan', 'tcpsyn', 'imix']) assert.match(plugins.stdout, name);
  const templates = inPrefix('xdperf', ['templates', ...simpleUdpToLab]);
  assert.is(templates.status, 0, templates.stderr);
  assert.match(templates.stdout, `${LAB.txIp}`);
});

install('the installed xdperf probes the lab, and the receiver counts the 1,000 packets it sends', () => {
  const probe = inPrefix('xdperf', ['probe', '--dev', LAB.tx, '--json']);
  assert.is(probe.status, 0, probe.stderr);
  const run = inPrefix('xdperf', ['run', ...simpleUdpToLab, '--dev', LAB.tx, '--count', '1000', ...rxOnLab, '--json']);
  assert.is(run.status, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { event: string; packets: number; received?: { packets: number } };
  assert.is(summary.event, 'summary');
  assert.is(summary.packets, 1000);
  assert.is(summary.received?.packets, 1000);
  const recv = inPrefix('xdperf', ['recv', '--dev', LAB.rx, '--netns', LAB.netns, '--duration', '1s', '--json']);
  assert.is(recv.status, 0, recv.stderr);
  assert.equal(leftovers(), []);
});

install.run();
