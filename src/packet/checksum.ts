/** The Internet checksum (RFC 1071) and the pseudo-headers UDP, TCP and ICMPv6 sum over. */

/** One's-complement sum of 16-bit big-endian words, folded to 16 bits (not inverted). */
export function onesComplementSum(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i + 1 < part.length; i += 2) sum += (part[i]! << 8) | part[i + 1]!;
    if (part.length % 2 === 1) sum += part[part.length - 1]! << 8;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** True when data carrying its own checksum field sums to all ones. */
export function checksumVerifies(...parts: Uint8Array[]): boolean {
  return onesComplementSum(...parts) === 0xffff;
}

export function pseudoHeaderV4(source: Uint8Array, destination: Uint8Array, protocol: number, length: number): Uint8Array {
  const header = new Uint8Array(12);
  header.set(source, 0);
  header.set(destination, 4);
  header[9] = protocol;
  header[10] = length >>> 8;
  header[11] = length & 0xff;
  return header;
}

export function pseudoHeaderV6(source: Uint8Array, destination: Uint8Array, nextHeader: number, length: number): Uint8Array {
  const header = new Uint8Array(40);
  header.set(source, 0);
  header.set(destination, 16);
  new DataView(header.buffer).setUint32(32, length);
  header[39] = nextHeader;
  return header;
}
