#!/usr/bin/env node
// bench-run.mjs - runs ONE sender for `make bench` and measures what arrives at the
// lab's receiver (the pinned XDP counter on xdperf1: packets, and bytes for rx_bytes_per_s
// and rx_avg_len, the L2 frames without FCS), printing one JSON line.
//
// Usage: node scripts/bench-run.mjs [options] -- COMMAND [ARGS...]
//   --dur S          the run's nominal length in seconds (default 10)
//   --stop-at S      send SIGINT to the sender's process group S seconds after it
//                    started (for senders without a duration, e.g. trafgen);
//                    without it the sender must stop by itself (xdperf --duration)
//   --fine MS        also sample the counter every MS milliseconds (e.g. 10) over the
//                    steady window and report each window's rate against --target
//   --target PPS     the rate asked for (for --fine and the totals' error); without it,
//                    --fine reports the spread of the window rates instead
//   --sent FORMAT    how to read the sender's own count from its output:
//                    xdperf (the --json summary event) | trafgen | none
//   --meta JSON      object merged into the output line (case labels)
//   --pin DIR        the counter's pin (default: the lab's, see scripts/lab.sh)
//   --txdev IF       transmit interface whose tx_packets is also read (default xdperf0)
//   --cpu N          once the sender runs, pin this helper (all its threads) to CPU N;
//                    the sender keeps the affinity it was started with
//
// Timing, as the anchors measure: the rate window is [1 s, DUR − 0.5 s] after the
// sender was started, so start-up and the stop are outside it. The counter totals
// are also read just before the start and after the sender exited (totals).
// The sender gets its own process group (setsid); SIGINT/SIGTERM to this helper
// stops that group (SIGINT, then SIGKILL after 3 s) and exits 130 without a result.
// BENCH_FINE_DUMP=FILE writes the fine samples ("ms-since-start received sent") to FILE;
// BENCH_FINE_KEEP=DIR writes them into DIR only for a paced run with a window above +10 %
// (its path is the result's fine_dump), so such a window can be read afterwards.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const o = { cpu: null, dur: 10, stopAt: null, fine: 0, target: 0, sent: 'none', meta: {}, pin: '/sys/fs/bpf/xdperf/netns/xdperf-lab/xdperf1', txdev: 'xdperf0' };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    switch (a) {
      case '--dur': o.dur = Number(v); break;
      case '--stop-at': o.stopAt = Number(v); break;
      case '--fine': o.fine = Number(v); break;
      case '--target': o.target = Number(v); break;
      case '--sent': o.sent = v; break;
      case '--meta': o.meta = JSON.parse(v); break;
      case '--pin': o.pin = v; break;
      case '--txdev': o.txdev = v; break;
      case '--cpu': o.cpu = Number(v); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  o.cmd = argv.slice(i);
  if (o.cmd.length === 0) throw new Error('no command after --');
  if (!(o.dur >= 2)) throw new Error('--dur must be at least 2 s');
  return o;
}

const nowNs = () => process.hrtime.bigint();
// A fine sample's two counter reads take ~20 µs; one that took longer was interrupted.
const TIGHT_READ_NS = 100_000n;
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function txPackets(dev) {
  try {
    return Number(readFileSync(`/sys/class/net/${dev}/statistics/tx_packets`, 'utf8'));
  } catch {
    return NaN;
  }
}

// Sleeps until `deadlineNs` (hrtime): a timer for most of it, then a short spin, so
// fine samples land within a few µs of their 10 ms grid.
// Returns early once `stop()` is true (the sender exited).
async function until(deadlineNs, stop = () => false) {
  for (;;) {
    const left = Number(deadlineNs - nowNs()) / 1e6;
    if (left <= 0 || stop()) return;
    if (left > 2) await sleep(Math.min(left - 1.5, 100));
    else while (nowNs() < deadlineNs) { /* spin the last ~1.5 ms */ }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

function sentFromOutput(format, out) {
  if (format === 'xdperf') {
    let summary = null, start = null;
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const e = JSON.parse(line);
        if (e.event === 'summary') summary = e;
        if (e.event === 'start') start = e;
      } catch { /* not an event line */ }
    }
    const engine = start ? { engine: [start.engine, start.mode].filter(Boolean).join(' ') } : {};
    if (!summary) return engine;
    const pacing = summary.pacing ? { sent_times_behind: summary.pacing.timesBehind, sent_most_behind_ms: summary.pacing.mostBehindMs } : {};
    // the distinct flows of each template, when the summary gives them (per-packet fields)
    const flows = (summary.perTemplate ?? []).map((t) => t.flows).filter((f) => typeof f === 'number');
    // a stamped run's receiver side (--stamp --rx-dev): its exact counts and latency
    const rcv = summary.received;
    const stamped = rcv && Array.isArray(rcv.streams) ? {
      rx_stamped: rcv.packets, rx_lost: rcv.lost, rx_duplicated: rcv.duplicated, rx_reordered: rcv.reordered,
      rx_latency_ns: rcv.latency ? { p50: rcv.latency.p50Ns, p90: rcv.latency.p90Ns, p99: rcv.latency.p99Ns, p999: rcv.latency.p999Ns, max: rcv.latency.maxNs, min: rcv.latency.minNs } : null,
    } : {};
    return {
      ...engine, sent_packets: summary.packets, sent_pps: summary.pps, sent_bytes: summary.bytes, sent_elapsed_s: summary.elapsedMs / 1000,
      tx_errors: summary.errors, ...pacing, ...(flows.length ? { template_flows: flows } : {}), ...stamped,
    };
  }
  if (format === 'trafgen') {
    // each worker ends with "S sec, U usec on CPUn (N packets)"; its own wall time
    let n = 0, t = 0, seen = false;
    for (const m of out.replace(/\r/g, '\n').matchAll(/(\d+) sec, (\d+) usec on CPU\d+ \((\d+) packets\)/g)) {
      seen = true;
      n += Number(m[3]);
      t = Math.max(t, Number(m[1]) + Number(m[2]) / 1e6);
    }
    return seen && t > 0 ? { sent_packets: n, sent_pps: n / t, sent_elapsed_s: t } : {};
  }
  return {};
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const counter = require(join(root, 'native/index.js')).openPinnedCounter(o.pin);
  const read = () => counter.counts().packets;

  const before = counter.counts();
  const t0 = nowNs();
  const child = spawn(o.cmd[0], o.cmd.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  let exited = null, spawnError = null;
  const exitP = new Promise((resolve) => {
    child.on('error', (e) => { spawnError = e; exited = { code: null, signal: null }; resolve(); });
    child.on('exit', (code, signal) => { exited = { code, signal }; resolve(); });
  });
  if (o.cpu !== null && child.pid) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(o.cpu), String(process.pid)], { stdio: 'ignore' });
    } catch { /* unpinned: the fine samples still carry their own timestamps */ }
  }
  const group = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  // Interrupted: stop the sender, then leave without a result line.
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      group('SIGINT');
      exitP.then(() => process.exit(130));
      setTimeout(() => { group('SIGKILL'); process.exit(130); }, 3000);
    });
  }

  const at = (s) => t0 + BigInt(Math.round(s * 1e9));
  const w1 = 1, w2 = o.dur - 0.5;
  const rec = { ...o.meta, dur: o.dur, cmd: o.cmd.join(' ') };

  const gone = () => exited !== null;
  await until(at(w1), gone);
  const early = gone();
  const s1 = nowNs(), c1 = counter.counts(), r1 = c1.packets, d1 = txPackets(o.txdev);
  const fine = [];
  if (o.fine > 0) {
    fine.push([s1, r1, d1]);
    // No timers here: a timer can fire milliseconds late (and a 70 µs "window" then
    // reads as -100 %). A blocking wait gives the core away until ~1 ms before each
    // sample, then a spin on the clock hits the grid. Each window's rate uses the
    // timestamps actually taken, so a late sample lengthens its window, nothing more.
    const step = BigInt(Math.round(o.fine * 1e6));
    const end = at(w2);
    const cell = new Int32Array(new SharedArrayBuffer(4));
    // Both counters read between two clock readings, stamped at their middle; when the
    // sampler was held up in between (it shares its CPU with the kernel's work), the
    // sample is taken again, so a late read does not show as a -x/+x pair of windows.
    const sampleTightly = () => {
      let sample;
      for (let attempt = 0; attempt < 5; attempt++) {
        const before = nowNs(), rx = read(), tx = txPackets(o.txdev), after = nowNs();
        sample = [(before + after) / 2n, rx, tx];
        if (after - before < TIGHT_READ_NS) break;
      }
      return sample;
    };
    for (let next = s1 + step; next <= end && !gone(); next += step) {
      const ms = Number(next - nowNs()) / 1e6 - 1;
      if (ms > 0) Atomics.wait(cell, 0, 0, ms);
      while (nowNs() < next) { /* spin */ }
      fine.push(sampleTightly());
      await new Promise(setImmediate); // lets signals and the sender's output in
    }
  }
  await until(at(w2), gone);
  const exitedInWindow = gone();
  const s2 = nowNs(), c2 = counter.counts(), r2 = c2.packets, d2 = txPackets(o.txdev);

  let stopped = false;
  if (o.stopAt !== null) {
    await until(at(o.stopAt), gone);
    if (!gone()) { stopped = true; group('SIGINT'); }
  }
  // a sender that should stop by itself gets 15 s of grace, then SIGINT, then SIGKILL
  const guard = setTimeout(() => { group('SIGINT'); setTimeout(() => group('SIGKILL'), 5000).unref(); }, (o.dur + 15) * 1000);
  await exitP;
  clearTimeout(guard);
  if (interrupted) return;
  const t1 = nowNs();
  await sleep(100); // frames still in flight through veth
  const after = counter.counts();

  const win = Number(s2 - s1) / 1e9;
  Object.assign(rec, {
    exit: exited.code, signal: exited.signal, wall_s: Number(t1 - t0) / 1e9,
    rx_pps: (r2 - r1) / win, dev_tx_pps: (d2 - d1) / win, window_s: win,
    // the counter's bytes: L2 frames as they arrive (no FCS), so a mix of sizes has a bit rate
    rx_bytes_per_s: (c2.bytes - c1.bytes) / win, rx_avg_len: r2 > r1 ? (c2.bytes - c1.bytes) / (r2 - r1) : null,
    rx_total: after.packets - before.packets, rx_bytes_total: after.bytes - before.bytes,
    ...sentFromOutput(o.sent, out),
  });
  if (o.target > 0) {
    rec.target_pps = o.target;
    rec.mean_err_pct = (100 * (rec.rx_pps - o.target)) / o.target;
  }
  if (fine.length > 1) {
    const rates = [], txRates = [];
    for (let i = 1; i < fine.length; i++) {
      const dt = Number(fine[i][0] - fine[i - 1][0]) / 1e9;
      rates.push((fine[i][1] - fine[i - 1][1]) / dt);
      txRates.push((fine[i][2] - fine[i - 1][2]) / dt);
    }
    const dump = (file) =>
      writeFileSync(file, `# t0 ${t0} ns CLOCK_MONOTONIC\n` + fine.map(([t, n, d]) => `${Number(t - t0) / 1e6} ${n - r1} ${d - d1}`).join('\n') + '\n');
    if (process.env.BENCH_FINE_DUMP) dump(process.env.BENCH_FINE_DUMP);
    const gaps = fine.slice(1).map((f, i) => Number(f[0] - fine[i][0]) / 1e6);
    Object.assign(rec, { fine_ms: o.fine, fine_windows: rates.length, fine_max_gap_ms: Math.max(...gaps) });
    if (o.target > 0) {
      const dev = (r) => (100 * (r - o.target)) / o.target;
      const devs = rates.map(dev);
      const abs = devs.map(Math.abs).sort((a, b) => a - b);
      const txAbs = txRates.map((r) => Math.abs(dev(r))).sort((a, b) => a - b);
      Object.assign(rec, {
        fine_worst_pct: abs[abs.length - 1], fine_p99_pct: percentile(abs, 99),
        fine_min_pct: Math.min(...devs), fine_max_pct: Math.max(...devs),
        fine_over10_windows: abs.filter((a) => a > 10).length,
        // the sending interface's own counter on the same grid: tells a sender stall
        // from frames that were sent on time but counted late by the receiver
        fine_tx_worst_pct: txAbs[txAbs.length - 1], fine_tx_p99_pct: percentile(txAbs, 99),
        fine_tx_max_pct: Math.max(...txRates.map(dev)),
      });
      if (rec.fine_max_pct > 10 && process.env.BENCH_FINE_KEEP) {
        mkdirSync(process.env.BENCH_FINE_KEEP, { recursive: true });
        rec.fine_dump = join(process.env.BENCH_FINE_KEEP, `fine-${process.pid}-${Date.now()}.txt`);
        dump(rec.fine_dump);
      }
    } else {
      // unpaced: how the sender's capacity varies from one 10 ms window to the next
      const sorted = [...rates].sort((a, b) => a - b);
      Object.assign(rec, {
        fine_rate_min: sorted[0], fine_rate_p1: percentile(sorted, 1), fine_rate_p5: percentile(sorted, 5),
        fine_rate_median: percentile(sorted, 50), fine_rate_max: sorted[sorted.length - 1],
      });
    }
  }
  // the first line of the sender's output that reads as a failure, for the table
  let err = spawnError ? spawnError.message : null;
  const clean = exited.code === 0 || (stopped && (exited.code === 130 || exited.signal === 'SIGINT'));
  if (!err && !clean) err = `exit ${exited.code ?? exited.signal}`;
  if (!err && (early || exitedInWindow)) err = `sender exited after ${rec.wall_s.toFixed(1)} s, before the end of the window`;
  const bad = out.replace(/\r/g, '\n').split('\n').find((l) => /error|fail|cannot|invalid|not supported|unavailable/i.test(l) && !/"errors":\s*0|"event":"(stats|summary)"/.test(l));
  if (bad) err = (err ? err + ': ' : '') + bad.trim().slice(0, 200);
  if (err) rec.error = err;
  if (err || process.env.BENCH_VERBOSE) rec.output_tail = out.slice(-1500);
  process.stdout.write(JSON.stringify(rec) + '\n');
}

main().catch((e) => {
  let meta = {};
  try { meta = parseArgs(process.argv.slice(2)).meta; } catch { /* the error is about the arguments */ }
  process.stdout.write(JSON.stringify({ ...meta, error: `bench-run: ${e.message}` }) + '\n');
  process.exit(1);
});
