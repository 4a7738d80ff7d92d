import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { LifeboatError } from '../errors.ts';
import { openUserFile } from '../files/user-file.ts';
import { openAge, type AgeKeys } from '../crypto/age-decrypt.ts';
import { AGE_VERSION_LINE } from '../crypto/age-encrypt.ts';
import type { ArchiveAuthenticity } from './archive-authenticity.ts';
import { MANIFEST_ENTRY, type ArchiveManifest } from './archive-format.ts';
import { checkManifest, checkMemberSize, damaged, parseJson } from './archive-members.ts';
import { walkPlaintext, type ArchiveWalk, type WalkOptions } from './archive-walk.ts';
import { readTar } from './tar-reader.ts';
import { TarFormatError } from './tar-format.ts';

// Moved to their own modules; still exported here for the files that import them from here.
export { damaged, MAX_GLOBALS_BYTES, MAX_JSON_MEMBER_BYTES } from './archive-members.ts';
export { walkPlaintext, type ArchiveWalk, type WalkOptions };

export type ArchiveEncoding = 'age' | 'tar';

/** Sniffs the first bytes: an age file, or (for --no-encrypt backups) the tar stream itself. */
export async function detectArchiveEncoding(file: string): Promise<ArchiveEncoding> {
  const { handle, encoding } = await openArchiveFile(file);
  await handle.close();
  return encoding;
}

/**
 * A Lifeboat archive opened for reading, and its encoding from the first bytes: a plain file (a
 * folder, pipe or device is refused, see user-file.ts). The handle is closed when it throws.
 */
export async function openArchiveFile(file: string): Promise<{ handle: FileHandle; encoding: ArchiveEncoding }> {
  const { handle, info } = await openUserFile(file, { folders: true });
  try {
    if (info.isDirectory()) throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is a folder, not a Lifeboat archive.`, 'Choose a .lifeboat file made by Lifeboat.');
    return { handle, encoding: await encodingOf(handle, file) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function encodingOf(handle: FileHandle, file: string): Promise<ArchiveEncoding> {
  const head = Buffer.alloc(512);
  const { bytesRead } = await handle.read(head, 0, 512, 0);
  if (bytesRead === 0) throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is empty.`, 'Use another copy of the backup.');
  if (head.subarray(0, AGE_VERSION_LINE.length).toString('latin1') === AGE_VERSION_LINE || head.toString('latin1', 0, 34) === '-----BEGIN AGE ENCRYPTED FILE-----') return 'age';
  if (bytesRead === 512 && head.toString('utf8', 0, MANIFEST_ENTRY.length) === MANIFEST_ENTRY && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is not a Lifeboat archive (it is neither an age file nor a Lifeboat tar stream).`, 'Choose a .lifeboat file made by Lifeboat.');
}

/** The archive's plaintext tar stream, decrypting when needed. Rejects early on a wrong key. */
export async function openArchivePlaintext(file: string, keys: AgeKeys, signal?: AbortSignal): Promise<AsyncIterable<Buffer>> {
  // One descriptor for the sniff and the read: the file checked is the file read.
  const { handle, encoding } = await openArchiveFile(file);
  const source = createReadStream('', { fd: handle, start: 0, highWaterMark: 1 << 20, signal });
  if (encoding === 'tar') return source as AsyncIterable<Buffer>;
  if ((keys.identities?.length ?? 0) === 0 && (keys.passphrases?.length ?? 0) === 0) {
    source.destroy();
    throw new LifeboatError('NO_KEY', `${file} is encrypted and no key is available to open it.`, 'Give the recovery-key file (--identity KEYFILE) or the passphrase (--passphrase-env VAR).');
  }
  try {
    return await openAge(source as AsyncIterable<Buffer>, keys);
  } catch (error) {
    source.destroy();
    throw error;
  }
}

/**
 * Reads a whole archive and checks its structure: manifest, globals, dump parts in order, checksums
 * last, nothing else; dump and globals hashes against checksums.json. `onDump` sees the dump bytes.
 */
export async function walkArchive(file: string, keys: AgeKeys, options: WalkOptions = {}): Promise<ArchiveWalk> {
  return walkPlaintext(await openArchivePlaintext(file, keys, options.signal), { keys, ...options });
}

/**
 * The restore preflight's check, before anything touches a server: decrypts and walks the whole
 * archive once (hashing, writing nothing) and says who made it. A restore sees the tag only at the
 * end of its stream (checksums.json comes last), too late to choose the rights it runs with.
 * `trusted` are the keys whose tags count (default: the ones that open the file).
 */
export async function authenticateArchive(file: string, keys: AgeKeys, options: { signal?: AbortSignal; trusted?: AgeKeys } = {}): Promise<ArchiveAuthenticity> {
  const walk = await walkArchive(file, keys, { signal: options.signal, keys: options.trusted ?? keys });
  return walk.authenticity;
}

/** Only the manifest: stops reading right after it (fast even for huge archives). */
export async function readManifest(file: string, keys: AgeKeys): Promise<ArchiveManifest> {
  const controller = new AbortController();
  const plaintext = await openArchivePlaintext(file, keys, controller.signal);
  const chunks: Buffer[] = [];
  let manifest: ArchiveManifest | null = null;
  const stop = new Error('stop');
  try {
    await readTar(plaintext, {
      entry(header) {
        if (header.name !== MANIFEST_ENTRY) throw damaged(`the first entry is ${header.name}, not manifest.json`);
        checkMemberSize(header.name, header.size);
      },
      data(chunk) {
        chunks.push(chunk);
      },
      entryEnd() {
        manifest = checkManifest(parseJson(chunks, MANIFEST_ENTRY));
        throw stop;
      },
    });
  } catch (error) {
    if (error !== stop) throw error instanceof TarFormatError ? damaged(error.message) : error;
  } finally {
    controller.abort();
  }
  if (!manifest) throw damaged('manifest.json is missing');
  return manifest;
}
