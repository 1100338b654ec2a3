/**
 * The portable engine: IPv4 packets sent on a raw socket with the IP header included (the
 * Ethernet header stripped; the kernel adds its own, from its routing and neighbour tables).
 * It runs in JavaScript, one packet per send, so it is for modest rates on hosts where
 * AF_XDP and AF_PACKET are not available; `auto` picks it only when nothing faster works.
 */
import { createRequire } from 'node:module';
import { XdperfError } from '../errors.js';
import type { TxStats } from './native-core.js';
import { linkIndex, linkState, LinkWatch, WATCH_INTERVAL_MS } from './link-watch.js';
import { Pacer } from './pacer.js';
import { weightedOrder, type EngineTemplate, type TxEngineSession } from './tx-engine.js';
import { VariantSequence } from './variant-batches.js';

type RawSocketModule = typeof import('raw-socket');

const IPPROTO_RAW = 255;
const ETHERTYPE_IPV4 = 0x0800;
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);
// Sends queued in the socket at once; beyond this the rate is limited by the socket, not by JS.
const MAX_IN_FLIGHT = 256;
// Gaps longer than this wait on a timer, which may fire a millisecond late; shorter ones go
// round the event loop (which keeps the socket's sends flowing) until the credit is there.
const TIMER_FROM_NS = 2e6;
// How long past its duration a paced run whose count comes from that duration may go on to
// send its last packets when it fell behind, as in the native core (native/src/plan.rs).
const COUNTED_DURATION_GRACE_MS = 1000;

export interface RawPlan {
  ifname: string;
  templates: EngineTemplate[];
  pps?: number;
  bps?: number;
  count?: number;
  durationMs?: number;
}

interface IpPacket {
  data: Buffer;
  destination: string;
  frameBytes: number;
}

export function loadRawSocket(): RawSocketModule {
  try {
    return createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
    throw new XdperfError(`engine raw: the raw-socket package is not installed or did not build (${reason}): run 'npm install raw-socket'`);
  }
}

/** Where the IPv4 packet of a frame is, or why there is none. */
function ipv4Layout(frame: Buffer, index: number): { offset: number; totalLength: number } {
  let offset = 14;
  let etherType = frame.readUInt16BE(12);
  while (VLAN_ETHERTYPES.has(etherType) && frame.length >= offset + 4) {
    etherType = frame.readUInt16BE(offset + 2);
    offset += 4;
  }
  if (etherType !== ETHERTYPE_IPV4 || frame.length < offset + 20 || frame[offset]! >> 4 !== 4) {
    throw new XdperfError(`engine raw: template ${index} is not an IPv4 packet; the raw engine sends IPv4 only`);
  }
  const totalLength = frame.readUInt16BE(offset + 2);
  if (totalLength < 20 || offset + totalLength > frame.length) {
    throw new XdperfError(`engine raw: template ${index} has an IPv4 total length of ${totalLength}, which does not fit its frame`);
  }
  return { offset, totalLength };
}

function packetAt(frame: Buffer, layout: { offset: number; totalLength: number }): IpPacket {
  const data = frame.subarray(layout.offset, layout.offset + layout.totalLength);
  return { data, destination: Array.from(data.subarray(16, 20)).join('.'), frameBytes: Math.max(frame.length, 60) };
}

/**
 * A template's IPv4 packets in sending order (or why it has none): the k-th call gives the packet
 * of its variant k, found where the base frame has it (fields vary bytes, not the layout).
 */
export function templatePackets(template: EngineTemplate, index: number): () => IpPacket {
  const layout = ipv4Layout(template.frame, index);
  if (template.fields === undefined || template.fields.length === 0) {
    const packet = packetAt(template.frame, layout);
    return () => packet;
  }
  const variants = new VariantSequence(template);
  return () => packetAt(variants.next(), layout);
}

export class RawSession implements TxEngineSession {
  readonly engine = 'raw';
  readonly mode = 'ip-hdrincl';
  private readonly order: number[];
  private readonly startedNs = process.hrtime.bigint();
  private endedNs: bigint | undefined;
  private position = 0;
  private submitted = 0;
  // Counted when handed to the socket (and taken back if the send fails), so that a receiver
  // read before stats() never shows more than was sent.
  private packets = 0;
  private bytes = 0;
  private delivered = 0;
  private errors = 0;
  private inFlight = 0;
  private stopping = false;
  private firstError: Error | undefined;
  /** Why the watchdog ended the run. */
  private verdict: string | undefined;
  private readonly perTemplate: number[];
  private readonly perTemplateBytes: number[];
  private readonly done: Promise<TxStats>;
  private finish!: (stats: TxStats) => void;
  private readonly pacer: Pacer | undefined;
  /** Packets to send: the count asked for, or what the rate sends in the duration asked for. */
  private readonly count: number | undefined;
  private readonly deadlineMs: number | undefined;
  /** A pump waiting out a long gap, which a stop cuts short. */
  private gapTimer: NodeJS.Timeout | undefined;
  private readonly watchTimer: NodeJS.Timeout;

  private constructor(
    private readonly socket: import('raw-socket').RawSocket,
    private readonly nextPacket: (() => IpPacket)[],
    private readonly plan: RawPlan,
    ifindex: number,
  ) {
    this.order = weightedOrder(plan.templates.map((t) => t.weight));
    this.perTemplate = plan.templates.map(() => 0);
    this.perTemplateBytes = plan.templates.map(() => 0);
    const meanBytes = this.order.reduce((sum, i) => sum + Math.max(plan.templates[i]!.frame.length, 60), 0) / this.order.length;
    const rate = plan.pps ?? (plan.bps === undefined ? undefined : plan.bps / (meanBytes * 8));
    this.pacer = rate === undefined ? undefined : new Pacer(rate, MAX_IN_FLIGHT, 0);
    // Below one packet in the duration the run still lasts the duration, sending nothing.
    const packetsInDuration = rate === undefined || plan.durationMs === undefined ? 0 : Math.round((rate * plan.durationMs) / 1000);
    const counted = plan.count === undefined && packetsInDuration > 0;
    this.count = counted ? packetsInDuration : plan.count;
    this.deadlineMs = plan.durationMs === undefined ? undefined : plan.durationMs + (counted ? COUNTED_DURATION_GRACE_MS : 0);
    this.done = new Promise((resolve) => (this.finish = resolve));
    socket.on('error', (error) => this.fail(error));
    const watch = new LinkWatch();
    this.watchTimer = setInterval(() => {
      const progress = { delivered: this.delivered, errors: this.errors };
      const verdict = watch.observe(plan.ifname, this.elapsedNs(), linkState(plan.ifname, ifindex), progress);
      if (verdict !== undefined) {
        this.verdict ??= verdict;
        this.stop();
      }
    }, WATCH_INTERVAL_MS).unref();
    setImmediate(() => this.pump());
  }

  static start(plan: RawPlan): RawSession {
    const raw = loadRawSocket();
    const packets = plan.templates.map((t, i) => templatePackets(t, i));
    let socket;
    try {
      socket = raw.createSocket({ protocol: IPPROTO_RAW, addressFamily: raw.AddressFamily.IPv4 });
      const name = Buffer.from(`${plan.ifname}\0`);
      socket.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_BINDTODEVICE, name, name.length);
    } catch (error) {
      const message = (error as Error).message;
      const why = /not permitted|permission/i.test(message) ? 'permission denied (needs CAP_NET_RAW, or root)' : message;
      throw new XdperfError(`engine raw: raw socket on ${plan.ifname}: ${why}`);
    }
    return new RawSession(socket, packets, plan, linkIndex(plan.ifname));
  }

  stats(): TxStats {
    const end = this.endedNs ?? process.hrtime.bigint();
    const lag = this.pacer?.lag() ?? { times: 0, mostNs: 0 };
    return {
      elapsedNs: Number(end - this.startedNs),
      packets: this.packets,
      bytes: this.bytes,
      batches: this.packets,
      kicks: this.packets,
      ringFull: 0,
      completions: this.delivered,
      errors: this.errors,
      timesBehind: lag.times,
      mostBehindNs: lag.mostNs,
      perTemplate: [...this.perTemplate],
      perTemplateBytes: [...this.perTemplateBytes],
      // The kernel's stack picks the queue a packet leaves by: none is this engine's.
      perQueue: [],
      running: this.endedNs === undefined,
      // It begins sending as it is started (it takes no --start-at).
      beganNs: 0,
    };
  }

  stop(): void {
    this.stopping = true;
    if (this.gapTimer !== undefined) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
      setImmediate(() => this.pump());
    }
  }

  async wait(): Promise<TxStats> {
    const stats = await this.done;
    if (this.verdict !== undefined) throw new XdperfError(this.verdict);
    if (this.firstError && this.delivered === 0) throw new XdperfError(`engine raw: sending on ${this.plan.ifname} failed: ${this.firstError.message}`);
    return stats;
  }

  private elapsedNs(now = process.hrtime.bigint()): number {
    return Number(now - this.startedNs);
  }

  private finished(now: bigint): boolean {
    return (
      this.stopping ||
      (this.deadlineMs !== undefined && this.elapsedNs(now) >= this.deadlineMs * 1e6) ||
      (this.count !== undefined && this.submitted >= this.count)
    );
  }

  private pump(): void {
    const now = process.hrtime.bigint();
    if (this.finished(now)) {
      if (this.inFlight === 0) this.end();
      else setImmediate(() => this.pump());
      return;
    }
    // Paced, the socket holds at most two quanta: what it has not written stays with the pacer,
    // which makes a stalled socket good at its capped catch-up rate, not as one burst.
    const queue = this.pacer === undefined ? MAX_IN_FLIGHT : Math.min(MAX_IN_FLIGHT, 2 * this.pacer.quantum);
    let allowed = queue - this.inFlight;
    if (this.count !== undefined) allowed = Math.min(allowed, this.count - this.submitted);
    if (this.pacer !== undefined && allowed > 0) {
      const grant = this.pacer.poll(this.elapsedNs(now), allowed);
      if ('waitNs' in grant) {
        // The deadline ends a long gap too.
        const waitNs = Math.min(grant.waitNs, (this.deadlineMs ?? Infinity) * 1e6 - this.elapsedNs(now));
        if (waitNs > TIMER_FROM_NS) {
          this.gapTimer = setTimeout(() => {
            this.gapTimer = undefined;
            this.pump();
          }, (waitNs - TIMER_FROM_NS / 2) / 1e6);
        } else {
          setImmediate(() => this.pump());
        }
        return;
      }
      allowed = grant.send;
      this.pacer.spend(allowed);
    }
    for (let i = 0; i < allowed; i++) this.sendNext();
    setImmediate(() => this.pump());
  }

  private sendNext(): void {
    const template = this.order[this.position]!;
    this.position = (this.position + 1) % this.order.length;
    const packet = this.nextPacket[template]!();
    this.submitted++;
    this.inFlight++;
    this.packets++;
    this.bytes += packet.frameBytes;
    this.perTemplate[template]!++;
    this.perTemplateBytes[template]! += packet.frameBytes;
    this.socket.send(packet.data, 0, packet.data.length, packet.destination, (error) => {
      this.inFlight--;
      if (!error) {
        this.delivered++;
        return;
      }
      this.packets--;
      this.bytes -= packet.frameBytes;
      this.perTemplate[template]!--;
      this.perTemplateBytes[template]! -= packet.frameBytes;
      this.fail(error);
    });
  }

  private fail(error: Error): void {
    this.errors++;
    this.firstError ??= error;
    // A socket that fails every send (no route) would only count errors.
    if (this.delivered === 0 && this.errors >= MAX_IN_FLIGHT) this.stopping = true;
  }

  private end(): void {
    if (this.endedNs !== undefined) return;
    this.endedNs = process.hrtime.bigint();
    clearInterval(this.watchTimer);
    this.socket.close();
    this.finish(this.stats());
  }
}
