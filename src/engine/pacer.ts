/**
 * The raw engine's rate limiter: the same policy as the native core's pacer
 * (native/src/pacer.rs), for the engine that runs in JavaScript. Credit is
 * granted a quantum at a time (~4000 grants a second, at most `maxQuantum`);
 * a sender that fell behind makes good at most 100 ms of backlog, and only at
 * 5 % above the rate: a second bucket, that much faster and two quanta deep,
 * bounds every stretch of time at rate × 1.05 plus two quanta, so catching up
 * never shows as a burst. It also keeps count of the times the sender fell more
 * than 1 ms behind.
 */
const GRANTS_PER_SECOND = 4000;
const BACKLOG_NS = 100_000_000n;
/** How much faster than the rate a sender that fell behind may go while it catches up. */
export const CATCH_UP_PERCENT = 5;
/** Rates are kept as integers in packets per 1000 s, as the native pacer keeps them. */
const RATE_SCALE = 1000n;
const NS_PER_SECOND = 1_000_000_000n;
/** Further behind its schedule than this, a sender has fallen behind (its CPU was busy elsewhere, or the rate is more than it can send). */
export const BEHIND_NS = 1e6;

export type Grant = { send: number } | { waitNs: number };

/** How often a sender fell more than 1 ms behind its schedule, and the most it was behind. */
export interface Lag {
  times: number;
  mostNs: number;
}

/**
 * The arithmetic is the native pacer's, in integers (BigInt), so that both answer alike to the
 * nanosecond (test/pacer-cases.json holds them to it): in floating point, 70 µs at 100 kpps is
 * 6.999… packets, and a grant due then slips by a poll.
 */
export class Pacer {
  readonly quantum: number;
  private readonly backlog: number;
  private readonly rateMilli: bigint;
  private readonly peakRateMilli: bigint;
  private granted = 0;
  private peakGranted = 0;
  private readonly lagSoFar: Lag = { times: 0, mostNs: 0 };
  private behind = false;

  /** A pacer for `pps` (> 0) starting at `originNs` with an empty bucket. */
  constructor(
    pps: number,
    maxQuantum: number,
    private readonly originNs: number,
  ) {
    this.rateMilli = BigInt(Math.round(pps * Number(RATE_SCALE)));
    this.peakRateMilli = this.rateMilli + (this.rateMilli * BigInt(CATCH_UP_PERCENT)) / 100n;
    const wholePps = Number(this.rateMilli / RATE_SCALE);
    this.quantum = Math.min(Math.max(Math.floor(wholePps / GRANTS_PER_SECOND), 1), Math.max(maxQuantum, 1));
    this.backlog = Math.max(Number((this.rateMilli * BACKLOG_NS) / (NS_PER_SECOND * RATE_SCALE)), this.quantum);
  }

  /**
   * Up to `want` packets at `nowNs`, once a whole quantum (or `want`, if smaller) is there;
   * report what went with {@link Pacer.spend}.
   */
  poll(nowNs: number, want: number): Grant {
    const allowed = this.allowedAt(nowNs, this.rateMilli);
    const due = allowed - this.granted;
    this.noteLag(nowNs);
    if (due > this.backlog) this.granted = allowed - this.backlog;
    const peakAllowed = this.allowedAt(nowNs, this.peakRateMilli);
    const depth = 2 * this.quantum;
    if (peakAllowed - this.peakGranted > depth) this.peakGranted = peakAllowed - depth;
    const grantable = Math.min(allowed - this.granted, peakAllowed - this.peakGranted);
    const needed = Math.max(Math.min(this.quantum, want), 1);
    if (grantable >= needed) return { send: Math.min(grantable, want) };
    const dueNs = Math.max(this.timeOf(this.granted + needed, this.rateMilli), this.timeOf(this.peakGranted + needed, this.peakRateMilli));
    return { waitNs: Math.max(dueNs - nowNs, 1) };
  }

  /** How often this sender fell behind so far. */
  lag(): Lag {
    return { ...this.lagSoFar };
  }

  /**
   * How late the next quantum is: the time since its last packet became due. Credit merely
   * accruing towards a grant is not lag, so a sender on time reads ~0 at any rate, even when a
   * quantum is one packet and seconds long.
   */
  private noteLag(nowNs: number): void {
    const lagNs = Math.max(nowNs - this.timeOf(this.granted + this.quantum, this.rateMilli), 0);
    if (lagNs > BEHIND_NS) {
      if (!this.behind) this.lagSoFar.times++;
      this.behind = true;
      this.lagSoFar.mostNs = Math.max(this.lagSoFar.mostNs, lagNs);
    } else if (lagNs <= BEHIND_NS / 2) {
      this.behind = false;
    }
  }

  spend(packets: number): void {
    this.granted += packets;
    this.peakGranted += packets;
  }

  /** Packets `rateMilli` allows between the origin and `nowNs`. */
  private allowedAt(nowNs: number, rateMilli: bigint): number {
    const elapsedNs = BigInt(Math.max(Math.floor(nowNs - this.originNs), 0));
    return Number((elapsedNs * rateMilli) / (NS_PER_SECOND * RATE_SCALE));
  }

  /** Earliest time at which `allowedAt` at `rateMilli` reaches `packets`. */
  private timeOf(packets: number, rateMilli: bigint): number {
    const scaled = BigInt(packets) * NS_PER_SECOND * RATE_SCALE;
    return this.originNs + Number((scaled + rateMilli - 1n) / rateMilli);
  }
}
