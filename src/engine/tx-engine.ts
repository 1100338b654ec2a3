/** What `xdperf run` needs of a transmit engine, native or not. */
import type { FieldSpec, TxStats } from './native-core.js';

export type EngineName = 'afxdp' | 'xdp' | 'packet' | 'raw';

export interface TxEngineSession {
  readonly engine: string;
  readonly mode: string;
  stats(): TxStats;
  stop(): void;
  wait(): Promise<TxStats>;
}

/** A template as every engine takes it (the native core's Template). */
export interface EngineTemplate {
  /** With fields, the base frame as the plugin gave it (the core pads it); else padded to 60. */
  frame: Buffer;
  weight: number;
  /** Per-packet variation: the packet k of this template is its variant k. */
  fields?: FieldSpec[];
  /** A cap on the variants: variant k is variant k mod flows. */
  flows?: number;
}

/** Smooth weighted round-robin over one period: weights 3:1 give A A B A, exactly. */
export function weightedOrder(weights: number[]): number[] {
  const divisor = weights.reduce((a, b) => gcd(a, b));
  const reduced = weights.map((w) => w / divisor);
  const period = reduced.reduce((a, b) => a + b, 0);
  const current = reduced.map(() => 0);
  const order: number[] = [];
  for (let slot = 0; slot < period; slot++) {
    let best = 0;
    reduced.forEach((weight, index) => {
      current[index]! += weight;
      if (current[index]! > current[best]!) best = index;
    });
    current[best]! -= period;
    order.push(best);
  }
  return order;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
