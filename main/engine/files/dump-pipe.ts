// A pipe for pg_dump's output that the archive's worker thread reads itself (archive-worker.ts), where
// a Unix socket would be the narrower way (macOS and the BSDs buffer 8 KiB in one; Linux uses a socket,
// files/dump-socket.ts): Node has no pipe() call, so it is a FIFO in a private temporary folder,
// opened at both ends and unlinked at once. Where mkfifo fails, null (never a rejection): the output
// then comes through the child's stdout stream instead.
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DumpPipe {
  /** Non-blocking read end: for the worker's socket. */
  readFd: number;
  /** Blocking write end: pg_dump's stdout (closed here once the child has it). */
  writeFd: number;
}

export async function openDumpPipe(): Promise<DumpPipe | null> {
  if (process.platform === 'win32') return null;
  // 0700: no other user can open the FIFO in the moment it has a name.
  const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-pipe-')).catch(() => null);
  if (!folder) return null;
  let readFd: number | null = null;
  try {
    const fifo = path.join(folder, 'dump');
    await run('mkfifo', ['-m', '600', fifo], { timeout: 5000 });
    readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    // Does not block: the read end is open. Blocking, as pg_dump expects its stdout to be.
    const writeFd = openSync(fifo, constants.O_WRONLY);
    return { readFd, writeFd };
  } catch {
    if (readFd !== null) closeSync(readFd);
    return null;
  } finally {
    // Only the (unlinked) name goes: the open ends stay valid, and a folder left behind is an empty one.
    await rm(folder, { recursive: true, force: true }).catch(() => {});
  }
}

/** Closes a descriptor that may already be closed. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
