// Which sidecars this Lifeboat wrote. Retention deletes, the stale alert stays quiet and drills pick
// "the latest backup" by what sidecars say (profile, dates, verified, drilled), and a sidecar is a
// plain file in a folder others may write to: twelve random files with sidecars claiming the profile
// and future dates would otherwise push every real backup out of retention. So every sidecar
// Lifeboat writes carries `libraryTag`, an HMAC-SHA256 over all its fields keyed with the library
// key, and only archives whose tag verifies (and whose file still has the recorded size) count.
//
// The library key: 32 random bytes per installation, made on first use, never derived from the age
// identity or passphrase (recipients-only and unencrypted backups must be tagged too, and a passphrase
// is shared by people). It is `<dataDir>/library-key` — the same for the app, the CLI and the OS job,
// with or without a desktop keychain (a key in the keychain would differ from the one an unattended
// run without it uses, and each would take the other's backups for strangers'). It is created
// exclusively with mode 0600 and used only while it is a regular file owned by this user that no one
// else may read or write: a key others can read lets them tag decoys, and a planted one would be theirs.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveSidecar } from './archive-format.ts';
import { writeFileDurably } from '../files/durable-files.ts';

export const LIBRARY_KEY_FILE = 'library-key';
const TAG_INFO = 'lifeboat sidecar tag v1';
const KEY_TEXT = /^[0-9a-f]{64}$/;

/** This installation's library key; null from get() when it cannot be had (then nothing is recognised, and sidecars are written untagged). */
export class LibraryKey {
  readonly #file: string;
  /** One creation at a time in this process; other processes race through link(). */
  #creating: Promise<Buffer> | null = null;
  /** Why the last get() found no key, for messages; null when it found one. */
  problem: string | null = null;

  constructor(deps: { dataDir: string }) {
    this.#file = path.join(deps.dataDir, LIBRARY_KEY_FILE);
  }

  /** Read each time (cheap): another Lifeboat process may have created it meanwhile. */
  async get(): Promise<Buffer | null> {
    try {
      const key = await this.#fromFile();
      this.problem = null;
      return key;
    } catch (error) {
      this.problem = (error as Error).message;
      return null;
    }
  }

  async #fromFile(): Promise<Buffer> {
    const existing = await readKeyFile(this.#file);
    if (existing) return existing;
    this.#creating ??= createKeyFile(this.#file).finally(() => (this.#creating = null));
    return this.#creating;
  }
}

/** Writes a complete key to a private temporary file, then links it into place: link() fails if the name exists, so a reader never sees half a key and a racing process's key is never replaced. */
async function createKeyFile(file: string): Promise<Buffer> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx', flush: true });
    await link(temp, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(temp, { force: true });
  }
  const key = await readKeyFile(file);
  if (!key) throw new Error(`${file} vanished while it was being created`);
  return key;
}

/** The key in the file, null when there is no file; throws when the file is not one to trust. */
async function readKeyFile(file: string): Promise<Buffer | null> {
  const handle = await open(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new Error(`The library key ${file} cannot be opened (${error.code === 'ELOOP' ? 'it is a symbolic link' : (error.code ?? error.message)})`);
  });
  if (!handle) return null;
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > 1024) throw new Error(`The library key ${file} is not a small regular file`);
    // Windows reports no Unix owner or mode; the data folder in the user's profile is private there.
    if (process.platform !== 'win32') {
      if (info.uid !== process.getuid?.()) throw new Error(`The library key ${file} belongs to another user (uid ${info.uid})`);
      if ((info.mode & 0o077) !== 0) throw new Error(`The library key ${file} may be read or written by others (mode ${(info.mode & 0o777).toString(8)}); Lifeboat does not use it`);
    }
    return keyFromText((await handle.readFile('utf8')).trim(), file);
  } finally {
    await handle.close();
  }
}

function keyFromText(text: string, where: string): Buffer {
  if (!KEY_TEXT.test(text)) throw new Error(`The library key in ${where} is not 64 hexadecimal digits`);
  return Buffer.from(text, 'hex');
}

/**
 * Every field, in a fixed order, as JSON text (unambiguous: strings are quoted and escaped). New
 * optional fields must be added here, or they would not be covered by the tag.
 */
function canonical(s: ArchiveSidecar): string {
  return JSON.stringify([
    TAG_INFO, s.sidecarVersion, s.archive, s.formatVersion, s.profile, s.host, s.port, s.database, s.serverVersion, s.pgDumpVersion,
    s.createdAt, s.finishedAt, s.durationMs, s.bytes, s.sha256, s.encryption.kind, s.encryption.recipients, s.compression, s.tables,
    s.totalRows, s.rowCountsExact, s.dumpBytes,
    s.verification ? [s.verification.at, s.verification.level, s.verification.ok, s.verification.message] : null,
    s.drill ? [s.drill.at, s.drill.passed, s.drill.recoveryMs] : null,
    s.partial === true,
  ]);
}

function mac(key: Buffer, sidecar: ArchiveSidecar): string {
  return createHmac('sha256', key).update(canonical(sidecar)).digest('hex');
}

/** The sidecar with a fresh tag when `key` is given, and with none otherwise: an old tag never survives a change. */
export function tagSidecar(sidecar: ArchiveSidecar, key: Buffer | null): ArchiveSidecar {
  const { libraryTag: _old, ...fields } = sidecar;
  return key ? { ...fields, libraryTag: mac(key, fields) } : fields;
}

export function sidecarTagVerifies(sidecar: ArchiveSidecar, key: Buffer | null): boolean {
  if (!key || typeof sidecar.libraryTag !== 'string' || !KEY_TEXT.test(sidecar.libraryTag)) return false;
  return timingSafeEqual(Buffer.from(mac(key, sidecar), 'hex'), Buffer.from(sidecar.libraryTag, 'hex'));
}

/**
 * Recognised as this Lifeboat's backup: the tag verifies, and the sidecar is about this very file
 * (its name, and its size now — a cheap check; the sha256 is compared by verify and drills).
 */
export function isRecognised(sidecar: ArchiveSidecar, file: { name: string; size: number }, key: Buffer | null): boolean {
  return sidecar.partial !== true && sidecar.archive === file.name && sidecar.bytes === file.size && sidecarTagVerifies(sidecar, key);
}

/** Writes a sidecar (tagged with `key`, or untagged when null) and returns what was written. */
export async function writeSidecarFile(sidecarPath: string, sidecar: ArchiveSidecar, key: Buffer | null): Promise<ArchiveSidecar> {
  const written = tagSidecar(sidecar, key);
  await writeFileDurably(sidecarPath, `${JSON.stringify(written, null, 2)}\n`);
  return written;
}
