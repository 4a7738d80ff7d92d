// The disk side of writing an archive (see archive-writer.ts): the file's bytes hashed as they are
// queued and written in batches, with the backlog the dump reader pauses on (dump-reader.ts).
import { createHash, type Hash } from 'node:crypto';
import { writev } from 'node:fs';

/** Output is written in batches of at least this much (one writev in flight). */
const WRITE_BATCH = 1024 * 1024;

/**
 * The archive file's bytes in order: hashed as they are queued, written in batches with a single
 * writev in flight (libuv completes partial writes; a short count means the disk refused the rest).
 */
export class FileSink {
  readonly hash: Hash = createHash('sha256');
  written = 0;
  onError: (error: Error) => void = () => {};
  readonly #fd: number;
  readonly #onWritten: (written: number) => void;
  #queue: Buffer[] = [];
  #queued = 0;
  #inFlight = 0;
  #flushing = false;
  #error: Error | null = null;
  #waiters: { below: number; resolve: () => void }[] = [];

  constructor(fd: number, onWritten: (written: number) => void) {
    this.#fd = fd;
    this.#onWritten = onWritten;
  }

  /** Bytes queued or being written. */
  get pending(): number {
    return this.#queued + this.#inFlight;
  }

  push(piece: Buffer): void {
    if (this.#error) throw this.#error;
    if (piece.length === 0) return;
    this.hash.update(piece);
    this.#queue.push(piece);
    this.#queued += piece.length;
    if (this.#inFlight === 0 && this.#queued >= WRITE_BATCH) this.#writeQueue();
  }

  whenPendingBelow(limit: number, callback: () => void): void {
    if (this.pending < limit || this.#error) callback();
    else this.#waiters.push({ below: limit, resolve: callback });
  }

  /** Writes everything queued; rejects with the write error, if any. */
  flush(): Promise<void> {
    this.#flushing = true;
    if (this.#inFlight === 0 && this.#queued > 0) this.#writeQueue();
    return new Promise((resolve, reject) => {
      const check = () => (this.#error ? reject(this.#error) : resolve());
      this.whenPendingBelow(1, check);
    });
  }

  /** Resolves once no write is in flight (so the file can be closed and removed). */
  settled(): Promise<void> {
    this.#queue = [];
    this.#queued = 0;
    return new Promise((resolve) => this.whenPendingBelow(1, resolve));
  }

  #writeQueue(): void {
    const buffers = this.#queue;
    const bytes = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#inFlight = bytes;
    this.#write(buffers, bytes);
  }

  #write(buffers: Buffer[], bytes: number): void {
    writev(this.#fd, buffers, (error, written) => {
      if (!error && written < bytes) {
        // Partly written: write the rest, whose error (ENOSPC, EFBIG…) says why.
        this.written += written;
        this.#inFlight -= written;
        this.#write(skip(buffers, written), bytes - written);
        return;
      }
      this.#inFlight = 0;
      if (error) {
        this.#error = error;
        this.#queue = [];
        this.#queued = 0;
        this.onError(error);
      } else {
        this.written += written;
        this.#onWritten(this.written);
        if (this.#queued >= WRITE_BATCH || (this.#flushing && this.#queued > 0)) this.#writeQueue();
      }
      const ready = this.#waiters.filter((w) => this.pending < w.below || this.#error);
      if (ready.length === 0) return;
      this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
      for (const waiter of ready) waiter.resolve();
    });
  }
}

function skip(buffers: Buffer[], bytes: number): Buffer[] {
  let i = 0;
  while (bytes >= buffers[i]!.length) bytes -= buffers[i++]!.length;
  return [buffers[i]!.subarray(bytes), ...buffers.slice(i + 1)];
}
