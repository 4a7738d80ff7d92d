import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifeboatError } from '../errors.ts';
import { createAgeEncryptStream, type AgeEncryption } from '../crypto/age-encrypt.ts';
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
  manifest: ArchiveManifest;
  globals: Buffer;
  /** pg_dump's custom-format output. */
  dump: AsyncIterable<Buffer>;
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

/**
 * Streams the archive into `<file>.partial` (tar → age → sha256 → disk, with backpressure), fsyncs
 * it, writes the sidecar, and only then renames it to its final name. Any failure or cancel
 * removes the partial file: nothing that looks like an archive is left behind.
 */
export async function writeArchiveFile(options: {
  folder: string;
  fileName: string;
  content: ArchiveContent;
  encryption: AgeEncryption | null;
  signal: AbortSignal;
  onProgress?: (written: { fileBytes: number; dumpBytes: number }) => void;
  sidecar: (written: { bytes: number; sha256: string; checksums: ArchiveChecksums; fileName: string }) => ArchiveSidecar;
}): Promise<WrittenArchive> {
  let finalPath = path.join(options.folder, options.fileName);
  // The writer's pid in the name lets a later run tell a crashed backup's leftovers from a live one.
  const partialPath = `${finalPath}.${process.pid}.${randomBytes(3).toString('hex')}${PARTIAL_SUFFIX}`;
  const mtime = new Date(options.content.manifest.startedAt);
  let dumpBytes = 0;
  let fileBytes = 0;
  let checksums: ArchiveChecksums | null = null;
  const fileHash = createHash('sha256');

  async function* tarStream(): AsyncGenerator<Buffer> {
    const { content } = options;
    yield* entry(MANIFEST_ENTRY, Buffer.from(`${JSON.stringify(content.manifest, null, 2)}\n`), mtime);
    yield* entry(GLOBALS_ENTRY, content.globals, mtime);
    const dumpHash = createHash('sha256');
    let part = Buffer.allocUnsafe(DUMP_PART_SIZE);
    let used = 0;
    let parts = 0;
    for await (const chunk of content.dump) {
      dumpHash.update(chunk);
      dumpBytes += chunk.length;
      for (let offset = 0; offset < chunk.length; ) {
        const n = Math.min(DUMP_PART_SIZE - used, chunk.length - offset);
        chunk.copy(part, used, offset, offset + n);
        used += n;
        offset += n;
        if (used === DUMP_PART_SIZE) {
          yield tarHeader(dumpPartName(++parts), used, mtime);
          yield part;
          part = Buffer.allocUnsafe(DUMP_PART_SIZE);
          used = 0;
        }
      }
    }
    if (used > 0 || parts === 0) yield* entry(dumpPartName(++parts), part.subarray(0, used), mtime);
    checksums = await content.finish({ sha256: dumpHash.digest('hex'), bytes: dumpBytes, parts }, { sha256: sha256(content.globals), bytes: content.globals.length });
    yield* entry(CHECKSUMS_ENTRY, Buffer.from(`${JSON.stringify(checksums, null, 2)}\n`), mtime);
    yield TAR_END;
  }

  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      fileHash.update(chunk);
      fileBytes += chunk.length;
      options.onProgress?.({ fileBytes, dumpBytes });
      callback(null, chunk);
    },
  });

  try {
    // 'wx': never clobber another backup's partial file; flush: fsync before close.
    const out = createWriteStream(partialPath, { flags: 'wx', mode: 0o600, flush: true });
    const encrypt = options.encryption ? createAgeEncryptStream(options.encryption) : new PassThrough();
    // Non-object mode: the stream buffers by bytes, so at most about one dump part is in memory.
    await pipeline(Readable.from(tarStream(), { objectMode: false }), encrypt, meter, out, { signal: options.signal });
    const bytes = fileBytes;
    const digest = fileHash.digest('hex');
    finalPath = await unusedName(finalPath); // two backups in the same second must not replace each other
    const sidecarPath = finalPath + SIDECAR_SUFFIX;
    const sidecar = options.sidecar({ bytes, sha256: digest, checksums: checksums!, fileName: path.basename(finalPath) });
    await writeFileDurably(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
    await rename(partialPath, finalPath);
    await fsyncDirectory(options.folder);
    return { path: finalPath, sidecarPath, bytes, sha256: digest, sidecar };
  } catch (error) {
    await rm(partialPath, { force: true });
    if (options.signal.aborted) throw new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.', undefined, { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
      throw new LifeboatError('DISK_FULL', `The backup folder ${options.folder} ran out of space after ${formatMB(fileBytes)} (${code}); the incomplete file was removed.`, 'Free some space there or choose another backup folder, then back up again.', { cause: error });
    }
    if (code === 'EEXIST') throw new LifeboatError('BACKUP_FAILED', `Another backup is writing ${partialPath} right now.`, 'Wait for it to finish, or remove the stale .partial file if no backup is running.', { cause: error });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new LifeboatError('BACKUP_FAILED', `Lifeboat may not write to ${options.folder} (${code}).`, 'Choose a backup folder you can write to.', { cause: error });
    }
    throw error;
  }
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

function* entry(name: string, data: Buffer, mtime: Date): Generator<Buffer> {
  yield tarHeader(name, data.length, mtime);
  yield data;
  yield tarPadding(data.length);
}

/** Writes next to the target and renames, so a crash leaves the old file or the new, never half. */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text, { mode: 0o644, flush: true });
  await rename(temp, file);
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
