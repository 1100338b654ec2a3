/**
 * Which engine `--engine auto` sends with, from what `probe` found by trying: AF_XDP zero-copy,
 * then XDP live frames, then AF_XDP copy, then AF_PACKET, then the raw socket. The choice comes
 * with a one-line reason, so users see why they got what they got.
 */
import type { ProbeResult } from './native-core.js';
import type { EngineName } from './tx-engine.js';

export type EngineRequest = EngineName | 'auto';
export const ENGINE_REQUESTS: readonly EngineRequest[] = ['auto', 'afxdp', 'xdp', 'packet', 'raw'];

export interface EngineChoice {
  engine: EngineName;
  /** For afxdp: the bind mode auto settled on. */
  xdpMode?: 'zerocopy' | 'copy';
  reason: string;
}

interface Check {
  supported: boolean | null;
  reason: string | null;
}

const why = (check: Check): string => check.reason ?? (check.supported === null ? 'unknown' : 'not supported');

/** Why the xdp engine would not deliver on this interface, or undefined when it would. */
export function liveFramesProblem(probe: ProbeResult): string | undefined {
  if (probe.liveFrames.supported !== true) return `no XDP live frames: ${why(probe.liveFrames)}`;
  if (probe.xdpRedirectTarget.supported === false) return `${probe.ifname} does not take redirected frames: ${why(probe.xdpRedirectTarget)}`;
  if (probe.xdpRedirectTarget.supported === null) return `cannot tell whether ${probe.ifname} takes redirected frames: ${why(probe.xdpRedirectTarget)}`;
  return undefined;
}

export function chooseEngine(probe: ProbeResult): EngineChoice {
  const skipped: string[] = [];
  if (probe.afxdpZeroCopy.supported === true) {
    return { engine: 'afxdp', xdpMode: 'zerocopy', reason: `AF_XDP zero-copy works on ${probe.ifname} (${probe.driver})` };
  }
  skipped.push(`no AF_XDP zero-copy: ${why(probe.afxdpZeroCopy)}`);
  const liveProblem = liveFramesProblem(probe);
  if (liveProblem === undefined) {
    return { engine: 'xdp', reason: `XDP live frames work and ${probe.ifname} takes redirected frames (${skipped.join('; ')})` };
  }
  skipped.push(liveProblem);
  if (probe.afxdpCopy.supported === true) {
    return { engine: 'afxdp', xdpMode: 'copy', reason: `AF_XDP copy mode works (${skipped.join('; ')})` };
  }
  skipped.push(`no AF_XDP: ${why(probe.afxdpCopy)}`);
  if (probe.packetTxRing.supported === true) {
    return { engine: 'packet', reason: `AF_PACKET TX ring works (${skipped.join('; ')})` };
  }
  skipped.push(`no AF_PACKET TX ring: ${why(probe.packetTxRing)}`);
  return { engine: 'raw', reason: `nothing faster works (${skipped.join('; ')})` };
}
