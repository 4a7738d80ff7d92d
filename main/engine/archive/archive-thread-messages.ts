// What writeArchiveFile (main thread) and the archive's worker thread say to each other (see
// archive-thread.ts). Buffers cross as Uint8Arrays, transferred where they can be.
import type { MessagePort } from 'node:worker_threads';
import type { AgeEncryption } from '../crypto/age-encrypt.ts';

/**
 * Main → worker, on the worker's own port, before the archive starts: connect to this socket, whose
 * other end becomes pg_dump's stdout, and keep it (unread) for the next archive.
 */
export interface ConnectDump {
  type: 'connect-dump';
  path: string;
}

/**
 * Main → worker, on the worker's own port: one archive. Its other messages travel on `port`, a channel
 * of its own, closed when the archive is done — the worker then waits for the next one.
 * dump: where pg_dump's output comes from — 'socket': the socket of the last ConnectDump; fd: the read
 * end of its FIFO (the worker owns it from here on); 'messages': 'chunk' messages. The worker reads
 * the first two itself.
 */
export interface StartArchive {
  type: 'start';
  port: MessagePort;
  partialPath: string;
  encryption: AgeEncryption | null;
  dump: 'socket' | 'messages' | { fd: number };
}

/** Main → worker, on the archive's port. */
export type ToArchiveWorker =
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'chunks-end' }
  | { type: 'chunks-error'; message: string }
  /** The archive's first entries, once the snapshot's metadata and the globals are known. */
  | { type: 'entries'; mtimeMs: number; manifest: Uint8Array; globals: Uint8Array }
  /** checksums.json's bytes: the last entry; the worker then ends, flushes, fsyncs and closes the file. */
  | { type: 'finish'; checksums: Uint8Array }
  | { type: 'abort' };

/** The worker says how far it got with 'chunk' input every this many bytes. */
export const CONSUMED_EVERY = 1024 * 1024;

/** An error that crosses threads: the message and the errno code (ENOSPC, EEXIST…) that explains it. */
export interface ThreadError {
  message: string;
  code?: string;
}

/** Worker → main. */
export type FromArchiveWorker =
  | { type: 'progress'; fileBytes: number; dumpBytes: number }
  /** For 'chunk' input: stop / go on sending (the first entries are not there yet). */
  | { type: 'pause' }
  | { type: 'resume' }
  /** For 'chunk' input: the bytes of all chunks taken so far (handed to the hash, the parts and the encoder), every CONSUMED_EVERY. */
  | { type: 'consumed'; bytes: number }
  | { type: 'dump-ended'; sha256: string; bytes: number; parts: number }
  | { type: 'written'; bytes: number; sha256: string }
  /** Sent once the worker has stopped writing and closed the file. */
  | { type: 'failed'; error: ThreadError }
  /** The answer to 'abort': nothing in flight, the file closed. */
  | { type: 'closed' };

export function toThreadError(error: unknown): ThreadError {
  const code = (error as NodeJS.ErrnoException)?.code;
  return { message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) };
}

/** The error again on the main thread, with its errno code (explainWriteFailure reads it). */
export function fromThreadError(error: ThreadError): Error {
  return Object.assign(new Error(error.message), error.code ? { code: error.code } : {});
}
