/**
 * The raw engine's watchdog, the same policy as the native core's (native/src/link_watch.rs):
 * a run whose interface went away or down, or whose every send has failed for a second, ends
 * with an error instead of counting errors to the end of its duration. The interface is read
 * from sysfs by index, so the raw engine needs no native code for it.
 */
import { readFileSync } from 'node:fs';

/** How often the raw engine looks. */
export const WATCH_INTERVAL_MS = 50;
const NO_CARRIER_GRACE_NS = 500e6;
const FAILING_FOR_NS = 1e9;
const IFF_UP = 0x1;

export type LinkState = 'up' | 'no-carrier' | 'down' | 'gone';

/** The state of `ifname`, which had `ifindex` when the run started. */
export function linkState(ifname: string, ifindex: number): LinkState {
  const sysfs = `/sys/class/net/${ifname}`;
  try {
    if (Number(readFileSync(`${sysfs}/ifindex`, 'utf8')) !== ifindex) return 'gone';
    if ((Number(readFileSync(`${sysfs}/flags`, 'utf8')) & IFF_UP) === 0) return 'down';
    return readFileSync(`${sysfs}/operstate`, 'utf8').trim() === 'down' ? 'no-carrier' : 'up';
  } catch {
    return 'gone';
  }
}

/** The index of `ifname` now, to watch it by. */
export function linkIndex(ifname: string): number {
  return Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
}

export interface Progress {
  delivered: number;
  errors: number;
}

/** What ended the run, as the one line the user sees. */
export function verdictMessage(ifname: string, state: LinkState, failedSends?: number): string {
  if (failedSends !== undefined) return `interface ${ifname}: every send failed for ${FAILING_FOR_NS / 1e9} s (${failedSends} errors), so the run stopped`;
  if (state === 'gone') return `interface ${ifname}: went away`;
  if (state === 'down') return `interface ${ifname}: went down`;
  return `interface ${ifname}: went down (lost its carrier)`;
}

export class LinkWatch {
  private noCarrierSinceNs: number | undefined;
  /** A deleted interface is first set down; seen down on two looks in a row, it was set down. */
  private seenDown = false;
  private previous: Progress = { delivered: 0, errors: 0 };
  private failingSince: { ns: number; errors: number } | undefined;

  /** One look at `nowNs`: the message that ends the run, if it must end. */
  observe(ifname: string, nowNs: number, state: LinkState, progress: Progress): string | undefined {
    const wasDown = this.seenDown;
    this.seenDown = state === 'down';
    if (state === 'gone' || (state === 'down' && wasDown)) return verdictMessage(ifname, state);
    if (state === 'down') return undefined;
    if (state === 'no-carrier') {
      this.noCarrierSinceNs ??= nowNs;
      if (nowNs - this.noCarrierSinceNs >= NO_CARRIER_GRACE_NS) return verdictMessage(ifname, state);
    } else {
      this.noCarrierSinceNs = undefined;
    }
    if (progress.delivered > this.previous.delivered) this.failingSince = undefined;
    else if (progress.errors > this.previous.errors) this.failingSince ??= { ns: nowNs, errors: this.previous.errors };
    this.previous = { ...progress };
    if (this.failingSince !== undefined && nowNs - this.failingSince.ns >= FAILING_FOR_NS) {
      return verdictMessage(ifname, state, progress.errors - this.failingSince.errors);
    }
    return undefined;
  }
}
