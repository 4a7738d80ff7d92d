// A dropped pg_dump directory-format dump (a folder with toc.dat) is checked before pg_restore sees it:
// pg_restore opens "<folder>/<name>" for every name toc.dat and the large-object TOCs give, and follows
// symbolic links, so one crafted folder could restore /etc/passwd (or a device, or a FIFO that never
// ends) into a table. Only plain files with the names pg_dump writes pass; the folder is then handed
// to pg_restore by its real path, so a symlink swapped in later does not redirect it.
import { constants as fsConstants, type Stats } from 'node:fs';
import { lstat, open, opendir, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import { describeKind } from '../files/user-file.ts';
import { readTocDat, TOC_DAT_MAX_BYTES, type TocDat } from './toc-dat.ts';

/** Names pg_dump writes into a directory dump (pg_backup_directory.c), with its compression suffixes. */
const DATA_FILE = /^[1-9]\d{0,9}\.dat(?:\.gz|\.lz4|\.zst)?$/;
const LO_TOC_FILE = /^blobs(?:_[1-9]\d{0,9})?\.toc$/;
const LO_DATA_FILE = /^blob_\d{1,10}\.dat(?:\.gz|\.lz4|\.zst)?$/;
/** One line of a large-object TOC as pg_dump writes it ("%u blob_%u.dat\n"), well under pg_restore's 1024-byte line buffer. */
const LO_TOC_LINE = /^\d{1,10} blob_\d{1,10}\.dat$/;

// Not following a symlink at open; O_NONBLOCK so a FIFO in place of a file cannot block the open.
// Windows has neither flag (lstat and fstat below still check the type).
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);

export interface DirectoryDump {
  /** The folder's real path: what pg_restore is given. */
  path: string;
  toc: TocDat;
  files: number;
}

// Contents pg_dump never writes are ARCHIVE_DAMAGED (the dump is bad: a drill fails it); a folder
// others can write to, or one that changes while it is checked, is INVALID_INPUT (try again elsewhere).
const FIX = 'Use the folder exactly as pg_dump -Fd wrote it (a copy made with cp -r or a file manager is fine), or dump the database again.';

/** Checks a folder that holds toc.dat; throws a LifeboatError naming the first problem. */
export async function checkDirectoryDump(folder: string): Promise<DirectoryDump> {
  return checkFolder(folder).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof LifeboatError) throw error;
    throw new LifeboatError('FILE_NOT_FOUND', `Cannot read the folder ${folder}: ${error.code ?? error.message}.`, 'Check that the folder exists and that you may read it and its files.', { cause: error });
  });
}

async function checkFolder(folder: string): Promise<DirectoryDump> {
  const real = await realpath(folder);
  const before = await lstat(real);
  checkFolderMode(before, folder);
  const { bytes, info: tocInfo } = await readPlainFile(real, 'toc.dat', TOC_DAT_MAX_BYTES);
  const toc = readTocDat(bytes);
  const files = await checkListing(real, tocInfo);
  const after = await lstat(real);
  if (after.dev !== before.dev || after.ino !== before.ino) {
    throw new LifeboatError('INVALID_INPUT', `The folder ${folder} changed while Lifeboat was checking it.`, 'Wait until nothing writes to the folder, then try again.');
  }
  return { path: real, toc, files };
}

/** Others who may write into the folder could swap a checked file for a link before pg_restore reads it. */
function checkFolderMode(info: Stats, folder: string): void {
  if (process.platform === 'win32' || (info.mode & 0o002) === 0) return;
  throw new LifeboatError('INVALID_INPUT', `Other users can write into the folder ${folder}, so its files could change between Lifeboat's check and the restore.`, `Copy the folder somewhere only you can write (e.g. cp -r "${folder}" ~/), or remove the write permission for others (chmod o-w).`);
}

/** Every entry of the folder: a regular file with a pg_dump name; large-object TOCs are read too. */
async function checkListing(real: string, tocInfo: Stats): Promise<number> {
  let files = 0;
  for await (const entry of await opendir(real)) {
    files++;
    const name = entry.name;
    const kind = entry.isFile() ? 'file' : describeKind(entry.isSymbolicLink() || entry.isDirectory() || entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice() ? entry : await lstat(path.join(real, name)));
    if (kind !== 'file') {
      throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump holds ${kind} "${printable(name)}": pg_dump writes only plain files there, and pg_restore would open whatever it leads to.`, `Do not restore this folder as it is: remove "${printable(name)}" if you know why it is there. ${FIX}`);
    }
    if (name === 'toc.dat') {
      const now = await lstat(path.join(real, name));
      if (now.ino !== tocInfo.ino || now.dev !== tocInfo.dev) throw new LifeboatError('INVALID_INPUT', 'toc.dat was replaced while Lifeboat was reading the folder.', 'Wait until nothing writes to the folder, then try again.');
    } else if (LO_TOC_FILE.test(name)) {
      await checkLargeObjectToc(real, name);
    } else if (!DATA_FILE.test(name) && !LO_DATA_FILE.test(name)) {
      throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump holds a file named "${printable(name)}", which pg_dump never writes.`, `Remove "${printable(name)}" from the folder if you know why it is there. ${FIX}`);
    }
  }
  return files;
}

/**
 * pg_restore reads "<oid> <file name>" lines from each large-object TOC and opens "<folder>/<file
 * name>": each name must be a blob_NNNN.dat of this folder. Read in chunks: it has a line per object.
 */
async function checkLargeObjectToc(folder: string, name: string): Promise<void> {
  const { handle } = await openPlainFile(folder, name);
  try {
    const chunk = Buffer.alloc(64 * 1024);
    let carry = '';
    let line = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const lines = (carry + chunk.toString('latin1', 0, bytesRead)).split('\n');
      carry = lines.pop()!;
      if (carry.length > 1000) throw badLargeObjectToc(name, line + 1, 'a line is longer than pg_dump writes');
      for (const text of lines) {
        line++;
        if (!LO_TOC_LINE.test(text)) throw badLargeObjectToc(name, line, `"${printable(text.slice(0, 80))}" is not "<oid> blob_<oid>.dat"`);
      }
    }
    if (carry !== '') throw badLargeObjectToc(name, line + 1, 'the last line does not end with a newline');
  } finally {
    await handle.close();
  }
}

function badLargeObjectToc(name: string, line: number, detail: string): LifeboatError {
  return new LifeboatError('ARCHIVE_DAMAGED', `Line ${line} of the directory dump's ${name} is not one pg_dump writes: ${detail}. pg_restore opens the file each line names.`, `Do not restore this folder as it is. ${FIX}`);
}

/** Opens without following a symlink and checks it is a regular file. */
async function openPlainFile(folder: string, name: string): Promise<{ handle: FileHandle; info: Stats }> {
  const handle = await open(path.join(folder, name), OPEN_FLAGS).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump's ${name} is a symbolic link: pg_dump writes a plain file, and pg_restore would read whatever it points to.`, FIX);
    if (error.code === 'ENOENT' && name === 'toc.dat') throw new LifeboatError('NOT_AN_ARCHIVE', `${folder} is a folder, but not a pg_dump directory-format archive (it has no toc.dat).`, 'Drop the folder pg_dump -Fd wrote, or a single dump file.');
    throw new LifeboatError('FILE_NOT_FOUND', `Cannot open ${name} in ${folder}: ${error.code ?? error.message}.`, 'Check the folder and its permissions.');
  });
  const info = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!info.isFile()) {
    await handle.close();
    throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump's ${name} is ${describeKind(info)}, not a plain file.`, FIX);
  }
  return { handle, info };
}

/** The whole of a plain file of bounded size. */
async function readPlainFile(folder: string, name: string, limit: number): Promise<{ bytes: Buffer; info: Stats }> {
  const { handle, info } = await openPlainFile(folder, name);
  try {
    if (info.size > limit) throw new LifeboatError('ARCHIVE_UNSUPPORTED', `The directory dump's ${name} is ${info.size} bytes, more than the ${limit} Lifeboat reads.`, FIX);
    const bytes = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: bytes.subarray(0, filled), info };
  } finally {
    await handle.close();
  }
}

const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
