import { formatBytes } from '../format-bytes.ts';
import { createHash, randomBytes } from 'node:crypto';
import { close, fsync, open as openFd } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { LifeboatError } from '../errors.ts';
import { AgeWriter, type AgeEncryption } from '../crypto/age-encrypt.ts';
import { FileSink } from './archive-file-sink.ts';
import { checksumsMember, type ArchiveSigner } from './archive-authenticity.ts';
import {
  CHECKSUMS_ENTRY,
  GLOBALS_ENTRY,
  MANIFEST_ENTRY,
  PARTIAL_SUFFIX,
  SIDECAR_SUFFIX,
  type ArchiveChecksums,
  type ArchiveManifest,
  type ArchiveSidecar,
} from './archive-format.ts';
import { DumpParts } from './dump-parts.ts';
import { readDump, type DumpReader } from './dump-reader.ts';
import { fsyncDirectory, unusedName, writeFileDurably } from '../files/durable-files.ts';
import { TAR_END, tarHeader, tarPadding } from './tar-format.ts';

// Moved to their own modules; still exported here for the files that import them from here.

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

export interface WriteArchiveOptions {
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
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const openAsync = promisify(openFd);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);

/** The file being written, as far as it exists yet: what a failure has to close and remove. */
interface PartialFile {
  readonly path: string;
  /** Open until closeDurably() closes it; null once closed (or before it is opened). */
  fd: number | null;
  sink: FileSink | null;
}

/** An awaited step raced against the disk refusing a write or the job being cancelled (see failFast). */
type Race = <T>(promise: Promise<T>) => Promise<T>;

/** Counted as the dump streams in: progress reports see it between chunks. */
interface DumpCount {
  dumpBytes: number;
}

/**
 * Streams the archive into `<file>.partial` (tar → age → sha256 → disk, with backpressure), fsyncs
 * it, writes the sidecar, and only then renames it to its final name. Any failure or cancel
 * removes the partial file: nothing that looks like an archive is left behind.
 *
 * The data path is synchronous per chunk of pg_dump's output: hashed, copied once into a reused
 * dump-part buffer (DumpParts), sealed in 64 KiB age chunks, and the sealed pieces hashed and
 * queued for batched writes (FileSink). No stream pipeline, no per-chunk promises, no per-part
 * allocations.
 */
export async function writeArchiveFile(options: WriteArchiveOptions): Promise<WrittenArchive> {
  const { content, signal } = options;
  const wantedPath = path.join(options.folder, options.fileName);
  const partial: PartialFile = { path: partialPathFor(wantedPath), fd: null, sink: null };
  const count: DumpCount = { dumpBytes: 0 };
  // pg_dump's output is taken from the first byte: Node discards a child's unread stdout once the
  // child exits. Until the archive's first entries are written it waits here (bounded: reading
  // pauses beyond EARLY_LIMIT, and pg_dump waits in its pipe).
  const reader = readDump(content.dump);

  try {
    signal.throwIfAborted();
    const out = await openPartialFile(partial, (fileBytes) => options.onProgress?.({ fileBytes, dumpBytes: count.dumpBytes }));
    const race = failFast(out, signal);
    const checksums = await writeArchiveStream(options, out, race, reader, count);
    await closeDurably(partial, out, race);
    options.onProgress?.({ fileBytes: out.written, dumpBytes: count.dumpBytes });
    return await publishArchive(partial.path, wantedPath, options, { bytes: out.written, sha256: out.hash.digest('hex'), checksums });
  } catch (error) {
    reader.stop(); // pg_dump gets EPIPE instead of waiting on a full pipe
    await removePartialFile(partial);
    throw explainWriteFailure(error, { signal, folder: options.folder, partialPath: partial.path, written: partial.sink?.written ?? 0 });
  }
}

/**
 * `<file>.<host>-<pid>.<random>.partial`. The writer's host and pid in the name let a later run on
 * this host tell a crashed backup's leftovers from a live one — and leave another machine's (a
 * shared folder) alone.
 */
function partialPathFor(finalPath: string): string {
  return `${finalPath}.${partialOwnerTag()}.${randomBytes(3).toString('hex')}${PARTIAL_SUFFIX}`;
}

/** Creates the partial file, readable by this user only; 'wx': never clobber another backup's partial file. */
async function openPartialFile(partial: PartialFile, onWritten: (fileBytes: number) => void): Promise<FileSink> {
  partial.fd = await openAsync(partial.path, 'wx', 0o600);
  partial.sink = new FileSink(partial.fd, onWritten);
  return partial.sink;
}

/** Rejects as soon as the disk refuses a write or the job is cancelled, whatever is awaited then. */
function failFast(out: FileSink, signal: AbortSignal): Race {
  const failed = new Promise<never>((_resolve, reject) => {
    out.onError = reject;
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    // A cancel that came while the partial file was being opened: 'abort' has fired already and would not again.
    if (signal.aborted) reject(signal.reason);
  });
  failed.catch(() => {});
  return (promise) => Promise.race([promise, failed]);
}

/**
 * The archive's bytes in order: the age header, manifest.json, globals.sql, the dump parts as
 * pg_dump's output arrives, checksums.json, the end of the tar stream. Returns checksums.json's content.
 */
async function writeArchiveStream(options: WriteArchiveOptions, out: FileSink, race: Race, reader: DumpReader, count: DumpCount): Promise<ArchiveChecksums> {
  const { content } = options;
  const encoder: PayloadWriter = options.encryption ? new AgeWriter(options.encryption) : new PlainWriter();
  options.signer?.prepare(); // a passphrase tag's scrypt runs while the dump does

  const [header, manifest, globals] = await race(Promise.all([encoder.header, content.manifest, content.globals]));
  out.push(header);
  const tar = tarStream(encoder, out, new Date(manifest.startedAt));
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  tar.entry(MANIFEST_ENTRY, manifestBytes);
  tar.entry(GLOBALS_ENTRY, globals);

  const dump = await streamDump(reader, tar, out, race, count);
  const finished = await race(content.finish(dump, { sha256: sha256(globals), bytes: globals.length }));
  // checksums.json also covers manifest.json's exact bytes, so `verify --full` notices a changed manifest.
  const checksums: ArchiveChecksums = { ...finished, manifest: { sha256: sha256(manifestBytes), bytes: manifestBytes.length } };
  // Tagged when written to Lifeboat's own key or passphrase, so a restore can tell its own archives from a stranger's.
  tar.entry(CHECKSUMS_ENTRY, await race(checksumsMember(checksums, options.signer ?? null)));
  tar.end();
  return checksums;
}

/** Writes tar members through the payload encoder (age, or the tar stream as it is) into the file. */
function tarStream(encoder: PayloadWriter, out: FileSink, mtime: Date) {
  const emit = (piece: Buffer) => out.push(piece);
  const plain = (data: Buffer) => encoder.write(data, emit);
  return {
    mtime,
    /** Raw tar bytes (DumpParts writes its own headers). */
    plain,
    /** A whole member: header, data, padding to the next block. */
    entry: (name: string, data: Buffer) => {
      plain(tarHeader(name, data.length, mtime));
      plain(data);
      plain(tarPadding(data.length));
    },
    /** The end-of-archive blocks, then the encoder's final chunk. */
    end: () => {
      plain(TAR_END);
      encoder.end(emit);
    },
  };
}

type TarStream = ReturnType<typeof tarStream>;

/** pg_dump's output, as it arrives, into dump parts; hashed and counted for checksums.json. */
async function streamDump(reader: DumpReader, tar: TarStream, out: FileSink, race: Race, count: DumpCount): Promise<DumpSummary> {
  const dumpHash = createHash('sha256');
  const parts = new DumpParts(tar.plain, tar.mtime);
  await race(
    reader.consume((chunk) => {
      dumpHash.update(chunk);
      count.dumpBytes += chunk.length;
      parts.add(chunk);
    }, out),
  );
  const partCount = parts.end(tar.entry);
  return { sha256: dumpHash.digest('hex'), bytes: count.dumpBytes, parts: partCount };
}

/** Every byte on disk before the file gets its final name: flushed, fsynced, closed. */
async function closeDurably(partial: PartialFile, out: FileSink, race: Race): Promise<void> {
  const fd = partial.fd!;
  await race(out.flush());
  await race(fsyncAsync(fd));
  partial.fd = null; // closed here whatever happens: the cleanup must not close it a second time
  await closeAsync(fd);
}

/**
 * Gives the finished file its final name, the first one free (two backups in the same second must
 * not replace each other), its sidecar written durably before the rename.
 */
async function publishArchive(
  partialPath: string,
  wantedPath: string,
  options: Pick<WriteArchiveOptions, 'folder' | 'sidecar'>,
  written: { bytes: number; sha256: string; checksums: ArchiveChecksums },
): Promise<WrittenArchive> {
  const finalPath = await unusedName(wantedPath);
  const sidecarPath = finalPath + SIDECAR_SUFFIX;
  const sidecar = await options.sidecar({ bytes: written.bytes, sha256: written.sha256, checksums: written.checksums, fileName: path.basename(finalPath) });
  await writeFileDurably(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
  await rename(partialPath, finalPath);
  await fsyncDirectory(options.folder);
  return { path: finalPath, sidecarPath, bytes: written.bytes, sha256: written.sha256, sidecar };
}

/** After a failure or cancel: no write in flight, the file closed, and gone. */
async function removePartialFile(partial: PartialFile): Promise<void> {
  await partial.sink?.settled();
  if (partial.fd !== null) await closeAsync(partial.fd).catch(() => {});
  await rm(partial.path, { force: true });
}

/** What a failed write is reported as: cancelled, a full disk, a clash, no permission — or the error as it is. */
function explainWriteFailure(error: unknown, at: { signal: AbortSignal; folder: string; partialPath: string; written: number }): unknown {
  if (at.signal.aborted) return new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.', undefined, { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    const why = code === 'EFBIG' ? ' (EFBIG: the file reached the largest size allowed there)' : code === 'EDQUOT' ? ' (EDQUOT: your disk quota is used up)' : ` (${code})`;
    return new LifeboatError(
      'DISK_FULL',
      `The disk holding the backup folder ${at.folder} is full: the backup ran out of space after ${formatBytes(at.written)}${why}. The incomplete file was removed.`,
      'Free space on that disk or choose another backup folder, then back up again.',
      { cause: error },
    );
  }
  if (code === 'EEXIST') return new LifeboatError('BACKUP_FAILED', `Another backup is writing ${at.partialPath} right now.`, 'Wait for it to finish, or remove the stale .partial file if no backup is running.', { cause: error });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new LifeboatError('BACKUP_FAILED', `Lifeboat may not write to ${at.folder} (${code}).`, 'Choose a backup folder you can write to.', { cause: error });
  }
  return error;
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

/** "<host>-<pid>": the host as 8 hex digits of its name's hash (any name fits a file name). */
export function partialOwnerTag(): string {
  return `${hostTag()}-${process.pid}`;
}

export function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
}

