// The main thread's side of the archive's worker thread (archive-worker.ts): starts it, hands it the
// dump (a socket or FIFO it reads itself, or a stream's chunks), and turns its answers into promises.
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { AgeEncryption } from '../crypto/age-encrypt.ts';
import type { DumpSummary } from './archive-stream.ts';
import { fromThreadError, type ConnectDump, type FromArchiveWorker, type StartArchive, type ToArchiveWorker } from './archive-thread-messages.ts';
import { closeQuietly, openDumpPipe } from '../files/dump-pipe.ts';
import { listenForOneConnection } from '../files/dump-socket.ts';
import { bundledWorkerFile, workerOptions } from '../files/worker-file.ts';

/**
 * pg_dump's output straight to the archive's worker thread, which reads it itself into its own
 * buffers: a Unix socket the worker connected (Linux), or a FIFO whose read end the worker gets when
 * the archive starts (elsewhere: their Unix sockets buffer only 8 KiB). The worker is kept for this
 * archive (see openDumpChannel).
 */
export interface DumpChannel {
  /** For pg_dump's stdout: the socket's other end, or the FIFO's write end; closeDumpStdout() once pg_dump has its copy. */
  readonly stdout: net.Socket | number;
  readonly worker: Worker;
  readonly reads: 'socket' | { fd: number };
  stdoutClosed: boolean;
  /** Set once startArchiveThread has the worker (and the FIFO's read end): from then on the archive's close() ends them. */
  taken: boolean;
}

/** pg_dump's output: a channel to the worker, or a stream whose chunks are posted to it. */
export type DumpInput = Readable | { channel: DumpChannel };

export interface ArchiveThread {
  /** The archive's first entries; the dump follows them as it arrives. */
  entries(mtime: Date, manifest: Buffer, globals: Buffer): void;
  /** Resolves when the whole dump is in the archive. */
  readonly dumpEnded: Promise<DumpSummary>;
  /** The last entry; resolves once the file is complete, fsynced and closed. */
  finish(checksums: Buffer): Promise<{ bytes: number; sha256: string }>;
  /** Rejects when the worker fails (a refused write: its errno code is kept). */
  readonly failed: Promise<never>;
  /** Bytes written to the file so far. */
  readonly fileBytes: number;
  /** Stops the worker: nothing read or written any more, the file closed (the caller removes it). */
  close(): Promise<void>;
}

/**
 * The worker's file: the TypeScript source next to this one (the CLI, tests), or in the built app the
 * bundle's own entry out/main/archive-worker.js — beside this code, or one up when it was split into chunks.
 */
/** Idle workers, kept a while for the next archive (a whole-server run writes many): starting one costs more than a small archive's encryption. */
const idle: Worker[] = [];
const IDLE_MS = 30_000;
const idleTimers = new Map<Worker, NodeJS.Timeout>();

function takeWorker(): Worker {
  const worker = idle.pop();
  if (!worker) return newWorker();
  clearTimeout(idleTimers.get(worker));
  idleTimers.delete(worker);
  worker.ref();
  return worker;
}

function newWorker(): Worker {
  const worker = new Worker(bundledWorkerFile('archive-worker', import.meta.url, 'The archive writer'), workerOptions());
  // A worker that fails while no archive has it just ends (an 'error' without a listener would end
  // the process): the next archive takes another, one that has it hears of it through answers().
  worker.on('error', () => {});
  worker.once('exit', () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    clearTimeout(idleTimers.get(worker));
    idleTimers.delete(worker);
  });
  return worker;
}

/** Back to the idle workers: it keeps no process alive, and ends after IDLE_MS unused. */
function giveBack(worker: Worker): void {
  worker.unref();
  idle.push(worker);
  const timer = setTimeout(() => {
    // Out of the idle list before it ends: a worker being terminated must not be handed to an archive.
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    idleTimers.delete(worker);
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  idleTimers.set(worker, timer);
}

/**
 * Starts a worker ahead of the archive that will need it, unless one is idle: while the backup
 * connects, or (the CLI's backup) while the engine is made — a worker's start is ~40 ms of a core,
 * which then no longer competes with the backup's login and set-up. Never throws: a head start only
 * (a worker file that is missing is said when the archive starts, by takeWorker).
 */
export function warmArchiveThread(): void {
  try {
    if (idle.length === 0) giveBack(newWorker());
  } catch {
    // said then
  }
}

/**
 * A worker for the next archive, with pg_dump's way to it made (while the backup connects to its
 * server). Never rejects: null on Windows or when neither way can be made — pg_dump's stdout stream
 * is read then, and a worker is started ahead all the same. Until the archive starts, the channel's
 * worker keeps no process alive; releaseDumpChannel ends it if the archive never does. `way`: tests choose; otherwise a socket on Linux, a FIFO elsewhere.
 */
export async function openDumpChannel(way: 'socket' | 'fifo' = process.platform === 'linux' ? 'socket' : 'fifo'): Promise<DumpChannel | null> {
  let worker: Worker | null = null;
  try {
    if (process.platform === 'win32') throw new Error('no Unix sockets or FIFOs here');
    worker = takeWorker();
    worker.unref();
    const made = way === 'socket' ? await connectedSocket(worker) : await openDumpPipe();
    if (!made) throw new Error('no way for the dump');
    return 'readFd' in made ? { stdout: made.writeFd, worker, reads: { fd: made.readFd }, stdoutClosed: false, taken: false } : { stdout: made, worker, reads: 'socket', stdoutClosed: false, taken: false };
  } catch {
    if (worker) void worker.terminate();
    warmArchiveThread(); // the stream path needs a worker too
    return null;
  }
}

/** The worker connects to a socket this thread listens on; the accepted end is returned (for pg_dump). */
async function connectedSocket(worker: Worker): Promise<net.Socket | null> {
  const listening = await listenForOneConnection();
  if (!listening) return null;
  // A worker that ends or fails meanwhile would never connect: no waiting for the timeout then.
  let ended: () => void = () => {};
  const stopped = new Promise<never>((_resolve, reject) => (ended = () => reject(new Error('the archive writer stopped'))));
  worker.once('exit', ended).once('error', ended);
  try {
    worker.postMessage({ type: 'connect-dump', path: listening.path } satisfies ConnectDump);
    return await Promise.race([listening.accepted, stopped]);
  } finally {
    worker.off('exit', ended).off('error', ended); // a pooled worker outlives this channel
    await listening.close();
  }
}

/** Closes this thread's copy of pg_dump's end (once pg_dump has its own). Destroyed, never ended: ending would shut down the socket pg_dump writes to. */
export function closeDumpStdout(channel: DumpChannel): void {
  if (channel.stdoutClosed) return;
  channel.stdoutClosed = true;
  if (typeof channel.stdout === 'number') closeQuietly(channel.stdout);
  else channel.stdout.destroy();
}

/** A channel pg_dump never wrote to, or whose archive never started: its ends closed, its worker ended. Safe to call again. */
export function releaseDumpChannel(channel: DumpChannel | null): void {
  if (!channel) return;
  closeDumpStdout(channel);
  if (channel.taken) return;
  channel.taken = true;
  if (channel.reads !== 'socket') closeQuietly(channel.reads.fd);
  void channel.worker.terminate();
}

export function startArchiveThread(options: { partialPath: string; encryption: AgeEncryption | null; dump: DumpInput; onProgress: (fileBytes: number, dumpBytes: number) => void }): ArchiveThread {
  let worker: Worker;
  if ('channel' in options.dump) {
    const { channel } = options.dump;
    // A worker that ended meanwhile (threadId -1) would never answer: the archive fails at once instead.
    if (channel.taken || channel.worker.threadId === -1) throw new Error('the archive writer stopped before the archive started');
    worker = channel.worker;
    channel.taken = true;
    worker.ref();
  } else {
    worker = takeWorker();
  }
  const { port1: port, port2 } = new MessageChannel();
  const send = (message: ToArchiveWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  const waiting = answers(port, worker);
  let fileBytes = 0;
  port.on('message', (message: FromArchiveWorker) => {
    if (message.type !== 'progress') return;
    fileBytes = message.fileBytes;
    options.onProgress(message.fileBytes, message.dumpBytes);
  });
  const start: StartArchive = { type: 'start', port: port2, partialPath: options.partialPath, encryption: options.encryption, dump: dumpWay(options.dump) };
  worker.postMessage(start, [port2]);
  if (!('channel' in options.dump)) pumpStream(options.dump, port, waiting.over);
  // The archive's last word ('written', 'failed', 'closed'): the worker is free for the next one.
  void waiting.over.then((healthy) => {
    port.close();
    if (healthy) giveBack(worker);
  });
  let closing: Promise<void> | null = null;
  return {
    entries: (mtime, manifest, globals) => send({ type: 'entries', mtimeMs: mtime.getTime(), manifest, globals }),
    dumpEnded: waiting.dumpEnded,
    finish(checksums) {
      send({ type: 'finish', checksums });
      return waiting.written;
    },
    failed: waiting.failed,
    get fileBytes() {
      return fileBytes;
    },
    close: () =>
      (closing ??= (async () => {
        send({ type: 'abort' });
        // The worker answers once the file is closed; one that does not within 10 s is ended.
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        await waiting.over;
        clearTimeout(timer);
      })()),
  };
}

function dumpWay(dump: DumpInput): StartArchive['dump'] {
  if (!('channel' in dump)) return 'messages';
  return dump.channel.reads === 'socket' ? 'socket' : { fd: dump.channel.reads.fd };
}

/**
 * The worker's answers about one archive as promises: 'dump-ended', 'written', any failure (also a
 * crashed thread), and `over`: true once it said its last word, false if the thread died.
 */
function answers(port: MessagePort, worker: Worker) {
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  failed.catch(() => {});
  let dumpEnded: (summary: DumpSummary) => void = () => {};
  let written: (file: { bytes: number; sha256: string }) => void = () => {};
  let over: (healthy: boolean) => void = () => {};
  const overPromise = new Promise<boolean>((resolve) => (over = resolve));
  port.on('message', (message: FromArchiveWorker) => {
    if (message.type === 'dump-ended') dumpEnded({ sha256: message.sha256, bytes: message.bytes, parts: message.parts });
    else if (message.type === 'written') written({ bytes: message.bytes, sha256: message.sha256 });
    else if (message.type === 'failed') fail(fromThreadError(message.error));
    if (message.type === 'written' || message.type === 'failed' || message.type === 'closed') over(true);
  });
  const died = (error: Error) => {
    fail(error);
    over(false);
  };
  const exited = () => died(new Error('the archive writer stopped unexpectedly'));
  worker.once('error', died).once('exit', exited);
  // A pooled worker outlives this archive: leave no listener of it behind.
  void overPromise.then(() => worker.off('error', died).off('exit', exited));
  // Awaited only on the way to a finished file: a failure before then is the caller's through `failed`.
  const settled = <T>(promise: Promise<T>) => {
    const raced = Promise.race([promise, failed]);
    raced.catch(() => {});
    return raced;
  };
  return {
    failed,
    dumpEnded: settled(new Promise<DumpSummary>((resolve) => (dumpEnded = resolve))),
    written: settled(new Promise<{ bytes: number; sha256: string }>((resolve) => (written = resolve))),
    over: overPromise,
  };
}

/** Chunks sent and not yet taken by the worker: sending pauses above the high mark and resumes below the low one. */
const UNTAKEN_HIGH = 16 * 1024 * 1024;
const UNTAKEN_LOW = 4 * 1024 * 1024;

/**
 * A stream's chunks to the worker, copied (the stream may reuse or share its buffers); paused when the
 * worker asks (its first entries are not there yet) and while it is behind by more than UNTAKEN_HIGH.
 */
export function pumpStream(dump: Readable, port: MessagePort, over: Promise<boolean>): void {
  let sent = 0;
  let taken = 0;
  let askedToPause = false;
  let behind = false;
  const steer = () => (askedToPause || behind ? dump.pause() : dump.resume());
  port.on('message', (message: FromArchiveWorker) => {
    if (message.type === 'pause' || message.type === 'resume') askedToPause = message.type === 'pause';
    else if (message.type === 'consumed') {
      taken = message.bytes;
      behind &&= sent - taken > UNTAKEN_LOW;
    } else return;
    steer();
  });
  dump.on('data', (chunk: Buffer) => {
    const data = new Uint8Array(chunk);
    port.postMessage({ type: 'chunk', data } satisfies ToArchiveWorker, [data.buffer]);
    sent += chunk.length; // not data's: transferred, it is empty now
    if (!behind && sent - taken > UNTAKEN_HIGH) {
      behind = true;
      steer();
    }
  });
  dump.once('end', () => port.postMessage({ type: 'chunks-end' } satisfies ToArchiveWorker));
  dump.once('error', (error) => port.postMessage({ type: 'chunks-error', message: error.message } satisfies ToArchiveWorker));
  void over.then(() => {
    if (!dump.readableEnded) dump.destroy();
  });
}
