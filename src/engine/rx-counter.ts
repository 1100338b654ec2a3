/**
 * The XDP receive counter on the far end of a link (`--rx-dev`, optionally in a named network
 * namespace). A counter pinned by `xdperf recv --pin` (as the lab does) is read where it is;
 * otherwise one is attached for the run and detached afterwards. A count-only counter
 * (`recv --count-only`) counts frames and nothing else, at the least cost a frame.
 */
import { existsSync } from 'node:fs';
import { XdperfError } from '../errors.js';
import { nativeCore, type Counter, type Counts, type Stamps } from './native-core.js';

/** How often a linger looks whether everything arrived. */
const LINGER_POLL_MS = 20;

// Frames that reach the counter have done their job; dropping them spares the receiving
// stack, which would otherwise take most of a core at high rates.
const ACTION = 'drop';

/**
 * Where `xdperf recv --pin` keeps the counter of an interface: one directory per namespace.
 * bpffs refuses names with a dot, which interface names may have (`eth0.100`), so dots and the
 * escape character itself are percent-encoded.
 */
export function counterPinDir(ifname: string, netns: string | undefined): string {
  const escape = (name: string): string => name.replace(/%/g, '%25').replace(/\./g, '%2e');
  const scope = netns === undefined ? 'host' : `netns/${escape(netns)}`;
  return `/sys/fs/bpf/xdperf/${scope}/${escape(ifname)}`;
}

/** What a counter is opened for. */
export interface RxUse {
  /** What the counter does with a frame, when one is attached: drop (default) or pass. */
  action?: 'drop' | 'pass';
  /** Read the stamped streams, from zero. */
  stamps?: boolean;
  /** Count frames only: the cheapest counter. */
  countOnly?: boolean;
}

/** `xdperf recv` on the interface with `flag`, as a user types it. */
function recvCommand(ifname: string, netns: string | undefined, flag: string): string {
  return `xdperf recv --dev ${ifname}${netns === undefined ? '' : ` --netns ${netns}`} ${flag}`;
}

/**
 * Why the counter pinned on the interface cannot serve `use`, or undefined when it can: it reads
 * no stamps that `use` asks for, or it reads stamps where `use` asks for the cheapest counter.
 */
function pinnedMismatch(counter: Counter, ifname: string, netns: string | undefined, use: RxUse): string | undefined {
  const where = `interface ${ifname}${netns === undefined ? '' : ` in netns ${netns}`}`;
  const unpin = `remove it with '${recvCommand(ifname, netns, '--unpin')}'`;
  if (use.stamps && counter.countOnly) {
    return `${where}: the pinned counter counts frames only (pinned with --count-only) and reads no stamps: ${unpin} and pin one without --count-only, or go without --stamp`;
  }
  if (use.stamps && !counter.tracksStamps) {
    return `${where}: the pinned counter reads no stamps (an older xdperf pinned it): ${unpin} and pin it again ('${recvCommand(ifname, netns, '--pin')}')`;
  }
  if (use.countOnly && !counter.countOnly) {
    return `${where}: the pinned counter reads stamps, so it is not count-only: ${unpin} and pin one with --count-only, or go without --count-only`;
  }
  return undefined;
}

export class RxCounter {
  private constructor(
    private readonly counter: Counter,
    private readonly baseline: Counts,
    private readonly owned: boolean,
  ) {}

  /** Attaches a counter that outlives this process, pinned where `open` finds it; its mode. */
  static pin(ifname: string, netns: string | undefined, action: 'drop' | 'pass', countOnly = false): string | null {
    return nativeCore().attachCounter(ifname, { action, netns, pinDir: counterPinDir(ifname, netns), stamps: !countOnly }).mode;
  }

  /** Removes a pinned counter (detaching it); false when there was none. */
  static unpin(ifname: string, netns: string | undefined): boolean {
    return nativeCore().removePinned(counterPinDir(ifname, netns));
  }

  /**
   * With `use.stamps`, the stamped streams' state starts from zero: a pinned counter serves run
   * after run, and each run numbers its streams' packets from 0. A pinned counter that cannot
   * serve `use` (count-only where stamps are asked for, or the reverse) is an error naming the
   * interface and what to do.
   */
  static open(ifname: string, netns: string | undefined, use: RxUse = {}): RxCounter {
    if (use.stamps && use.countOnly) throw new Error('RxCounter.open: a count-only counter reads no stamps');
    const pinned = counterPinDir(ifname, netns);
    const isPinned = existsSync(pinned);
    const counter = isPinned
      ? nativeCore().openPinnedCounter(pinned)
      : nativeCore().attachCounter(ifname, { action: use.action ?? ACTION, netns, stamps: !use.countOnly });
    const mismatch = isPinned ? pinnedMismatch(counter, ifname, netns, use) : undefined;
    if (mismatch !== undefined) throw new XdperfError(mismatch);
    if (use.stamps) counter.resetStamps();
    return new RxCounter(counter, counter.counts(), !isPinned);
  }

  /** How the program runs: 'native', 'generic', or null when a pinned link is gone. */
  get mode(): string | null {
    return this.counter.mode;
  }

  /** Whether the counter counts frames only (and reads no stamps). */
  get countOnly(): boolean {
    return this.counter.countOnly;
  }

  /** Received since open. */
  counts(): Counts {
    const now = this.counter.counts();
    return { packets: now.packets - this.baseline.packets, bytes: now.bytes - this.baseline.bytes };
  }

  /**
   * The stamped streams' state as the receiver's BPF program keeps it: those below `streams` (a
   * run's, one per template), or every one; the latency total is over the same streams.
   */
  stamps(streams?: number): Stamps {
    return this.counter.stamps(streams);
  }

  /**
   * Keeps counting for `lingerMs` after the sender stopped, so frames still in flight are not
   * counted lost; sooner once `enough` says nothing more is awaited, or when `cut` aborts (a
   * second Ctrl-C: the run stops when asked).
   */
  async linger(lingerMs: number, enough: () => boolean, cut: AbortSignal): Promise<void> {
    const end = performance.now() + lingerMs;
    while (!cut.aborted && !enough()) {
      const left = end - performance.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, LINGER_POLL_MS));
        function done(): void {
          clearTimeout(timer);
          cut.removeEventListener('abort', done);
          resolve();
        }
        cut.addEventListener('abort', done);
      });
    }
  }

  /** Detaches a counter this run attached; a pinned one stays for its owner. */
  close(): void {
    if (this.owned) this.counter.detach();
  }
}
