// The disk side of writing an archive (see archive-writer.ts): the file's bytes hashed as they are
// queued and written in batches, with the backlog the dump reader pauses on (dump-reader.ts).
import { createHash, type Hash } from 'node:crypto';
import { fdatasync, writev } from 'node:fs';

/** Output is written in batches of at least this much (one writev in flight). */
const WRITE_BATCH = 1024 * 1024;
/**
 * What is written goes to the disk in the background every this much (fdatasync in the thread pool),
 * so the final fsync has little left: on a 690 MB archive it took ~0.5 s after pg_dump had ended.
 */
export const SYNC_EVERY = 64 * 1024 * 1024;

type Sync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

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
  readonly #sync: Sync;
  #syncedUpTo = 0;
  #syncing: Promise<void> | null = null;

  /** `sync` is fdatasync; tests hand in their own to see when it runs or make it fail. */
  constructor(fd: number, onWritten: (written: number) => void, sync: Sync = fdatasync) {
    this.#fd = fd;
    this.#onWritten = onWritten;
    this.#sync = sync;
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

  /** Writes everything queued (no background sync left in flight); rejects with the write or sync error, if any. */
  async flush(): Promise<void> {
    this.#flushing = true;
    if (this.#inFlight === 0 && this.#queued > 0) this.#writeQueue();
    await new Promise<void>((resolve) => this.whenPendingBelow(1, resolve));
    await this.#syncing;
    if (this.#error) throw this.#error;
  }

  /** Resolves once no write or sync is in flight (so the file can be closed and removed). */
  async settled(): Promise<void> {
    this.#queue = [];
    this.#queued = 0;
    await new Promise<void>((resolve) => this.whenPendingBelow(1, resolve));
    await this.#syncing;
  }

  /**
   * Every SYNC_EVERY bytes, one fdatasync at a time beside the writes. Its error is the archive's: a
   * failed writeback is reported once per open file, so the final fsync would not say it again.
   */
  #syncInBackground(): void {
    if (this.#syncing || this.#error || this.written - this.#syncedUpTo < SYNC_EVERY) return;
    const upTo = this.written;
    let done!: () => void;
    this.#syncing = new Promise((resolve) => (done = resolve));
    // Started once #syncing is set: a sync that calls back at once still clears it.
    this.#sync(this.#fd, (error) => {
      this.#syncing = null;
      if (error) this.#fail(error);
      else this.#syncedUpTo = upTo;
      done();
    });
  }

  #fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    this.#queue = [];
    this.#queued = 0;
    this.onError(error);
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
        this.#fail(error);
      } else {
        this.written += written;
        this.#onWritten(this.written);
        this.#syncInBackground();
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
