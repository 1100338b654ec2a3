/**
 * The values of a field program as a plugin writes them in JSON (a number, or a string in
 * decimal, 0x-hex, dotted IPv4, IPv6 or MAC notation) turned into what the native core takes:
 * big-endian bytes, exactly the field's size. Whether a value fits the field is checked here,
 * where its notation is known; what the values mean together (min ≤ max, …) is the core's.
 */
import { isIPv6 } from 'node:net';

/** A value as the schema lets it through: an integer 0..2^53-1, or a non-empty string. */
export type FieldValueJson = number | string;

const DECIMAL = /^[0-9]+$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

/** `value` as `size` big-endian bytes; a RangeError, naming the value but not the field, when it cannot be. */
export function fieldValueBytes(value: FieldValueJson, size: number): Buffer {
  if (typeof value === 'number') return integerBytes(BigInt(value), size, String(value));
  if (DECIMAL.test(value) || HEX.test(value)) return integerBytes(BigInt(value), size, JSON.stringify(value));
  const ipv4 = IPV4.exec(value);
  if (ipv4) return addressBytes(ipv4Bytes(ipv4, value), 'an IPv4 address', value, size);
  if (MAC.test(value)) return addressBytes(Buffer.from(value.replace(/[:-]/g, ''), 'hex'), 'a MAC address', value, size);
  // A zone (fe80::1%eth0) names an interface of this host, nothing a packet can carry.
  if (isIPv6(value) && !value.includes('%')) return addressBytes(ipv6Bytes(value), 'an IPv6 address', value, size);
  throw new RangeError(`${JSON.stringify(value)} is not a number (decimal or 0x-hex) nor an IPv4, IPv6 or MAC address`);
}

function integerBytes(n: bigint, size: number, shown: string): Buffer {
  if (n >> BigInt(size * 8) !== 0n) {
    const most = size <= 8 ? String((1n << BigInt(size * 8)) - 1n) : `0x${'ff'.repeat(size)}`;
    throw new RangeError(`${shown} does not fit in ${size} byte${size === 1 ? '' : 's'} (at most ${most})`);
  }
  const bytes = Buffer.alloc(size);
  let rest = n;
  for (let i = size - 1; i >= 0 && rest > 0n; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** An address takes exactly its own size: 10.0.0.1 in a 2-byte field is a mistake, not a number. */
function addressBytes(bytes: Buffer, what: string, value: string, size: number): Buffer {
  if (bytes.length !== size) throw new RangeError(`${JSON.stringify(value)} is ${what}, which needs size ${bytes.length}, not ${size}`);
  return bytes;
}

function ipv4Bytes(match: RegExpExecArray, value: string): Buffer {
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((octet) => octet > 255)) throw new RangeError(`${JSON.stringify(value)} is not an IPv4 address (each part is 0..255)`);
  return Buffer.from(octets);
}

/** A valid IPv6 address (net.isIPv6 said so), `::` and a dotted IPv4 tail included. */
function ipv6Bytes(address: string): Buffer {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const withoutTail = dotted ? address.slice(0, -dotted[1]!.length) + '0:0' : address;
  const [head, tail] = withoutTail.includes('::') ? withoutTail.split('::') : [withoutTail, undefined];
  const first = groups(head!);
  const last = tail === undefined ? [] : groups(tail);
  const words = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = Buffer.alloc(16);
  words.forEach((word, i) => bytes.writeUInt16BE(word, i * 2));
  if (dotted) Buffer.from(dotted[1]!.split('.').map(Number)).copy(bytes, 12);
  return bytes;
}
