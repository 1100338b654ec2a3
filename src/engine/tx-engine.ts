/** What `xdperf run` needs of a transmit engine, native or not. */
import type { TxStats } from './native-core.js';

export type EngineName = 'afxdp' | 'xdp' | 'packet' | 'raw';

export interface TxEngineSession {
  readonly engine: string;
  readonly mode: string;
  stats(): TxStats;
  stop(): void;
  wait(): Promise<TxStats>;
}

export interface EngineTemplate {
  frame: Buffer;
  weight: number;
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
