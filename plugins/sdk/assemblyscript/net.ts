// Addresses, Internet checksums and frame layout helpers.

export const ETH_HEADER_LEN: i32 = 14;
export const IPV4_HEADER_LEN: i32 = 20;
export const UDP_HEADER_LEN: i32 = 8;
export const ETHERTYPE_IPV4: u16 = 0x0800;
export const PROTO_TCP: u8 = 6;
export const PROTO_UDP: u8 = 17;
/** The smallest Ethernet frame without FCS; the host pads shorter ones. */
export const ETH_MIN_FRAME: i32 = 60;

/** ff:ff:ff:ff:ff:ff */
export function broadcastMAC(): Uint8Array {
  const m = new Uint8Array(6);
  m.fill(0xff);
  return m;
}

function decimalOctet(s: string, start: i32, end: i32): i32 {
  const n = end - start;
  if (n < 1 || n > 3 || (n > 1 && s.charCodeAt(start) == 0x30)) return -1; // no leading zeros
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v <= 255 ? v : -1;
}

/** A dotted-quad IPv4 address as a number, or -1 when s is not one. */
export function parseIPv4(s: string): i64 {
  let v: i64 = 0;
  let start = 0;
  for (let part = 0; part < 4; part++) {
    let end = s.indexOf(".", start);
    if (part == 3) {
      if (end >= 0) return -1;
      end = s.length;
    } else if (end < 0) return -1;
    const octet = decimalOctet(s, start, end);
    if (octet < 0) return -1;
    v = (v << 8) | octet;
    start = end + 1;
  }
  return v;
}

export function formatIPv4(a: u32): string {
  return (a >> 24).toString() + "." + ((a >> 16) & 255).toString() + "." + ((a >> 8) & 255).toString() + "." + (a & 255).toString();
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Six two-digit hex pairs separated by ':' or '-', or null. */
export function parseMAC(s: string): Uint8Array | null {
  if (s.length != 17) return null;
  const m = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (i > 0) {
      const sep = s.charCodeAt(3 * i - 1);
      if (sep != 0x3a && sep != 0x2d) return null;
    }
    const hi = hexValue(s.charCodeAt(3 * i));
    const lo = hexValue(s.charCodeAt(3 * i + 1));
    if (hi < 0 || lo < 0) return null;
    m[i] = <u8>((hi << 4) | lo);
  }
  return m;
}

const HEX = "0123456789abcdef";

/** aa:bb:cc:dd:ee:ff */
export function formatMAC(m: Uint8Array): string {
  let out = "";
  for (let i = 0; i < m.length; i++) {
    if (i > 0) out += ":";
    out += HEX.charAt(m[i] >> 4) + HEX.charAt(m[i] & 15);
  }
  return out;
}

export function putU16(b: Uint8Array, offset: i32, v: u32): void {
  b[offset] = <u8>(v >> 8);
  b[offset + 1] = <u8>v;
}

export function putU32(b: Uint8Array, offset: i32, v: u32): void {
  b[offset] = <u8>(v >> 24);
  b[offset + 1] = <u8>(v >> 16);
  b[offset + 2] = <u8>(v >> 8);
  b[offset + 3] = <u8>v;
}

export function getU16(b: Uint8Array, offset: i32): u32 {
  return (<u32>b[offset] << 8) | <u32>b[offset + 1];
}

/** Adds the big-endian 16-bit words of b[start..end) to sum; an odd last byte is padded with zero. */
export function onesSum(b: Uint8Array, start: i32, end: i32, sum: u64 = 0): u64 {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (<u64>b[i] << 8) | <u64>b[i + 1];
  if (i < end) sum += <u64>b[i] << 8;
  return sum;
}

/** Folds a one's complement sum to 16 bits. */
export function fold(sum: u64): u32 {
  while (sum > 0xffff) sum = (sum >> 16) + (sum & 0xffff);
  return <u32>sum;
}

/** The Internet checksum (RFC 1071) of b[start..end). */
export function checksum(b: Uint8Array, start: i32, end: i32): u32 {
  return ~fold(onesSum(b, start, end)) & 0xffff;
}

/** The checksum of the IPv4 header at b[l3..], options included, as if its checksum field were zero. */
export function ipv4HeaderChecksum(b: Uint8Array, l3: i32): u32 {
  const end = l3 + (<i32>(b[l3] & 15)) * 4;
  return ~fold(onesSum(b, l3 + 12, end, onesSum(b, l3, l3 + 10))) & 0xffff;
}

/**
 * The checksum of the TCP or UDP segment b[l4..end) under the IPv4 header at
 * b[l3..], over the pseudo-header, as if the segment's checksum field (at
 * l4 + field) were zero. UDP's zero ("no checksum") is returned as 0xffff.
 */
export function ipv4TransportChecksum(b: Uint8Array, l3: i32, l4: i32, end: i32, field: i32): u32 {
  const proto = b[l3 + 9];
  let sum = onesSum(b, l3 + 12, l3 + 20); // source and destination addresses
  sum += <u64>proto + <u64>(end - l4);
  sum = onesSum(b, l4 + field + 2, end, onesSum(b, l4, l4 + field, sum));
  const c = ~fold(sum) & 0xffff;
  return c == 0 && proto == PROTO_UDP ? 0xffff : c;
}

/**
 * An Ethernet II + IPv4 + UDP frame: a 20-byte IPv4 header (no options,
 * identification 0, Don't Fragment), both checksums filled in, and a payload
 * whose byte i is i mod 256. The field offsets are the OFFSET_ constants.
 */
export class Udp4Frame {
  static readonly OFFSET_SRC_IP: i32 = 26;
  static readonly OFFSET_DST_IP: i32 = 30;
  static readonly OFFSET_SRC_PORT: i32 = 34;
  static readonly OFFSET_DST_PORT: i32 = 36;
  /** Ethernet, IPv4 and UDP headers: the smallest frame length. */
  static readonly HEADERS_LEN: i32 = 42;

  dstMAC: Uint8Array = broadcastMAC();
  srcMAC: Uint8Array = new Uint8Array(6);
  srcIP: u32 = 0;
  dstIP: u32 = 0;
  srcPort: u16 = 0;
  dstPort: u16 = 0;
  ttl: u8 = 64;
  tos: u8 = 0;

  /** The frame, `length` bytes from the Ethernet header (at least HEADERS_LEN). */
  build(length: i32): Uint8Array {
    const b = new Uint8Array(max(length, Udp4Frame.HEADERS_LEN));
    b.set(this.dstMAC, 0);
    b.set(this.srcMAC, 6);
    putU16(b, 12, ETHERTYPE_IPV4);
    const l3 = ETH_HEADER_LEN;
    const l4 = l3 + IPV4_HEADER_LEN;
    b[l3] = 0x45;
    b[l3 + 1] = this.tos;
    putU16(b, l3 + 2, <u32>(b.length - l3));
    // Identification 0: with Don't Fragment set the datagram is atomic (RFC 6864).
    putU16(b, l3 + 6, 0x4000);
    b[l3 + 8] = this.ttl;
    b[l3 + 9] = PROTO_UDP;
    putU32(b, l3 + 12, this.srcIP);
    putU32(b, l3 + 16, this.dstIP);
    putU16(b, l3 + 10, ipv4HeaderChecksum(b, l3));
    putU16(b, l4, this.srcPort);
    putU16(b, l4 + 2, this.dstPort);
    putU16(b, l4 + 4, <u32>(b.length - l4));
    for (let i = l4 + UDP_HEADER_LEN; i < b.length; i++) b[i] = <u8>(i - l4 - UDP_HEADER_LEN);
    putU16(b, l4 + 6, ipv4TransportChecksum(b, l3, l4, b.length, 6));
    return b;
  }
}
