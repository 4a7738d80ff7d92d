import { formatBytes } from '../format-bytes.ts';
import { createHash, randomBytes } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { AgeEncryption } from '../crypto/age-encrypt.ts';
import { checksumsMember, type ArchiveSigner } from './archive-authenticity.ts';
import { PARTIAL_SUFFIX, SIDECAR_SUFFIX, type ArchiveChecksums, type ArchiveManifest, type ArchiveSidecar } from './archive-format.ts';
import type { DumpSummary } from './archive-stream.ts';
import { startArchiveThread, type ArchiveThread, type DumpInput } from './archive-thread.ts';
import { fsyncDirectory, isDiskFull, MAX_NAME_TRIES, numberedName, placeExclusively, writeFileExclusively } from '../files/durable-files.ts';

export type { DumpSummary } from './archive-stream.ts';

export interface ArchiveContent {
  /** May still be in the making when the dump starts: the dump waits in its socket until it is ready. */
  manifest: ArchiveManifest | Promise<ArchiveManifest>;
  globals: Buffer | Promise<Buffer>;
  /** pg_dump's custom-format output: its socket to the archive's worker (owned from here on), or a stream. */
  dump: DumpInput;
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

/** An awaited step raced against the worker failing (the disk refusing a write) or the job being cancelled. */
type Race = <T>(promise: Promise<T>) => Promise<T>;

/**
 * Streams the archive into `<file>.partial` (tar → age → sha256 → disk, with backpressure, in the
 * archive's worker thread: archive-worker.ts), fsyncs it, writes the sidecar, and only then renames
 * it to its final name. Any failure or cancel removes the partial file: nothing that looks like an
 * archive is left behind.
 *
 * This thread only supplies what the worker cannot know: the first entries (manifest, globals) when
 * they are ready, and checksums.json once the dump has ended and been verified.
 */
export async function writeArchiveFile(options: WriteArchiveOptions): Promise<WrittenArchive> {
  const { signal } = options;
  const wantedPath = path.join(options.folder, options.fileName);
  const partialPath = partialPathFor(wantedPath);
  let dumpBytes = 0;
  // pg_dump's output is taken from the first byte (Node discards a child's unread stdout once it
  // exits); until the first entries are written it waits in the worker, bounded, then in its socket.
  const thread = startArchiveThread({
    partialPath,
    encryption: options.encryption,
    dump: options.content.dump,
    onProgress: (fileBytes, dump) => {
      dumpBytes = dump;
      options.onProgress?.({ fileBytes, dumpBytes });
    },
  });
  try {
    signal.throwIfAborted();
    const race = failFast(thread.failed, signal);
    const written = await writeArchiveStream(options, thread, race);
    options.onProgress?.({ fileBytes: written.bytes, dumpBytes });
    return await publishArchive(partialPath, wantedPath, options, written);
  } catch (error) {
    await thread.close(); // pg_dump gets EPIPE instead of waiting on a full socket; no write in flight
    await rm(partialPath, { force: true });
    throw explainWriteFailure(error, { signal, folder: options.folder, partialPath, written: thread.fileBytes });
  }
}

/**
 * Where a file being written under `finalPath` grows: `<file>.<host>-<pid>.<random>.partial`. The
 * writer's host and pid in the name let a later run on this host tell a crashed backup's (or
 * import's) leftovers from a live one — and leave another machine's (a shared folder) alone.
 */
export function partialPathFor(finalPath: string): string {
  return `${finalPath}.${partialOwnerTag()}.${randomBytes(3).toString('hex')}${PARTIAL_SUFFIX}`;
}

/** Rejects as soon as the worker fails or the job is cancelled, whatever is awaited then. */
function failFast(workerFailed: Promise<never>, signal: AbortSignal): Race {
  const failed = new Promise<never>((_resolve, reject) => {
    workerFailed.catch(reject);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    if (signal.aborted) reject(signal.reason);
  });
  failed.catch(() => {});
  return (promise) => Promise.race([promise, failed]);
}

/**
 * The archive's entries in order: manifest.json and globals.sql when they are ready, the dump parts
 * as pg_dump's output arrives, then checksums.json. Returns the file's size, hash and checksums.json's content.
 */
async function writeArchiveStream(options: WriteArchiveOptions, thread: ArchiveThread, race: Race): Promise<{ bytes: number; sha256: string; checksums: ArchiveChecksums }> {
  const { content } = options;
  options.signer?.prepare(); // a passphrase tag's scrypt runs while the dump does
  const [manifest, globals] = await race(Promise.all([content.manifest, content.globals]));
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  thread.entries(new Date(manifest.startedAt), manifestBytes, globals);
  const dump = await race(thread.dumpEnded);
  const finished = await race(content.finish(dump, { sha256: sha256(globals), bytes: globals.length }));
  // checksums.json also covers manifest.json's exact bytes, so `verify --full` notices a changed manifest.
  const checksums: ArchiveChecksums = { ...finished, manifest: { sha256: sha256(manifestBytes), bytes: manifestBytes.length } };
  // Tagged when written to Lifeboat's own key or passphrase, so a restore can tell its own archives from a stranger's.
  const file = await race(thread.finish(await race(checksumsMember(checksums, options.signer ?? null))));
  return { ...file, checksums };
}

/**
 * Gives the finished file its final name, the first one free: two backups in the same second (two
 * processes, two machines on a shared folder) must not replace each other. The sidecar claims the
 * name first — written whole and placed only where no file has its name — so it is there before the
 * archive is, and the archive is then placed only where no file has that name either.
 */
async function publishArchive(
  partialPath: string,
  wantedPath: string,
  options: Pick<WriteArchiveOptions, 'folder' | 'sidecar'>,
  written: { bytes: number; sha256: string; checksums: ArchiveChecksums },
): Promise<WrittenArchive> {
  const extension = path.extname(wantedPath);
  const stem = wantedPath.slice(0, wantedPath.length - extension.length);
  for (let n = 1; n <= MAX_NAME_TRIES; n++) {
    const finalPath = numberedName(stem, extension, n);
    if (await access(finalPath).then(() => true, () => false)) continue;
    const sidecarPath = finalPath + SIDECAR_SUFFIX;
    const sidecar = await options.sidecar({ bytes: written.bytes, sha256: written.sha256, checksums: written.checksums, fileName: path.basename(finalPath) });
    if (!(await writeFileExclusively(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`))) continue;
    const placed = await placeExclusively(partialPath, finalPath).then(() => true, async (error: NodeJS.ErrnoException) => {
      await rm(sidecarPath, { force: true }).catch(() => {}); // ours: it was placed exclusively a moment ago
      if (error.code === 'EEXIST') return false;
      throw error;
    });
    if (!placed) continue;
    await fsyncDirectory(options.folder);
    return { path: finalPath, sidecarPath, bytes: written.bytes, sha256: written.sha256, sidecar };
  }
  throw new LifeboatError('BACKUP_FAILED', `${wantedPath} and ${MAX_NAME_TRIES - 1} numbered names after it are all taken in ${options.folder}.`, 'Move old files out of the backup folder, or choose another one.');
}

/** What a failed write is reported as: cancelled, a full disk, a clash, no permission — or the error as it is. */
function explainWriteFailure(error: unknown, at: { signal: AbortSignal; folder: string; partialPath: string; written: number }): unknown {
  if (at.signal.aborted) return new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.', undefined, { cause: error });
  const code = (error as NodeJS.ErrnoException).code;
  if (isDiskFull(code)) {
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

/** "<host>-<pid>": the host as 8 hex digits of its name's hash (any name fits a file name). */
export function partialOwnerTag(): string {
  return `${hostTag()}-${process.pid}`;
}

export function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
}

