/**
 * `xdperf probe`: what an interface can do — driver, queues, MTU, MAC, link speed, XDP modes,
 * AF_XDP zero-copy, live frames, AF_PACKET — each found by trying it, and the engine `auto`
 * would pick, with the reason.
 */
import type { CommandFlags } from '../config/options.js';
import { chooseEngine } from '../engine/engine-choice.js';
import { nativeCore, type ProbeResult } from '../engine/native-core.js';
import { UsageError } from '../errors.js';

export type ProbeFlags = CommandFlags<'probe'>;

interface Check {
  supported: boolean | null;
  reason: string | null;
}

function verdict(check: Check): string {
  const word = check.supported === true ? 'yes' : check.supported === false ? 'no' : 'unknown';
  return check.reason ? `${word.padEnd(8)}${check.reason}` : word;
}

function describe(probe: ProbeResult): string[] {
  const speed = probe.linkSpeedMbps !== null ? `${probe.linkSpeedMbps} Mb/s` : `unknown${probe.linkSpeedReason ? ` (${probe.linkSpeedReason})` : ''}`;
  const rows: [string, string][] = [
    ['driver', probe.driver || 'none'],
    ['state', `${probe.adminUp ? 'up' : 'down'}${probe.adminUp && !probe.operUp ? ', no carrier' : ''}`],
    ['queues', `${probe.txQueues} TX, ${probe.rxQueues} RX`],
    ['MTU', String(probe.mtu)],
    ['MAC', probe.mac],
    ['link speed', speed],
    ['XDP native', verdict(probe.xdpNative)],
    ['XDP generic', verdict(probe.xdpGeneric)],
    ['AF_XDP zero-copy', verdict(probe.afxdpZeroCopy)],
    ['AF_XDP copy', verdict(probe.afxdpCopy)],
    ['XDP live frames', verdict(probe.liveFrames)],
    ['takes redirects', verdict(probe.xdpRedirectTarget)],
    ['AF_PACKET TX ring', verdict(probe.packetTxRing)],
  ];
  if (probe.vethPeer) {
    const peer = probe.vethPeer;
    const where = `${peer.name ?? `ifindex ${peer.ifindex}`}${peer.netns ? ` in netns ${peer.netns}` : ''}`;
    rows.push(['veth peer', `${where}, XDP program: ${verdict(peer.xdpProgram)}`]);
  }
  return rows.map(([name, value]) => `  ${name.padEnd(18)} ${value}`);
}

export function runProbeCommand(flags: ProbeFlags): void {
  if (flags.dev === undefined) throw new UsageError('--dev is required: the interface to probe');
  const native = nativeCore();
  const probe = native.probe(flags.dev!);
  const choice = chooseEngine(probe);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...probe, auto: choice }, null, 2) + '\n');
    return;
  }
  const lines = [`${probe.ifname} (ifindex ${probe.ifindex}):`, ...describe(probe)];
  lines.push(`auto picks: ${choice.engine}${choice.xdpMode ? ` (${choice.xdpMode})` : ''}, because ${choice.reason}`);
  process.stdout.write(lines.join('\n') + '\n');
}
