/**
 * Classic libpcap files (the format tcpdump, tshark and Wireshark all read), written as frames
 * come to a temporary file and renamed into place when complete, so a failure never leaves a
 * half-written capture.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;
// Records are gathered into writes of about this size.
const FLUSH_BYTES = 1 << 20;

export class PcapWriter {
  private readonly temporary: string;
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private frames = 0;

  /** Creates the temporary file; throws the file system's error when it cannot. */
  constructor(
    readonly path: string,
    private readonly timestampMs = Date.now(),
  ) {
    this.temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.temporary, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(PCAP_MAGIC_MICROSECONDS, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(SNAPLEN, 16);
    header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.queue(header);
  }

  get count(): number {
    return this.frames;
  }

  append(frame: Uint8Array): void {
    // Frames get consecutive microseconds so tools show them in the order written.
    const micros = Math.floor(this.timestampMs * 1000) + this.frames++;
    const record = Buffer.alloc(16 + frame.length);
    record.writeUInt32LE(Math.floor(micros / 1e6), 0);
    record.writeUInt32LE(micros % 1e6, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    record.set(frame, 16);
    this.queue(record);
  }

  /** Writes what is left and puts the file in place. */
  commit(): void {
    try {
      this.flush();
      closeSync(this.fd);
      renameSync(this.temporary, this.path);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Removes the temporary file; the path is left as it was. */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by a commit that failed later.
    }
    rmSync(this.temporary, { force: true });
  }

  private queue(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    for (let written = 0; written < chunk.length; ) written += writeSync(this.fd, chunk, written);
  }
}
