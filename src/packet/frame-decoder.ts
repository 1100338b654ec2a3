/**
 * Decodes a frame layer by layer (Ethernet, VLAN, ARP, IPv4/IPv6, UDP/TCP/ICMP) and checks each
 * checksum, so `xdperf templates` can show a plugin author exactly what they built.
 */
import { checksumVerifies, pseudoHeaderV4, pseudoHeaderV6 } from './checksum.js';

export type FieldValue = string | number | boolean;

export interface Layer {
  name: string;
  /** One line a person reads. */
  summary: string;
  /** The same facts for machines (`--json`). */
  fields: Record<string, FieldValue>;
}

export type ChecksumState = 'valid' | 'invalid' | 'absent';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };
const ETHERTYPE_NAMES: Record<number, string> = { 0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x8100: '802.1Q', 0x88a8: '802.1ad' };
const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes).join('.');
}

export function formatIpv6(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(i * 2));
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

const hex16 = (value: number): string => `0x${value.toString(16).padStart(4, '0')}`;

function checksumText(state: ChecksumState, value: number): string {
  return state === 'absent' ? 'checksum none' : `checksum ${hex16(value)} ${state}`;
}

interface Network {
  pseudo(protocol: number, length: number): Uint8Array;
  v6: boolean;
}

export function decodeFrame(frame: Uint8Array): Layer[] {
  const layers: Layer[] = [];
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const truncated = (name: string, need: number, at: number): Layer[] => {
    layers.push({ name, summary: `truncated: needs ${need} bytes at offset ${at}, frame has ${frame.length}`, fields: { truncated: true } });
    return layers;
  };
  if (frame.length < 14) return truncated('Ethernet', 14, 0);
  let etherType = view.getUint16(12);
  const destination = formatMac(frame.subarray(0, 6));
  const source = formatMac(frame.subarray(6, 12));
  layers.push({
    name: 'Ethernet',
    summary: `${source} → ${destination}  type ${hex16(etherType)}${ETHERTYPE_NAMES[etherType] ? ` (${ETHERTYPE_NAMES[etherType]})` : ''}`,
    fields: { source, destination, ether_type: etherType },
  });
  let offset = 14;
  while (VLAN_ETHERTYPES.has(etherType)) {
    if (frame.length < offset + 4) return truncated('VLAN', 4, offset);
    const tci = view.getUint16(offset);
    const tpid = etherType;
    etherType = view.getUint16(offset + 2);
    layers.push({
      name: 'VLAN',
      summary: `id ${tci & 0xfff}  priority ${tci >> 13}  tpid ${hex16(tpid)}  type ${hex16(etherType)}`,
      fields: { id: tci & 0xfff, priority: tci >> 13, dei: ((tci >> 12) & 1) === 1, tpid, ether_type: etherType },
    });
    offset += 4;
  }
  if (etherType === ETHERTYPE_IPV4) return decodeIpv4(frame, offset, layers, truncated);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(frame, offset, layers, truncated);
  if (etherType === ETHERTYPE_ARP) return decodeArp(frame, offset, layers, truncated);
  layers.push({ name: 'Payload', summary: `${frame.length - offset} bytes (ether type not decoded)`, fields: { length: frame.length - offset } });
  return layers;
}

type Truncated = (name: string, need: number, at: number) => Layer[];

function decodeArp(frame: Uint8Array, offset: number, layers: Layer[], truncated: Truncated): Layer[] {
  if (frame.length < offset + 28) return truncated('ARP', 28, offset);
  const view = new DataView(frame.buffer, frame.byteOffset + offset, 28);
  const operation = view.getUint16(6);
  const senderIp = formatIpv4(frame.subarray(offset + 14, offset + 18));
  const targetIp = formatIpv4(frame.subarray(offset + 24, offset + 28));
  layers.push({
    name: 'ARP',
    summary: `${operation === 1 ? 'request' : operation === 2 ? 'reply' : `op ${operation}`}  ${senderIp} → ${targetIp}`,
    fields: { operation, sender_ip: senderIp, target_ip: targetIp, sender_mac: formatMac(frame.subarray(offset + 8, offset + 14)) },
  });
  return layers;
}

function decodeIpv4(frame: Uint8Array, offset: number, layers: Layer[], truncated: Truncated): Layer[] {
  if (frame.length < offset + 20) return truncated('IPv4', 20, offset);
  const view = new DataView(frame.buffer, frame.byteOffset + offset);
  const version = frame[offset]! >> 4;
  const headerLength = (frame[offset]! & 0x0f) * 4;
  const totalLength = view.getUint16(2);
  if (version !== 4 || headerLength < 20) {
    layers.push({ name: 'IPv4', summary: `malformed: version ${version}, header length ${headerLength}`, fields: { malformed: true } });
    return layers;
  }
  if (frame.length < offset + headerLength) return truncated('IPv4', headerLength, offset);
  const header = frame.subarray(offset, offset + headerLength);
  const protocol = frame[offset + 9]!;
  const source = frame.subarray(offset + 12, offset + 16);
  const destination = frame.subarray(offset + 16, offset + 20);
  const checksum = view.getUint16(10);
  const checksumState: ChecksumState = checksumVerifies(header) ? 'valid' : 'invalid';
  const flags = view.getUint16(6);
  const end = Math.min(offset + totalLength, frame.length);
  layers.push({
    name: 'IPv4',
    summary:
      `${formatIpv4(source)} → ${formatIpv4(destination)}  ttl ${frame[offset + 8]}  proto ${protocol}` +
      `${PROTOCOL_NAMES[protocol] ? ` (${PROTOCOL_NAMES[protocol]})` : ''}  total length ${totalLength}` +
      `${flags & 0x4000 ? '  DF' : ''}  header ${checksumText(checksumState, checksum)}` +
      (offset + totalLength > frame.length ? `  (frame ends ${offset + totalLength - frame.length} bytes early)` : ''),
    fields: {
      source: formatIpv4(source),
      destination: formatIpv4(destination),
      ttl: frame[offset + 8]!,
      tos: frame[offset + 1]!,
      protocol,
      total_length: totalLength,
      identification: view.getUint16(4),
      dont_fragment: (flags & 0x4000) !== 0,
      checksum,
      checksum_state: checksumState,
    },
  });
  const network: Network = { pseudo: (p, length) => pseudoHeaderV4(source, destination, p, length), v6: false };
  return decodeTransport(frame, offset + headerLength, end, protocol, network, layers, truncated);
}

function decodeIpv6(frame: Uint8Array, offset: number, layers: Layer[], truncated: Truncated): Layer[] {
  if (frame.length < offset + 40) return truncated('IPv6', 40, offset);
  const view = new DataView(frame.buffer, frame.byteOffset + offset);
  const payloadLength = view.getUint16(4);
  const nextHeader = frame[offset + 6]!;
  const source = frame.subarray(offset + 8, offset + 24);
  const destination = frame.subarray(offset + 24, offset + 40);
  layers.push({
    name: 'IPv6',
    summary:
      `${formatIpv6(source)} → ${formatIpv6(destination)}  hop limit ${frame[offset + 7]}  next header ${nextHeader}` +
      `${PROTOCOL_NAMES[nextHeader] ? ` (${PROTOCOL_NAMES[nextHeader]})` : ''}  payload length ${payloadLength}`,
    fields: {
      source: formatIpv6(source),
      destination: formatIpv6(destination),
      hop_limit: frame[offset + 7]!,
      next_header: nextHeader,
      payload_length: payloadLength,
      flow_label: view.getUint32(0) & 0xfffff,
    },
  });
  const network: Network = { pseudo: (p, length) => pseudoHeaderV6(source, destination, p, length), v6: true };
  const end = Math.min(offset + 40 + payloadLength, frame.length);
  return decodeTransport(frame, offset + 40, end, nextHeader, network, layers, truncated);
}

function decodeTransport(
  frame: Uint8Array,
  offset: number,
  end: number,
  protocol: number,
  network: Network,
  layers: Layer[],
  truncated: Truncated,
): Layer[] {
  const segment = frame.subarray(offset, Math.max(offset, end));
  const view = new DataView(frame.buffer, frame.byteOffset + offset);
  if (protocol === PROTO_UDP) {
    if (segment.length < 8) return truncated('UDP', 8, offset);
    const checksum = view.getUint16(6);
    const length = view.getUint16(4);
    const state: ChecksumState =
      checksum === 0 && !network.v6 ? 'absent' : checksumVerifies(network.pseudo(PROTO_UDP, segment.length), segment) ? 'valid' : 'invalid';
    layers.push({
      name: 'UDP',
      summary: `${view.getUint16(0)} → ${view.getUint16(2)}  length ${length}  ${checksumText(state, checksum)}`,
      fields: { source_port: view.getUint16(0), destination_port: view.getUint16(2), length, checksum, checksum_state: state },
    });
    return payload(layers, segment.length - 8, frame.length - end);
  }
  if (protocol === PROTO_TCP) {
    if (segment.length < 20) return truncated('TCP', 20, offset);
    const dataOffset = (frame[offset + 12]! >> 4) * 4;
    const flagBits = frame[offset + 13]!;
    const flags = TCP_FLAGS.filter((_, bit) => flagBits & (1 << bit));
    const checksum = view.getUint16(16);
    const state: ChecksumState = checksumVerifies(network.pseudo(PROTO_TCP, segment.length), segment) ? 'valid' : 'invalid';
    layers.push({
      name: 'TCP',
      summary:
        `${view.getUint16(0)} → ${view.getUint16(2)}  [${flags.join(',')}]  seq ${view.getUint32(4)}  ack ${view.getUint32(8)}` +
        `  window ${view.getUint16(14)}  header ${dataOffset}  ${checksumText(state, checksum)}`,
      fields: {
        source_port: view.getUint16(0),
        destination_port: view.getUint16(2),
        sequence: view.getUint32(4),
        acknowledgment: view.getUint32(8),
        header_length: dataOffset,
        flags: flags.join(','),
        window: view.getUint16(14),
        checksum,
        checksum_state: state,
      },
    });
    return payload(layers, segment.length - Math.min(dataOffset, segment.length), frame.length - end);
  }
  if (protocol === PROTO_ICMP || protocol === PROTO_ICMPV6) {
    const name = protocol === PROTO_ICMP ? 'ICMP' : 'ICMPv6';
    if (segment.length < 4) return truncated(name, 4, offset);
    const checksum = view.getUint16(2);
    const parts = protocol === PROTO_ICMP ? [segment] : [network.pseudo(PROTO_ICMPV6, segment.length), segment];
    const state: ChecksumState = checksumVerifies(...parts) ? 'valid' : 'invalid';
    layers.push({
      name,
      summary: `type ${frame[offset]}  code ${frame[offset + 1]}  ${checksumText(state, checksum)}`,
      fields: { type: frame[offset]!, code: frame[offset + 1]!, checksum, checksum_state: state },
    });
    return payload(layers, segment.length - 4, frame.length - end);
  }
  return payload(layers, segment.length, frame.length - end);
}

function payload(layers: Layer[], length: number, padding: number): Layer[] {
  layers.push({
    name: 'Payload',
    summary: `${length} bytes${padding > 0 ? ` + ${padding} bytes of padding` : ''}`,
    fields: { length, padding },
  });
  return layers;
}

/** Whether every checksum the decoder could check verifies. */
export function checksumsValid(layers: Layer[]): boolean {
  return layers.every((layer) => layer.fields.checksum_state !== 'invalid');
}

/** What a layer is in a few words, for a frame shown on one line among many (a variant). */
function brief(layer: Layer): string | undefined {
  const f = layer.fields;
  if (f.truncated === true || f.malformed === true) return `${layer.name} ${layer.summary}`;
  switch (layer.name) {
    case 'Ethernet':
    case 'IPv4':
    case 'IPv6':
      return `${f.source} → ${f.destination}`;
    case 'ARP':
      return `ARP ${f.sender_ip} → ${f.target_ip}`;
    case 'VLAN':
      return `vlan ${f.id}`;
    case 'UDP':
    case 'TCP':
      return `${layer.name} ${f.source_port} → ${f.destination_port}`;
    case 'ICMP':
    case 'ICMPv6':
      return `${layer.name} type ${f.type} code ${f.code}`;
    default:
      return undefined;
  }
}

/** Each checksum the frame carries and whether it verifies: `IPv4 header valid, UDP none`. */
export function checksumVerdicts(layers: Layer[]): string {
  const verdicts = layers
    .filter((layer) => layer.fields.checksum_state !== undefined)
    .map((layer) => `${layer.name === 'IPv4' ? 'IPv4 header' : layer.name} ${layer.fields.checksum_state === 'absent' ? 'none' : layer.fields.checksum_state}`);
  return verdicts.length === 0 ? 'no checksums' : `checksums ${verdicts.join(', ')}`;
}

/** A decoded frame on one line: addresses and ports layer by layer, then the checksum verdicts. */
export function frameLine(layers: Layer[]): string {
  return [...layers.map(brief).filter((text) => text !== undefined), checksumVerdicts(layers)].join('  ');
}
