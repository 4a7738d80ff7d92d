import { createHash, randomBytes, type Hash } from 'node:crypto';
import { close, fsync, open as openFd, writev } from 'node:fs';
import { access, open, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { LifeboatError } from '../errors.ts';
import { AgeWriter, type AgeEncryption } from '../crypto/age-encrypt.ts';
import { checksumsMember, type ArchiveSigner } from './archive-authenticity.ts';
import {
  CHECKSUMS_ENTRY,
  DUMP_PART_SIZE,
  dumpPartName,
  GLOBALS_ENTRY,
  MANIFEST_ENTRY,
  PARTIAL_SUFFIX,
  SIDECAR_SUFFIX,
  type ArchiveChecksums,
  type ArchiveManifest,
  type ArchiveSidecar,
} from './archive-format.ts';
import { TAR_END, tarHeader, tarPadding } from './tar-format.ts';

export interface DumpSummary {
  sha256: string;
  bytes: number;
  parts: number;
}

export interface ArchiveContent {
  /** May still be in the making when the dump starts: the dump waits in its pipe until it is ready. */
  manifest: ArchiveManifest | Promise<ArchiveManifest>;
  globals: Buffer | Promise<Buffer>;
  /** pg_dump's custom-format output (its stdout). */
  dump: Readable;
  /** Runs after the dump stream ends: must throw if the dump failed; returns checksums.json. */
  finish(dump: DumpSummary, globals: { sha256: string; bytes: number }): Promise<ArchiveChecksums>;
}

export interface WrittenArchive {
  path: string;
  sidecarPath: string;
  bytes: number;
  sha256: string;
  sidecar: ArchiveSidecar;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const openAsync = promisify(openFd);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);

/** Output is written in batches of at least this much (one writev in flight). */
const WRITE_BATCH = 1024 * 1024;
/** Reading pg_dump pauses while this much output waits for the disk, and resumes below the low mark. */
const PENDING_HIGH = 16 * 1024 * 1024;
const PENDING_LOW = 4 * 1024 * 1024;

/**
 * Streams the archive into `<file>.partial` (tar → age → sha256 → disk, with backpressure), fsyncs
 * it, writes the sidecar, and only then renames it to its final name. Any failure or cancel
 * removes the partial file: nothing that looks like an archive is left behind.
 *
 * The data path is synchronous per chunk of pg_dump's output: hashed, copied once into a reused
 * dump-part buffer (DumpParts), sealed in 64 KiB age chunks, and the sealed pieces hashed and
 * queued for batched writes. No stream pipeline, no per-chunk promises, no per-part allocations.
 */
export async function writeArchiveFile(options: {
  folder: string;
  fileName: string;
  content: ArchiveContent;
  encryption: AgeEncryption | null;
  /** Makes checksums.json's authenticity tag (see archive-authenticity.ts); none for archives not made to Lifeboat's own key or passphrase. */
  signer?: ArchiveSigner | null;
  signal: AbortSignal;
  onProgress?: (written: { fileBytes: number; dumpBytes: number }) => void;
  /** The sidecar to write; may be async (the backup tags it with the library key, see sidecar-tag.ts). */
  sidecar: (written: { bytes: number; sha256: string; checksums: ArchiveChecksums; fileName: string }) => ArchiveSidecar | Promise<ArchiveSidecar>;
}): Promise<WrittenArchive> {
  const { content, signal } = options;
  let finalPath = path.join(options.folder, options.fileName);
  // The writer's host and pid in the name let a later run on this host tell a crashed backup's
  // leftovers from a live one — and leave another machine's (a shared folder) alone.
  const partialPath = `${finalPath}.${partialOwnerTag()}.${randomBytes(3).toString('hex')}${PARTIAL_SUFFIX}`;
  let dumpBytes = 0;
  let fd: number | null = null;
  let sink: FileSink | null = null;
  // pg_dump's output is taken from the first byte: Node discards a child's unread stdout once the
  // child exits. Until the archive's first entries are written it waits here (bounded: reading
  // pauses beyond EARLY_LIMIT, and pg_dump waits in its pipe).
  const reader = readDump(content.dump);

  try {
    signal.throwIfAborted();
    // 'wx': never clobber another backup's partial file.
    fd = await openAsync(partialPath, 'wx', 0o600);
    const out = new FileSink(fd, (fileBytes) => options.onProgress?.({ fileBytes, dumpBytes }));
    sink = out;
    // Rejects as soon as the disk refuses a write or the job is cancelled, whatever is awaited then.
    const failed = new Promise<never>((_resolve, reject) => {
      out.onError = reject;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    failed.catch(() => {});
    const race = <T>(promise: Promise<T>) => Promise.race([promise, failed]);

    const encoder: PayloadWriter = options.encryption ? new AgeWriter(options.encryption) : new PlainWriter();
    options.signer?.prepare(); // a passphrase tag's scrypt runs while the dump does
    const emit = (piece: Buffer) => out.push(piece);
    const plain = (data: Buffer) => encoder.write(data, emit);
    const entry = (name: string, data: Buffer) => {
      plain(tarHeader(name, data.length, mtime));
      plain(data);
      plain(tarPadding(data.length));
    };

    const [header, manifest, globals] = await race(Promise.all([encoder.header, content.manifest, content.globals]));
    const mtime = new Date(manifest.startedAt);
    out.push(header);
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    entry(MANIFEST_ENTRY, manifestBytes);
    entry(GLOBALS_ENTRY, globals);

    const dumpHash = createHash('sha256');
    const parts = new DumpParts(plain, mtime);
    await race(
      reader.consume((chunk) => {
        dumpHash.update(chunk);
        dumpBytes += chunk.length;
        parts.add(chunk);
      }, out),
    );
    const partCount = parts.end(entry);
    const finished = await race(content.finish({ sha256: dumpHash.digest('hex'), bytes: dumpBytes, parts: partCount }, { sha256: sha256(globals), bytes: globals.length }));
    // checksums.json also covers manifest.json's exact bytes, so `verify --full` notices a changed manifest.
    const checksums: ArchiveChecksums = { ...finished, manifest: { sha256: sha256(manifestBytes), bytes: manifestBytes.length } };
    // Tagged when written to Lifeboat's own key or passphrase, so a restore can tell its own archives from a stranger's.
    entry(CHECKSUMS_ENTRY, await race(checksumsMember(checksums, options.signer ?? null)));
    plain(TAR_END);
    encoder.end(emit);
    await race(out.flush());
    await race(fsyncAsync(fd));
    const closing = fd;
    fd = null;
    await closeAsync(closing);
    options.onProgress?.({ fileBytes: out.written, dumpBytes });

    const bytes = out.written;
    const digest = out.hash.digest('hex');
    finalPath = await unusedName(finalPath); // two backups in the same second must not replace each other
    const sidecarPath = finalPath + SIDECAR_SUFFIX;
    const sidecar = await options.sidecar({ bytes, sha256: digest, checksums, fileName: path.basename(finalPath) });
    await writeFileDurably(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
    await rename(partialPath, finalPath);
    await fsyncDirectory(options.folder);
    return { path: finalPath, sidecarPath, bytes, sha256: digest, sidecar };
  } catch (error) {
    reader.stop(); // pg_dump gets EPIPE instead of waiting on a full pipe
    await sink?.settled();
    if (fd !== null) await closeAsync(fd).catch(() => {});
    await rm(partialPath, { force: true });
    if (signal.aborted) throw new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.', undefined, { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
      const why = code === 'EFBIG' ? ' (EFBIG: the file reached the largest size allowed there)' : code === 'EDQUOT' ? ' (EDQUOT: your disk quota is used up)' : ` (${code})`;
      throw new LifeboatError(
        'DISK_FULL',
        `The disk holding the backup folder ${options.folder} is full: the backup ran out of space after ${formatMB(sink?.written ?? 0)}${why}. The incomplete file was removed.`,
        'Free space on that disk or choose another backup folder, then back up again.',
        { cause: error },
      );
    }
    if (code === 'EEXIST') throw new LifeboatError('BACKUP_FAILED', `Another backup is writing ${partialPath} right now.`, 'Wait for it to finish, or remove the stale .partial file if no backup is running.', { cause: error });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new LifeboatError('BACKUP_FAILED', `Lifeboat may not write to ${options.folder} (${code}).`, 'Choose a backup folder you can write to.', { cause: error });
    }
    throw error;
  }
}

/**
 * Cuts the dump into fixed-size tar entries. A part's tar header (its size) can only be written
 * once the part is complete, so one part is always held back. Instead of sealing a whole part at
 * once when the next header is known (a burst of ~10 ms per 8 MiB, during which pg_dump stalls on
 * its full pipe), the complete part is passed on to the encoder as the next one fills, byte for
 * byte: work per chunk stays even. Two reused part buffers; nothing else is allocated.
 */
class DumpParts {
  readonly #plain: (data: Buffer) => void;
  readonly #mtime: Date;
  #filling = Buffer.allocUnsafe(DUMP_PART_SIZE);
  #filled = 0;
  /** The last complete part: its header is written, its bytes go out as the next part fills. */
  #sending = Buffer.allocUnsafe(DUMP_PART_SIZE);
  #sent = DUMP_PART_SIZE;
  #count = 0;

  constructor(plain: (data: Buffer) => void, mtime: Date) {
    this.#plain = plain;
    this.#mtime = mtime;
  }

  add(chunk: Buffer): void {
    for (let offset = 0; offset < chunk.length; ) {
      const n = Math.min(DUMP_PART_SIZE - this.#filled, chunk.length - offset);
      chunk.copy(this.#filling, this.#filled, offset, offset + n);
      this.#filled += n;
      offset += n;
      this.#send(n);
      if (this.#filled === DUMP_PART_SIZE) {
        this.#send(DUMP_PART_SIZE); // already all sent: both parts are the same size
        this.#plain(tarHeader(dumpPartName(++this.#count), DUMP_PART_SIZE, this.#mtime));
        [this.#sending, this.#filling] = [this.#filling, this.#sending];
        this.#sent = 0;
        this.#filled = 0;
      }
    }
  }

  /** Sends the rest, and the last (short) part as a whole entry; returns the number of parts. */
  end(entry: (name: string, data: Buffer) => void): number {
    this.#send(DUMP_PART_SIZE);
    if (this.#filled > 0 || this.#count === 0) entry(dumpPartName(++this.#count), this.#filling.subarray(0, this.#filled));
    return this.#count;
  }

  #send(bytes: number): void {
    const n = Math.min(bytes, DUMP_PART_SIZE - this.#sent);
    if (n <= 0) return;
    this.#plain(this.#sending.subarray(this.#sent, this.#sent + n));
    this.#sent += n;
  }
}

/** Reading pauses while this much of pg_dump's output waits for the archive's first entries. */
const EARLY_LIMIT = 16 * 1024 * 1024;

/**
 * Reads pg_dump's stdout from the start. consume() hands over what was read meanwhile, then each
 * chunk as it comes, pausing the stream while the disk is behind; it resolves at the end.
 */
function readDump(dump: Readable) {
  const early: Buffer[] = [];
  let earlyBytes = 0;
  let handle: ((chunk: Buffer) => void) | null = null;
  let sink: FileSink | null = null;
  let paused = false;
  let failure: Error | null = null;
  let done = false;
  let settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const finish = (error: Error | null) => {
    if (done) return;
    done = true;
    failure = error;
    dump.off('data', onData).off('end', onEnd).off('error', onError);
    if (settle && error) settle.reject(error);
    else settle?.resolve();
  };
  const onData = (chunk: Buffer) => {
    if (!handle) {
      early.push(chunk);
      earlyBytes += chunk.length;
      if (earlyBytes > EARLY_LIMIT && !paused) {
        paused = true;
        dump.pause();
      }
      return;
    }
    try {
      handle(chunk);
    } catch (error) {
      finish(error as Error);
      return;
    }
    if (!paused && sink!.pending > PENDING_HIGH) {
      paused = true;
      dump.pause();
      sink!.whenPendingBelow(PENDING_LOW, () => {
        paused = false;
        if (!done) dump.resume();
      });
    }
  };
  const onEnd = () => finish(null);
  const onError = (error: Error) => finish(error);
  dump.on('data', onData).once('end', onEnd).once('error', onError);
  return {
    consume(each: (chunk: Buffer) => void, out: FileSink): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        try {
          for (const chunk of early.splice(0)) each(chunk);
        } catch (error) {
          finish(error as Error);
        }
        if (done) {
          if (failure) reject(failure);
          else resolve();
          return;
        }
        settle = { resolve, reject };
        handle = each;
        sink = out;
        if (paused) {
          paused = false;
          dump.resume();
        }
      });
    },
    stop(): void {
      finish(new Error('stopped'));
      if (!dump.readableEnded) dump.destroy();
    },
  };
}

interface PayloadWriter {
  readonly header: Promise<Buffer>;
  write(data: Buffer, emit: (piece: Buffer) => void): void;
  end(emit: (piece: Buffer) => void): void;
}

/** --no-encrypt: the tar stream as it is. Copies, because the dump-part buffer is reused. */
class PlainWriter implements PayloadWriter {
  readonly header = Promise.resolve(Buffer.alloc(0));
  write(data: Buffer, emit: (piece: Buffer) => void): void {
    emit(Buffer.from(data));
  }
  end(): void {}
}

/**
 * The archive file's bytes in order: hashed as they are queued, written in batches with a single
 * writev in flight (libuv completes partial writes; a short count means the disk refused the rest).
 */
class FileSink {
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

async function unusedName(file: string): Promise<string> {
  const extension = path.extname(file);
  const base = file.slice(0, -extension.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? file : `${base}-${n}${extension}`;
    const taken = await access(candidate).then(() => true, () => false);
    if (!taken) return candidate;
  }
}

/**
 * Writes next to the target and renames, so a crash leaves the old file or the new, never half. The
 * temporary name is unpredictable and created exclusively ('wx': an existing file or a symlink
 * planted there is never written through), readable by this user only.
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx', flush: true });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/** "<host>-<pid>": the host as 8 hex digits of its name's hash (any name fits a file name). */
export function partialOwnerTag(): string {
  return `${hostTag()}-${process.pid}`;
}

export function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => {}); // not supported on every platform/filesystem
  await handle.close();
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
