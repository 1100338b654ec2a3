/**
 * The XDP receive counter on the far end of a link (`--rx-dev`, optionally in a named network
 * namespace), attached for one run and detached afterwards, so a run reports what arrived and
 * not only what was sent.
 */
import { engineCall, nativeCore, type Counter, type Counts } from './native-core.js';

// Frames that reach the counter have done their job; dropping them spares the receiving
// stack, which would otherwise take most of a core at high rates.
const ACTION = 'drop';

export class RxCounter {
  private constructor(
    private readonly counter: Counter,
    private readonly baseline: Counts,
  ) {}

  static attach(ifname: string, netns: string | undefined): RxCounter {
    const counter = engineCall(() => nativeCore().attachCounter(ifname, { action: ACTION, netns }));
    return new RxCounter(counter, counter.counts());
  }

  /** Received since attach. */
  counts(): Counts {
    const now = this.counter.counts();
    return { packets: now.packets - this.baseline.packets, bytes: now.bytes - this.baseline.bytes };
  }

  /**
   * The final counts, read after the frames in flight have had time to land, then detaches.
   * veth delivers on the sending CPU's softirq, so a short settle covers what is still queued.
   */
  finish(): Counts {
    const deadline = Date.now() + 200;
    let last = this.counts();
    for (;;) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      const now = this.counts();
      if (now.packets === last.packets || Date.now() > deadline) {
        this.close();
        return now;
      }
      last = now;
    }
  }

  close(): void {
    engineCall(() => this.counter.detach());
  }
}
