/**
 * Where `--report` writes: checked before the run sends anything (by creating and removing a
 * file beside it, which finds a missing directory, a read-only file system or a permission the
 * way the write would), and written atomically (a temporary file in the same directory, synced,
 * then renamed over the path), so the path never holds half a report.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { XdperfError } from '../errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && REASONS[code]) || (error instanceof Error ? error.message : String(error));
}

/** A name beside `path` that no other writer uses. */
function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

function writeNew(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function checkReportPath(path: string): void {
  const probe = temporaryBeside(path);
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new XdperfError(`--report ${path}: is a directory`);
    writeNew(probe, '');
  } catch (error) {
    if (error instanceof XdperfError) throw error;
    throw new XdperfError(`--report ${path}: cannot write in ${dirname(path)}: ${reason(error)}`);
  }
  rmSync(probe, { force: true });
}

export function writeAtomically(path: string, text: string): void {
  const temporary = temporaryBeside(path);
  try {
    writeNew(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new XdperfError(`--report ${path}: cannot write it: ${reason(error)}`);
  }
}
