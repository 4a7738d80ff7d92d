// A file the user named (dropped, chosen, typed) opened for reading. Only a plain file or a folder is
// let through: a named pipe would make open() or read() wait forever for a writer — holding one of the
// four threads every file operation of the app shares — and a device reads forever or acts on being
// opened. Opened without blocking, so a FIFO put in the file's place after the check cannot hang either.
import { constants as fsConstants, type BigIntStats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { LifeboatError } from '../errors.ts';

/** What stat() and a directory entry both tell of a file's kind. */
interface Kind { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }

/** What a directory entry is, in words: 'file' for a plain file. */
export function describeKind(info: Kind): string {
  if (info.isFile()) return 'file';
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a subfolder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isBlockDevice() || info.isCharacterDevice()) return 'a device file';
  return 'something that is not a file';
}

function notAFile(file: string, info: Kind): LifeboatError {
  const what = info.isDirectory() ? 'a folder' : describeKind(info);
  // INVALID_INPUT, not NOT_AN_ARCHIVE: no file was read, so a drill given one could not run — it is no verdict on a backup.
  return new LifeboatError('INVALID_INPUT', `${file} is ${what}, not a plain file: Lifeboat reads backups, keys and certificates only from plain files.`, 'Choose the file itself (one saved on a disk), not a pipe, device or socket.');
}

function cannotOpen(file: string, error: NodeJS.ErrnoException): LifeboatError {
  const why = error.code === 'ENOENT' ? 'no such file or folder' : error.code === 'EACCES' || error.code === 'EPERM' ? `no permission to read it (${error.code})` : error.message;
  return new LifeboatError('FILE_NOT_FOUND', `Cannot open ${file}: ${why}.`, 'Check the path.', { cause: error });
}

interface UserFileOptions { folders?: boolean }

/** Throws unless `info` is a plain file — or a folder, if `folders` allows one. */
function refuseUnlessAllowed(file: string, info: BigIntStats, options: UserFileOptions): void {
  if (!(info.isFile() || (options.folders === true && info.isDirectory()))) throw notAFile(file, info);
}

/** The status of `file` (following a symbolic link) when it is a plain file — or a folder, if `folders` allows one. */
export async function statUserFile(file: string, options: UserFileOptions = {}): Promise<BigIntStats> {
  const info = await stat(file, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
    throw cannotOpen(file, error);
  });
  refuseUnlessAllowed(file, info, options);
  return info;
}

/**
 * Opens `file` (following a symbolic link, as a drop does) when it is a plain file — or a folder, if
 * `folders` allows one — and returns the handle with its status. Anything else is refused before it
 * is opened, and checked again on the open descriptor.
 */
export async function openUserFile(file: string, options: UserFileOptions = {}): Promise<{ handle: FileHandle; info: BigIntStats }> {
  await statUserFile(file, options);
  // O_NOCTTY: a terminal swapped in after the check must not become this process's controlling terminal.
  const handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOCTTY ?? 0)).catch((error: NodeJS.ErrnoException) => {
    throw cannotOpen(file, error);
  });
  try {
    const info = await handle.stat({ bigint: true });
    refuseUnlessAllowed(file, info, options);
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The bytes of a small file the user named (a key, a certificate, a .pgpass), through openUserFile, and
 * at most `maxBytes` of them: past that, `tooBig` is thrown instead of the file being read without end.
 */
export async function readSmallUserFile(file: string, maxBytes: number, tooBig: () => LifeboatError): Promise<Buffer> {
  const { handle, info } = await openUserFile(file);
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Sized by the file's length (it may still grow), never past one byte over the bound.
      const chunk = Buffer.alloc(Math.min(maxBytes + 1 - total, Math.max(Number(info.size) + 1, 16 * 1024)));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooBig();
    }
  } finally {
    await handle.close();
  }
}
