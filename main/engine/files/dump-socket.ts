// A listening Unix socket for exactly one connection: pg_dump's output reaches the archive's worker
// thread through a socket pair made this way (see archive/archive-thread.ts), because Node has no
// socketpair() or pipe() call. A socket, not a FIFO: a FIFO holds 64 KiB, so pg_dump (writing ~32 KB
// at a time) waited on it whenever the reader was a moment late, and every read took ~32 KB; a Unix
// socket buffers ~200 KB, and pg_dump's own start-to-end time dropped 3–5 % on the wide database.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** How long the one connection may take to arrive (it comes from this process's own thread). */
const ACCEPT_TIMEOUT_MS = 10_000;

export interface OneConnection {
  /** Where to connect (a private folder's socket: only this user can reach it). */
  path: string;
  /** The connection, once it arrived (paused); the socket's name is gone by then. Rejects on timeout or close(). */
  accepted: Promise<net.Socket>;
  /** Stops listening and removes the socket's folder (also when nothing connected); resolves once it is gone. */
  close(): Promise<void>;
}

/** Listens in a new 0700 folder; null where Unix sockets are not available (Windows) or listening fails. */
export async function listenForOneConnection(): Promise<OneConnection | null> {
  if (process.platform === 'win32') return null;
  const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-dump-')).catch(() => null);
  if (!folder) return null;
  const socketPath = path.join(folder, 's');
  const server = net.createServer({ pauseOnConnect: true });
  const removed = () => rm(folder, { recursive: true, force: true }).catch(() => {});
  let failed: (error: Error) => void = () => {};
  // Every error of the listener (not only one while it starts): an accept that fails (EMFILE) ends the wait at once.
  server.on('error', (error) => failed(error));
  const listening = await new Promise<boolean>((resolve) => {
    failed = () => resolve(false);
    server.listen(socketPath, () => resolve(true));
  });
  if (!listening) {
    await removed();
    return null;
  }
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // Stops listening now (the accepted connection lives on; close's callback would wait for its end).
      server.close();
      await removed();
    })());
  const accepted = new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the archive thread did not connect to read the dump')), ACCEPT_TIMEOUT_MS);
    server.once('connection', (socket) => {
      clearTimeout(timer);
      resolve(socket);
    });
    server.once('close', () => {
      clearTimeout(timer);
      reject(new Error('stopped listening for the dump'));
    });
    failed = (error) => {
      clearTimeout(timer);
      reject(error);
    };
  });
  accepted.catch(() => {});
  // One connection and no other: listening ends (and the name goes) as soon as it arrives.
  void accepted.then(close, close);
  return { path: socketPath, accepted, close };
}
