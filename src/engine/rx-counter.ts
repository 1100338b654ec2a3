/**
 * The XDP receive counter on the far end of a link (`--rx-dev`, optionally in a named network
 * namespace). A counter pinned by `xdperf recv --pin` (as the lab does) is read where it is;
 * otherwise one is attached for the run and detached afterwards.
 */
import { existsSync } from 'node:fs';
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

export class RxCounter {
  private constructor(
    private readonly counter: Counter,
    private readonly baseline: Counts,
    private readonly owned: boolean,
  ) {}

  /** Attaches a counter that outlives this process, pinned where `open` finds it. */
  static pin(ifname: string, netns: string | undefined, action: 'drop' | 'pass'): string | null {
    return nativeCore().attachCounter(ifname, { action, netns, pinDir: counterPinDir(ifname, netns) }).mode;
  }

  /** Removes a pinned counter (detaching it); false when there was none. */
  static unpin(ifname: string, netns: string | undefined): boolean {
    return nativeCore().removePinned(counterPinDir(ifname, netns));
  }

  /**
   * With `stamps`, the stamped streams' state starts from zero: a pinned counter serves run after
   * run, and each run numbers its streams' packets from 0.
   */
  static open(ifname: string, netns: string | undefined, action: 'drop' | 'pass' = ACTION, stamps = false): RxCounter {
    const pinned = counterPinDir(ifname, netns);
    const isPinned = existsSync(pinned);
    const counter = isPinned
      ? nativeCore().openPinnedCounter(pinned)
      : nativeCore().attachCounter(ifname, { action, netns });
    if (stamps) counter.resetStamps();
    return new RxCounter(counter, counter.counts(), !isPinned);
  }

  /** How the program runs: 'native', 'generic', or null when a pinned link is gone. */
  get mode(): string | null {
    return this.counter.mode;
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
