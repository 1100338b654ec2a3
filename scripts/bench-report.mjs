#!/usr/bin/env node
// bench-report.mjs - the small steps of `make bench` that are easier in JavaScript.
//
//   node scripts/bench-report.mjs trafgen-cfg < templates.json
//       `xdperf templates --json` on stdin -> a trafgen config holding template 0's
//       frame bytes (its `length` bytes, as xdperf sends them), on stdout.
//   node scripts/bench-report.mjs anchor-line META_JSON 'tool=afxdp len=60 ... rx_pps=N'
//       one line of the anchors' measure.sh -> one JSON result line (as bench-run.mjs
//       prints), with META_JSON's keys.
//   node scripts/bench-report.mjs report RAW.ndjson OUTDIR META_JSON
//       the results -> OUTDIR/bench.md (also printed) and OUTDIR/bench.json.
//
// Result lines (RAW.ndjson) carry `kind`: max (max-rate runs: tool, queues, len, rep),
// rate (rate accuracy: tool, pps), count1, rss, or note (tool, error: a tool that could
// not run at all). A line with `error` is a failed run; its reason goes into the table.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [cmd, ...args] = process.argv.slice(2);

function readStdin() {
  return readFileSync(0, 'utf8');
}

function trafgenCfg() {
  const doc = JSON.parse(readStdin());
  const t = doc.templates?.[0];
  if (!t) throw new Error('no template in the input');
  const frame = Buffer.from(t.data, 'base64').subarray(0, t.length);
  const bytes = [...frame].map((b) => '0x' + b.toString(16).padStart(2, '0'));
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) lines.push('  ' + bytes.slice(i, i + 16).join(', '));
  process.stdout.write(`# ${frame.length}-byte frame from xdperf templates (${t.tags?.join(',') ?? ''})\n{\n${lines.join(',\n')}\n}\n`);
}

function anchorLine(metaJson, line) {
  const meta = JSON.parse(metaJson);
  const kv = Object.fromEntries([...line.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1], m[2].replace(/^"|"$/g, '')]));
  const num = (v) => (v === undefined || v === 'NA' ? undefined : Number(v));
  // sent: veth-tx's tx_packets over the window; afxdp_tx's own count (own_sent_pps) is
  // wrong at 1514 B on this kernel (tens of Mpps).
  const rec = { ...meta, rx_pps: num(kv.rx_pps), sent_pps: num(kv.dev_tx_pps), own_sent_pps: num(kv.sent_pps), dev_tx_pps: num(kv.dev_tx_pps), rx_avg_len: num(kv.rx_avg_len), line };
  if (rec.rx_pps === undefined || Number.isNaN(rec.rx_pps)) rec.error = 'measure.sh printed no rx_pps' + (line ? `: ${line.slice(0, 200)}` : '');
  else if (kv.err) rec.error = kv.err.replace(/_/g, ' ');
  else if (!(rec.rx_pps > 0)) rec.error = 'nothing arrived';
  process.stdout.write(JSON.stringify(rec) + '\n');
}

// --- the report ------------------------------------------------------------------

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mpps = (v) => (v / 1e6).toFixed(3);
const pct = (v, d = 2) => (v >= 0 ? '+' : '') + v.toFixed(d) + ' %';
const label = { xdperf: 'xdperf AF_XDP', trafgen: 'trafgen (netsniff-ng)', 'c-afxdp': 'C AF_XDP anchor (afxdp_tx -c)' };
// The usual names: 60 B without FCS is the "64-byte frame"; 1514 B is the full frame of a
// 1500-byte MTU, named without FCS.
const sizeName = (len) => (len === 60 ? '64 B' : `${len} B`);
const sizeLong = (len) => (len === 60 ? '64 B (60 B + FCS)' : `${len} B (w/o FCS)`);

function summarize(rows) {
  const ok = rows.filter((r) => !r.error && r.rx_pps > 0);
  const s = { runs: rows.length, ok: ok.length, errors: [...new Set(rows.filter((r) => r.error).map((r) => r.error))] };
  if (ok.length) {
    const rx = ok.map((r) => r.rx_pps);
    s.rx_median = median(rx);
    s.rx_min = Math.min(...rx);
    s.rx_max = Math.max(...rx);
    const sent = ok.map((r) => r.sent_pps).filter((v) => v > 0);
    if (sent.length) s.sent_median = median(sent);
    const idle = ok.map((r) => r.pre_idle).filter((v) => v !== undefined && v !== null);
    if (idle.length) s.pre_idle_min = Math.min(...idle);
  }
  return s;
}

function report(rawPath, outDir, metaJson) {
  const meta = JSON.parse(metaJson);
  const raw = readFileSync(rawPath, 'utf8').split('\n').filter(Boolean).map((l) => {
    try { return JSON.parse(l); } catch { return { kind: 'note', error: `unreadable result line: ${l.slice(0, 100)}` }; }
  });
  const notes = Object.fromEntries(raw.filter((r) => r.kind === 'note').map((r) => [r.tool, r.error]));
  const md = [];
  const out = { meta, max: [], ratios: [], rate: [], count1: null, rss: null, targets: [], notes, raw };
  const D = meta.duration;

  md.push('# xdperf benchmark', '');
  md.push(`${meta.date} · kernel ${meta.kernel} · ${meta.cpus} CPUs (${meta.cpu_model}) · xdperf ${meta.xdperf} · node ${meta.node} · ${meta.trafgen}`, '');
  md.push(`Veth lab, receive counted by an XDP program on the far end (inline mode: the receiver's XDP runs as softirq on the sending CPU). ` +
    `Each max-rate run lasts ${D} s; received rates are taken over the window [1 s, ${D - 0.5} s] after the sender started; runs per case: ${meta.runs}, interleaved.`, '');

  // 1-3: max rate
  md.push('## Maximum rate', '');
  md.push('| sender | queues | frame | received Mpps, median (min–max) | sent Mpps (median)¹ | received Gbit/s (L2) | runs ok |');
  md.push('|---|---|---|---|---|---|---|');
  const cases = [['xdperf', 1], ['xdperf', 2], ['trafgen', 1], ['c-afxdp', 1]];
  const sum = {};
  for (const [tool, q] of cases) {
    for (const len of meta.lens) {
      const rows = raw.filter((r) => r.kind === 'max' && r.tool === tool && r.queues === q && r.len === len);
      const s = summarize(rows);
      sum[`${tool}/${q}/${len}`] = s;
      out.max.push({ tool, queues: q, len, ...s });
      const name = `${label[tool]}${tool === 'xdperf' ? ` (--queues ${q})` : ''}`;
      let cell;
      if (s.ok) {
        cell = [`**${mpps(s.rx_median)}** (${mpps(s.rx_min)}–${mpps(s.rx_max)})`, s.sent_median ? mpps(s.sent_median) : 'n/a',
          ((s.rx_median * len * 8) / 1e9).toFixed(2), `${s.ok}/${s.runs}${s.errors.length ? ' (failed: ' + s.errors.join('; ') + ')' : ''}`];
      } else {
        const why = notes[tool] ?? (s.errors.join('; ') || 'no runs');
        const prefix = tool === 'c-afxdp' ? 'anchor not available: ' : tool === 'trafgen' ? 'could not run: ' : 'failed: ';
        cell = [why.startsWith(prefix.split(':')[0]) ? why : prefix + why, '', '', `0/${s.runs}`];
      }
      md.push(`| ${name} | ${q} | ${sizeLong(len)} | ${cell.join(' | ')} |`);
    }
  }
  md.push('', '¹ Sent: the sender\'s own count over its whole run (xdperf: its summary; trafgen: its worker\'s packets / time); ' +
    'for the C anchor, xdpf-tx\'s tx_packets over the window, because afxdp_tx\'s own count is now and then wildly off (tens of Mpps; own_sent_pps in bench.json).', '');
  const engines = [...new Set(raw.filter((r) => r.tool === 'xdperf' && r.engine).map((r) => r.engine))];
  md.push(`xdperf: \`xdperf run --plugin simpleudp\`, engine ${engines.join(', ') || 'n/a'}, TX threads pinned with --cpus. ` +
    `trafgen: \`trafgen -o xdperf0 -P 1 --no-sock-mem --notouch-irq\`, pinned to CPU 0, the same frame bytes as xdperf's template. ` +
    `C AF_XDP anchor: \`measure.sh afxdp -c\` from ${meta.anchors} in its own veth lab (xdpf-tx ↔ xdpf-rx, same inline receive, its own XDP counter), CPU 0.`, '');

  // 4: ratios
  md.push('## Ratios (of medians)', '');
  md.push(`| ratio | ${meta.lens.map(sizeName).join(' | ')} |`);
  md.push(`|---|${meta.lens.map(() => '---').join('|')}|`);
  const ratio = (a, b) => (sum[a]?.ok && sum[b]?.ok ? sum[a].rx_median / sum[b].rx_median : null);
  for (const [name, a, b] of [
    ['xdperf 1 queue / trafgen', 'xdperf/1', 'trafgen/1'],
    ['xdperf 1 queue / C AF_XDP anchor', 'xdperf/1', 'c-afxdp/1'],
    ['xdperf 2 queues / xdperf 1 queue', 'xdperf/2', 'xdperf/1'],
  ]) {
    const vals = meta.lens.map((len) => ratio(`${a}/${len}`, `${b}/${len}`));
    out.ratios.push({ ratio: name, ...Object.fromEntries(meta.lens.map((len, i) => [len, vals[i]])) });
    md.push(`| ${name} | ${vals.map((v) => (v === null ? 'n/a' : v.toFixed(2) + '×')).join(' | ')} |`);
  }
  md.push('');

  // 5: rate accuracy
  md.push('## Rate accuracy (64 B, 1 queue)', '');
  md.push(`| sender | asked | received total vs asked × ${D} s | mean rate in the window | 10 ms windows: worst | p99 | min / max | windows (longest gap) |`);
  md.push('|---|---|---|---|---|---|---|---|');
  for (const r of raw.filter((x) => x.kind === 'rate')) {
    const name = r.tool === 'trafgen' ? `trafgen -b ${r.pps}pps` : `xdperf --pps ${r.pps / 1000}k`;
    if (r.error || !(r.rx_pps > 0)) {
      md.push(`| ${name} | ${r.pps} pps | ${r.tool === 'trafgen' ? 'could not run: ' : 'failed: '}${r.error ?? 'nothing arrived'} | | | | | |`);
      out.rate.push({ tool: r.tool, pps: r.pps, error: r.error ?? 'nothing arrived' });
      continue;
    }
    const totalErr = (100 * (r.rx_total - r.pps * D)) / (r.pps * D);
    const row = { tool: r.tool, pps: r.pps, rx_total: r.rx_total, total_err_pct: totalErr, mean_err_pct: r.mean_err_pct,
      worst_pct: r.fine_worst_pct, p99_pct: r.fine_p99_pct, min_pct: r.fine_min_pct, max_pct: r.fine_max_pct, windows: r.fine_windows, max_gap_ms: r.fine_max_gap_ms };
    out.rate.push(row);
    md.push(`| ${name} | ${r.pps} pps | ${r.rx_total} (${pct(totalErr, 3)}) | ${pct(r.mean_err_pct, 3)} | ±${r.fine_worst_pct.toFixed(1)} % | ±${r.fine_p99_pct.toFixed(1)} % | ` +
      `${pct(r.fine_min_pct, 1)} / ${pct(r.fine_max_pct, 1)} | ${r.fine_windows} (${r.fine_max_gap_ms.toFixed(1)} ms) |`);
  }
  md.push('', `The receive counter is read every 10 ms (busy-wait on CPU ${meta.sampler_cpu}, the sender on CPU 0) over [1 s, ${D - 0.5} s]; ` +
    `each window's rate uses the timestamps actually taken. Deviation = window rate / asked − 1. trafgen is stopped with SIGINT at ${D} s; ` +
    'its -b sends each second\'s quota as one burst at the start of the second, so its windows swing between −100 % and the burst rate, and the mean over a window that is not whole seconds is off.', '');

  // 6: start-up and memory
  md.push('## Start-up and memory', '');
  const c1 = raw.find((r) => r.kind === 'count1');
  const rss = raw.find((r) => r.kind === 'rss');
  md.push('| measure | result |', '|---|---|');
  if (c1?.ms?.length) {
    out.count1 = { median_ms: median(c1.ms), min_ms: Math.min(...c1.ms), max_ms: Math.max(...c1.ms), runs: c1.ms, rx_delta: c1.rx_delta };
    md.push(`| \`xdperf run --count 1\` wall time, start to exit | median ${out.count1.median_ms.toFixed(0)} ms (${out.count1.min_ms.toFixed(0)}–${out.count1.max_ms.toFixed(0)}) of ${c1.ms.length}; the counter saw ${c1.rx_delta} packets |`);
  } else md.push(`| \`xdperf run --count 1\` wall time | failed: ${c1?.error ?? 'not measured'} |`);
  if (rss?.kb > 0) {
    out.rss = { mb: rss.kb / 1024, method: rss.method };
    md.push(`| peak resident memory, \`xdperf run\` ${rss.seconds} s at max rate | ${(rss.kb / 1024).toFixed(1)} MiB (${rss.method}) |`);
  } else md.push(`| peak resident memory | failed: ${rss?.error ?? 'not measured'} |`);
  md.push('');

  // targets
  md.push('## Targets', '');
  md.push('| target | measured | |', '|---|---|---|');
  const target = (name, value, met) => {
    out.targets.push({ target: name, measured: value, met });
    md.push(`| ${name} | ${value} | ${met === null ? 'not measured' : met ? 'met' : '**not met**'} |`);
  };
  const l0 = meta.lens[0];
  const r1 = ratio(`xdperf/1/${l0}`, `c-afxdp/1/${l0}`);
  target(`AF_XDP 1 queue ${sizeName(l0)} ≥ 1.0× C AF_XDP sender`, r1 === null ? 'n/a' : `${r1.toFixed(2)}× (${mpps(sum[`xdperf/1/${l0}`].rx_median)} vs ${mpps(sum[`c-afxdp/1/${l0}`].rx_median)} Mpps)`, r1 === null ? null : r1 >= 1.0);
  const r2 = ratio(`xdperf/2/${l0}`, `xdperf/1/${l0}`);
  target(`2 queues ≥ 1.8× one queue (${sizeName(l0)})`, r2 === null ? 'n/a' : `${r2.toFixed(2)}×`, r2 === null ? null : r2 >= 1.8);
  const xr = out.rate.filter((r) => r.tool === 'xdperf');
  const okR = xr.filter((r) => r.total_err_pct !== undefined);
  target('rate accuracy: received total within ±0.5 %', okR.length ? okR.map((r) => `${r.pps / 1000}k ${pct(r.total_err_pct, 3)}`).join(', ') : 'n/a',
    okR.length === 0 ? null : okR.length === xr.length && okR.every((r) => Math.abs(r.total_err_pct) <= 0.5));
  target('10 ms windows within ±10 %: every window (worst)', okR.length ? okR.map((r) => `${r.pps / 1000}k ±${r.worst_pct.toFixed(1)} %`).join(', ') : 'n/a',
    okR.length === 0 ? null : okR.length === xr.length && okR.every((r) => r.worst_pct <= 10));
  target('10 ms windows within ±10 %: 99 % of windows (p99)', okR.length ? okR.map((r) => `${r.pps / 1000}k ±${r.p99_pct.toFixed(1)} %`).join(', ') : 'n/a',
    okR.length === 0 ? null : okR.length === xr.length && okR.every((r) => r.p99_pct <= 10));
  target('`--count 1` under 1 s', out.count1 ? `${out.count1.median_ms.toFixed(0)} ms` : 'n/a', out.count1 ? out.count1.median_ms < 1000 : null);
  target('peak RSS under 200 MB', out.rss ? `${out.rss.mb.toFixed(1)} MiB` : 'n/a', out.rss ? (out.rss.mb * 1048576) / 1e6 < 200 : null);
  md.push('');
  const lowIdle = raw.filter((r) => typeof r.pre_idle === 'number' && r.pre_idle < 90);
  if (lowIdle.length) {
    const what = lowIdle.map((r) => `${r.tool}${r.queues ? ` ${r.queues}q` : ''} ${r.len ? sizeName(r.len) : `${r.pps} pps`}${r.rep ? ` run ${r.rep}` : ''} (${r.pre_idle} %)`);
    md.push(`Note: ${lowIdle.length} run(s) started after ${meta.idle_wait} s of waiting with the machine still less than 90 % idle, so something else was running: ${what.join(', ')}.`, '');
  }

  const text = md.join('\n');
  writeFileSync(join(outDir, 'bench.md'), text);
  writeFileSync(join(outDir, 'bench.json'), JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(text);
}

try {
  if (cmd === 'trafgen-cfg') trafgenCfg();
  else if (cmd === 'anchor-line') anchorLine(args[0], args[1] ?? '');
  else if (cmd === 'report') report(args[0], args[1], args[2]);
  else throw new Error('usage: bench-report.mjs trafgen-cfg | anchor-line META LINE | report RAW OUTDIR META');
} catch (e) {
  process.stderr.write(`bench-report: ${e.message}\n`);
  process.exit(1);
}
