/**
 * What the host tells a plugin about the interface it will send on: its MAC address, MTU and
 * queue count from sysfs, and the neighbour-table MAC of the destination the plugin is given.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { XdperfError } from '../errors.js';

export interface DeviceContext {
  name: string;
  mac: Buffer;
  mtu: number;
  queues: number;
}

/** What plugins see when no device is named (`xdperf templates` without --dev). */
export const NO_DEVICE: DeviceContext = { name: '', mac: Buffer.alloc(6), mtu: 1500, queues: 1 };

const IFNAME = /^[^\s/]{1,15}$/;

export function parseMac(text: string): Buffer | undefined {
  const match = /^([0-9a-f]{2})(?::([0-9a-f]{2})){5}$/i.test(text.trim());
  return match ? Buffer.from(text.trim().split(':').map((octet) => parseInt(octet, 16))) : undefined;
}

export function readDevice(name: string): DeviceContext {
  if (!IFNAME.test(name)) throw new XdperfError(`interface ${JSON.stringify(name)}: not a valid interface name`);
  const sysfs = `/sys/class/net/${name}`;
  let address: string;
  try {
    address = readFileSync(`${sysfs}/address`, 'utf8');
  } catch {
    throw new XdperfError(`interface ${name}: no such interface`);
  }
  const mac = parseMac(address);
  if (!mac) throw new XdperfError(`interface ${name}: has no Ethernet address (${address.trim() || 'none'})`);
  const mtu = Number(readFileSync(`${sysfs}/mtu`, 'utf8'));
  const queues = readdirSync(`${sysfs}/queues`).filter((entry) => entry.startsWith('tx-')).length;
  return { name, mac, mtu, queues: Math.max(queues, 1) };
}

interface NeighbourEntry {
  dst: string;
  lladdr?: string;
  state?: string[];
}

const USABLE_STATES = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP']);

/** The MAC of `ip` on `device` from the kernel's neighbour table, if it has a usable entry. */
export function lookupNeighbour(device: string, ip: string): Buffer | undefined {
  let output: string;
  try {
    output = execFileSync('ip', ['-json', 'neigh', 'show', 'to', ip, 'dev', device], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
  const entries = JSON.parse(output || '[]') as NeighbourEntry[];
  const entry = entries.find((e) => e.lladdr && (e.state ?? []).some((s) => USABLE_STATES.has(s)));
  return entry?.lladdr ? parseMac(entry.lladdr) : undefined;
}
