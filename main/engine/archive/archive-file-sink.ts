// The disk side of writing an archive (see archive-writer.ts): the file's bytes hashed as they are
// queued and written in batches, on the archive's own thread.
import { createHash, type Hash } from 'node:crypto';
import { fdatasync, writevSync } from 'node:fs';

/** Output is written in batches of at least this much. */
const WRITE_BATCH = 1024 * 1024;
/**
 * What is written goes to the disk in the background every this much (fdatasync in the thread pool),
 * so the final fsync has little left: on a 690 MB archive it took ~0.5 s after pg_dump had ended.
 */
export const SYNC_EVERY = 64 * 1024 * 1024;

type Sync = (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;

/**
 * The archive file's bytes in order: hashed as they are queued, written in batches. The writes are
 * synchronous: this runs on the archive's worker thread, which has nothing else to do meanwhile, and
 * a write handed to the thread pool cost a wake-up of another thread per batch and copied bytes that
 * were no longer in this core's cache (Node CPU of a wide backup ~0.1 s less, measured in pairs). A
 * slow disk makes pg_dump wait (in its socket or FIFO, or paused by the main thread for chunk
 * messages: see archive-thread.ts), as nothing more is read while a write runs.
 */
export class FileSink {
  readonly hash: Hash = createHash('sha256');
  written = 0;
  onError: (error: Error) => void = () => {};
  readonly #fd: number;
  readonly #onWritten: (written: number) => void;
  #queue: Buffer[] = [];
  #queued = 0;
  #error: Error | null = null;
  readonly #sync: Sync;
  #syncedUpTo = 0;
  #syncing: Promise<void> | null = null;

  /** `sync` is fdatasync; tests hand in their own to see when it runs or make it fail. */
  constructor(fd: number, onWritten: (written: number) => void, sync: Sync = fdatasync) {
    this.#fd = fd;
    this.#onWritten = onWritten;
    this.#sync = sync;
  }

  /** Queues `piece` (kept by reference until written) and writes the queue once it holds a batch; throws the write's error. */
  push(piece: Buffer): void {
    if (this.#error) throw this.#error;
    if (piece.length === 0) return;
    this.hash.update(piece);
    this.#queue.push(piece);
    this.#queued += piece.length;
    if (this.#queued >= WRITE_BATCH) this.#writeQueue();
  }

  /** Writes everything queued and waits for a background sync in flight; rejects with the write or sync error, if any. */
  async flush(): Promise<void> {
    if (!this.#error && this.#queued > 0) {
      try {
        this.#writeQueue();
      } catch {
        // said below
      }
    }
    await this.#syncing;
    if (this.#error) throw this.#error;
  }

  /**
   * Drops what is queued and takes nothing more (a push now throws: a write still under way — waiting
   * for a passphrase's key, say — must not reach the file's number once it is closed and reused);
   * resolves once no sync is in flight, so the file can be closed and removed.
   */
  async settled(): Promise<void> {
    this.#error ??= new Error('the archive file is being closed');
    this.#queue = [];
    this.#queued = 0;
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
    try {
      this.#writeAll(buffers, bytes);
    } catch (error) {
      this.#fail(error as Error);
      throw error;
    }
    this.#onWritten(this.written);
    this.#syncInBackground();
  }

  /** A short count means the disk took only part: the rest is written again, and its error (ENOSPC, EFBIG…) says why. */
  #writeAll(buffers: Buffer[], bytes: number): void {
    for (let left = bytes; left > 0; ) {
      const written = writevSync(this.#fd, buffers);
      if (written <= 0) throw Object.assign(new Error('the disk accepted none of the archive\'s next bytes'), { code: 'EIO' });
      this.written += written;
      left -= written;
      if (left > 0) buffers = skip(buffers, written);
    }
  }
}

function skip(buffers: Buffer[], bytes: number): Buffer[] {
  let i = 0;
  while (bytes >= buffers[i]!.length) bytes -= buffers[i++]!.length;
  return [buffers[i]!.subarray(bytes), ...buffers.slice(i + 1)];
}
