/**
 * Classic libpcap files (the format tcpdump, tshark and Wireshark all read), written to a
 * temporary file and renamed into place, so a failure never leaves a half-written capture.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;

export function encodePcap(frames: Uint8Array[], timestampMs: number): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_MAGIC_MICROSECONDS, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(SNAPLEN, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const records = frames.map((frame, index) => {
    // Frames get consecutive microseconds so tools show them in the plugin's order.
    const micros = Math.floor(timestampMs * 1000) + index;
    const record = Buffer.alloc(16 + frame.length);
    record.writeUInt32LE(Math.floor(micros / 1e6), 0);
    record.writeUInt32LE(micros % 1e6, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    record.set(frame, 16);
    return record;
  });
  return Buffer.concat([header, ...records]);
}

export function writePcapFile(path: string, frames: Uint8Array[], timestampMs = Date.now()): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, encodePcap(frames, timestampMs));
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
