// Opens anything a user may drop — layer by layer (age / gpg / gzip / zstd), detected by content —
// down to a pg_dump archive, a Lifeboat archive or plain SQL.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { lstat, open, rm, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { LifeboatError } from '../errors.ts';
import { openAge, type AgeKeys } from '../crypto/age-decrypt.ts';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import { checkDirectoryDump } from './directory-dump.ts';
import { openUserFile } from '../files/user-file.ts';
import { describeInner, sniff, SNIFF_BYTES, type WrapperKind } from './file-sniff.ts';
import type { TocDat } from './toc-dat.ts';
import type { SourceDescription, SourceInner } from '../model/restore.ts';
export type { SourceDescription, SourceInner } from '../model/restore.ts';

export interface OpenedSource extends SourceDescription {
  /** The inner bytes (absent for a directory-format dump, which pg_restore reads by path). */
  stream: AsyncIterable<Buffer> | null;
  /** A directory-format dump's toc.dat as Lifeboat read it (its file names checked). */
  tocDat?: TocDat;
  /** Which file was opened (see fileIdentity); null for a folder. */
  identity: string | null;
  close(): Promise<void>;
}

export const ACCEPTED = 'Lifeboat archives (.lifeboat), age files, pg_dump custom (.dump/.backup), tar (.tar) and directory archives, plain SQL (.sql) and gzip- or zstd-compressed SQL (.sql.gz, .sql.zst), and gpg --symmetric files';

const LAYER_WORDS: Record<WrapperKind, string> = { age: 'age-encrypted', gpg: 'gpg-encrypted', gzip: 'gzip-compressed', zstd: 'zstd-compressed' };

export function sourceLabel(layers: WrapperKind[], inner: SourceInner): string {
  const innerText = inner === 'pg-directory' ? 'pg_dump directory-format archive' : describeInner(inner);
  return [...layers.map((l) => LAYER_WORDS[l]), innerText].join(' ');
}

/**
 * Opens `file` through its layers. `onRawBytes` reports how much of the file was read (progress).
 * Throws a LifeboatError naming what the file looks like when it is not something Lifeboat restores.
 */
export async function openSource(file: string, keys: AgeKeys, options: { signal?: AbortSignal; onRawBytes?: (bytes: number) => void; onRawChunk?: (chunk: Buffer) => void } = {}): Promise<OpenedSource> {
  // A plain file or a folder only: a named pipe or a device dropped here would wait or read forever.
  const { handle, info } = await openUserFile(file, { folders: true });
  if (info.isDirectory()) {
    await handle.close();
    // lstat: a toc.dat that is a dangling symlink is still refused as a symlink, not as "no toc.dat".
    const hasToc = await lstat(path.join(file, 'toc.dat')).then(() => true, () => false);
    if (!hasToc) throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is a folder, but not a pg_dump directory-format archive (it has no toc.dat).`, `Drop the folder pg_dump -Fd wrote, or a file: ${ACCEPTED}.`);
    // Every file pg_restore would open is checked first; pg_restore then gets the folder's real path.
    const checked = await checkDirectoryDump(file);
    return { path: checked.path, size: Number(info.size), layers: [], inner: 'pg-directory', label: sourceLabel([], 'pg-directory'), stream: null, tocDat: checked.toc, identity: null, close: async () => {} };
  }
  // Read through this one descriptor, whose identity is what an archive's authenticity check vouched for.
  const identity = identityOf(info);
  const raw = createReadStream('', { fd: handle, highWaterMark: 1 << 20, signal: options.signal });
  const cleanups: (() => Promise<void> | void)[] = [() => void raw.destroy()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  let read = 0;
  let current: AsyncIterable<Buffer> = (async function* () {
    for await (const chunk of raw) {
      read += (chunk as Buffer).length;
      options.onRawChunk?.(chunk as Buffer);
      options.onRawBytes?.(read);
      yield chunk as Buffer;
    }
  })();
  const layers: WrapperKind[] = [];
  try {
    for (;;) {
      const { head, stream } = await peek(current, SNIFF_BYTES);
      const found = sniff(head);
      if ('inner' in found) {
        return { path: file, size: Number(info.size), layers, inner: found.inner, label: sourceLabel(layers, found.inner), stream, identity, close };
      }
      if ('unknown' in found) {
        const inside = layers.length ? ` inside its ${layers.map((l) => LAYER_WORDS[l]).join(', ')} layer` : '';
        throw new LifeboatError('NOT_AN_ARCHIVE', `${path.basename(file)} is not something Lifeboat can restore: it looks like ${found.unknown}${inside}.`, `Lifeboat restores ${ACCEPTED}.`);
      }
      if (layers.length >= 3 || layers.includes(found.wrapper)) throw new LifeboatError('NOT_AN_ARCHIVE', `${path.basename(file)} is wrapped in too many layers (${[...layers, found.wrapper].join(', ')}).`, `Lifeboat restores ${ACCEPTED}.`);
      layers.push(found.wrapper);
      current = await unwrap(found.wrapper, stream, keys, cleanups, file);
    }
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A file's identity: device, inode, size, modification and change time in nanoseconds. Replacing the
 * file changes its inode; writing to it changes its change time, which no user can set back. Equal
 * identities mean the same bytes, so a check made on one read holds for another.
 */
export async function fileIdentity(file: string): Promise<string | null> {
  return stat(file, { bigint: true }).then(identityOf, () => null);
}

/**
 * The sha256 and size of `file` when it is the file with `identity` before and after the read
 * (checked on the descriptor that reads it), a regular file of this user's that no one else may
 * write to, else null. Only such a file keeps its bytes while its identity stays the same: another
 * user's file could be rewritten through a shared mapping without a new change time until its pages
 * are written back. Opened without blocking and read only up to its size, so neither a FIFO nor a
 * device put in its place can hang or run the check forever.
 */
export async function sha256OfOwnFile(file: string, identity: string, signal?: AbortSignal): Promise<{ sha256: string; bytes: number } | null> {
  const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  try {
    const info = await handle.stat({ bigint: true });
    if (identityOf(info) !== identity || !keptByThisUser(info)) return null;
    const size = Number(info.size);
    const hash = createHash('sha256');
    // Two buffers for the whole file: the next read runs (in the thread pool) while this one is
    // hashed, so the hash goes at SHA-256's own speed (~0.43 s instead of ~0.54 s for 690 MB).
    const buffers = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
    let read = 0;
    let next = 0;
    const readInto = (buffer: Buffer) => handle.read(buffer, 0, Math.min(buffer.length, size - read + 1), null);
    let pending = readInto(buffers[next]!);
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) break;
      read += bytesRead;
      if (read > size) break; // grown since the stat: not the file that was checked
      signal?.throwIfAborted();
      next ^= 1;
      pending = readInto(buffers[next]!);
      hash.update(buffer.subarray(0, bytesRead));
    }
    await pending.catch(() => {}); // no read in flight when the handle closes
    const same = read === size && identityOf(await handle.stat({ bigint: true })) === identity;
    return same ? { sha256: hash.digest('hex'), bytes: size } : null;
  } finally {
    await handle.close();
  }
}

/** A regular file owned by this process's user that neither its group nor others may write (never on Windows, which has no such owner check here). */
function keptByThisUser(info: BigIntStats): boolean {
  return info.isFile() && process.getuid !== undefined && Number(info.uid) === process.getuid() && (Number(info.mode) & 0o022) === 0;
}

function identityOf(info: BigIntStats): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

async function unwrap(kind: WrapperKind, stream: AsyncIterable<Buffer>, keys: AgeKeys, cleanups: (() => Promise<void> | void)[], file: string): Promise<AsyncIterable<Buffer>> {
  switch (kind) {
    case 'age':
      if (!(keys.identities?.length || keys.passphrases?.length)) {
        throw new LifeboatError('NO_KEY', `${path.basename(file)} is encrypted (age) and no key is available to open it.`, 'Give the recovery-key file (--identity KEYFILE) or the passphrase (--passphrase-env VAR).');
      }
      return openAge(stream, keys);
    case 'gzip':
      return decompress(stream, zlib.createGunzip(), 'gzip', cleanups);
    case 'zstd':
      return decompress(stream, zlib.createZstdDecompress(), 'zstd', cleanups);
    case 'gpg':
      return gpgDecrypt(stream, keys, cleanups, file);
  }
}

function decompress(stream: AsyncIterable<Buffer>, transform: zlib.Gunzip | zlib.ZstdDecompress, what: string, cleanups: (() => Promise<void> | void)[]): AsyncIterable<Buffer> {
  const input = Readable.from(stream);
  input.on('error', (error) => transform.destroy(error));
  input.pipe(transform);
  cleanups.push(() => {
    input.destroy();
    transform.destroy();
  });
  return (async function* () {
    try {
      for await (const chunk of transform) yield chunk as Buffer;
    } catch (error) {
      if (error instanceof LifeboatError) throw error;
      throw new LifeboatError('ARCHIVE_DAMAGED', `The ${what} data is damaged or cut short (${(error as Error).message}).`, 'Use another copy of the file.', { cause: error });
    }
  })();
}

/** gpg --symmetric files, through the gpg program (passphrase on a private pipe, throwaway GNUPGHOME). */
async function gpgDecrypt(stream: AsyncIterable<Buffer>, keys: AgeKeys, cleanups: (() => Promise<void> | void)[], file: string): Promise<AsyncIterable<Buffer>> {
  const passphrase = keys.passphrases?.[0];
  if (!passphrase) throw new LifeboatError('NO_KEY', `${path.basename(file)} is encrypted with gpg and needs its passphrase.`, 'Give the passphrase (--passphrase-env VAR, or type it in the Restore screen).');
  const home = await makePrivateTemp('gnupg');
  cleanups.push(async () => {
    // gpg leaves its agent running on that home; stop it rather than wait for it to notice the folder is gone.
    await new Promise<void>((resolve) => execFile('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: home }, timeout: 5000 }, () => resolve()));
    await rm(home, { recursive: true, force: true });
  });
  const child = spawn('gpg', ['--batch', '--quiet', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase-fd', '3', '--decrypt'], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' },
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new LifeboatError('TOOL_NOT_FOUND', `${path.basename(file)} is encrypted with gpg, and no gpg program is installed.`, 'Install GnuPG (e.g. apt install gnupg, brew install gnupg, or Gpg4win), or decrypt the file with gpg yourself first.') : error),
    );
  });
  await spawned;
  cleanups.push(() => void child.kill('SIGKILL'));
  const passphrasePipe = child.stdio[3] as NodeJS.WritableStream;
  passphrasePipe.end(`${passphrase}\n`);
  let errors = '';
  child.stderr!.on('data', (d) => (errors += d));
  const input = Readable.from(stream);
  input.on('error', () => child.kill());
  child.stdin!.on('error', () => {}); // gpg may stop reading early on a wrong passphrase
  input.pipe(child.stdin!);
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return (async function* () {
    for await (const chunk of child.stdout!) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) {
      if (/bad session key|bad passphrase|decryption failed: No secret key|wrong passphrase/i.test(errors)) throw new LifeboatError('WRONG_KEY', 'The passphrase does not open this gpg file.', 'Check the passphrase (it is case-sensitive).');
      throw new LifeboatError('ARCHIVE_DAMAGED', `gpg could not decrypt the file: ${errors.trim().split('\n').slice(-2).join(' ') || `exit code ${code}`}.`, 'Use another copy of the file.');
    }
  })();
}

/** Reads at least `n` bytes (or to the end) and returns them plus a stream that replays them first. */
export async function peek(source: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; stream: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  const buffered = Buffer.concat(chunks);
  const stream = (async function* () {
    if (buffered.length) yield buffered;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  return { head: buffered.subarray(0, n), stream };
}
