import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A capture (Wireshark's dumpcap) on an interface in a network namespace, written to a pcap for tshark. */
export interface Capture {
  pcap: string;
  /** Stops tcpdump once it has written what arrived; the pcap stays until `remove`. */
  stop(): Promise<void>;
  remove(): void;
}

/**
 * Starts dumpcap (it comes with tshark) in `netns` (undefined: the root namespace) on `ifname` and
 * resolves once it captures, so no frame sent after is missed. A 64 MiB capture buffer keeps it
 * from dropping at the rates the tests send.
 */
export async function startCapture(netns: string | undefined, ifname: string): Promise<Capture> {
  const dir = mkdtempSync(join(tmpdir(), 'xdperf-capture-'));
  const pcap = join(dir, 'capture.pcap');
  const dumpcap = ['dumpcap', '-i', ifname, '-B', '64', '-P', '-w', pcap];
  const [command, ...args] = netns === undefined ? dumpcap : ['ip', 'netns', 'exec', netns, ...dumpcap];
  const child: ChildProcess = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let said = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('Capturing on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`dumpcap on ${ifname} exited (${code}) before capturing: ${said.trim()}`)));
  });
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  let stopped: Promise<void> | undefined;
  return {
    pcap,
    stop() {
      stopped ??= (async () => {
        // The last frames may still be on their way up the receiver's stack.
        await new Promise((resolve) => setTimeout(resolve, 300));
        child.kill('SIGINT');
        await exited;
      })();
      return stopped;
    },
    remove,
  };
}

/** tshark's view of a capture, checksums verified: one row of `fields` per frame. */
export function tsharkRows(pcap: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', pcap, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields'];
  for (const field of fields) args.push('-e', field);
  if (filter !== undefined) args.push('-Y', filter);
  const result = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`tshark -r ${pcap}: ${result.stderr.trim()}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}
