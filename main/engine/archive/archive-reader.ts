import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { LifeboatError } from '../errors.ts';
import { openAge, type AgeKeys } from '../crypto/age-decrypt.ts';
import { AGE_VERSION_LINE } from '../crypto/age-encrypt.ts';
import { verifyAuthenticity, type ArchiveAuthenticity } from './archive-authenticity.ts';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  CHECKSUMS_ENTRY,
  DUMP_PART_PATTERN,
  dumpPartName,
  GLOBALS_ENTRY,
  MANIFEST_ENTRY,
  type ArchiveChecksums,
  type ArchiveManifest,
} from './archive-format.ts';
import { readTar } from './tar-reader.ts';
import { BLOCK, TarFormatError } from './tar-format.ts';

/**
 * Limits on what is read into memory whole (the dump itself is streamed): manifest.json and
 * checksums.json grow with the number of tables (~200 bytes each), globals.sql with the number of
 * roles. A member over its limit is refused from its tar header, before any of it is read.
 */
export const MAX_JSON_MEMBER_BYTES = 32 * 1024 * 1024;
export const MAX_GLOBALS_BYTES = 16 * 1024 * 1024;

export type ArchiveEncoding = 'age' | 'tar';

/** Sniffs the first bytes: an age file, or (for --no-encrypt backups) the tar stream itself. */
export async function detectArchiveEncoding(file: string): Promise<ArchiveEncoding> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new LifeboatError('FILE_NOT_FOUND', `Cannot open ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`, 'Check the path.');
  });
  try {
    if ((await handle.stat()).isDirectory()) throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is a folder, not a Lifeboat archive.`, 'Choose a .lifeboat file made by Lifeboat.');
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead === 0) throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is empty.`, 'Use another copy of the backup.');
    if (head.subarray(0, AGE_VERSION_LINE.length).toString('latin1') === AGE_VERSION_LINE || head.toString('latin1', 0, 34) === '-----BEGIN AGE ENCRYPTED FILE-----') return 'age';
    if (bytesRead === 512 && head.toString('utf8', 0, MANIFEST_ENTRY.length) === MANIFEST_ENTRY && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
    throw new LifeboatError('NOT_AN_ARCHIVE', `${file} is not a Lifeboat archive (it is neither an age file nor a Lifeboat tar stream).`, 'Choose a .lifeboat file made by Lifeboat.');
  } finally {
    await handle.close();
  }
}

/** The archive's plaintext tar stream, decrypting when needed. Rejects early on a wrong key. */
export async function openArchivePlaintext(file: string, keys: AgeKeys, signal?: AbortSignal): Promise<AsyncIterable<Buffer>> {
  const encoding = await detectArchiveEncoding(file);
  const source = createReadStream(file, { highWaterMark: 1 << 20, signal });
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

export interface ArchiveWalk {
  manifest: ArchiveManifest;
  checksums: ArchiveChecksums;
  globals: Buffer;
  dumpSha256: string;
  dumpBytes: number;
  dumpParts: number;
  /** Who made it, by checksums.json's tag and the keys at hand (WalkOptions.keys); decided only after every checksum matched. */
  authenticity: ArchiveAuthenticity;
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

export interface WalkOptions {
  signal?: AbortSignal;
  /** The keys checksums.json's authenticity tag is checked with; without any, a tag cannot verify ('mismatch'). */
  keys?: AgeKeys;
  onDump?: (chunk: Buffer) => void | Promise<void>;
  onPlaintextBytes?: (bytes: number) => void;
  /** Called once globals.sql has been read, before the first dump byte. */
  onGlobals?: (sql: Buffer, manifest: ArchiveManifest) => void | Promise<void>;
}

/** The same checks over an already-decrypted tar stream (used by restore, which sniffs first). */
export async function walkPlaintext(plaintext: AsyncIterable<Buffer>, options: WalkOptions = {}): Promise<ArchiveWalk> {
  const expected = [MANIFEST_ENTRY, GLOBALS_ENTRY];
  const seen: string[] = [];
  const json = new Map<string, Buffer[]>();
  let manifest: ArchiveManifest | null = null;
  let checksums: ArchiveChecksums | null = null;
  const dumpHash = createHash('sha256');
  const globalsHash = createHash('sha256');
  const globalsChunks: Buffer[] = [];
  let dumpBytes = 0;
  let dumpParts = 0;
  let plaintextBytes = 0;
  let current = '';
  // Where the tar stream must end: every entry's header and padded data, then two zero blocks.
  let expectedBytes = 2 * BLOCK;

  const counted = (async function* () {
    for await (const chunk of plaintext) {
      plaintextBytes += chunk.length;
      options.onPlaintextBytes?.(plaintextBytes);
      yield chunk;
    }
  })();

  try {
    await readTar(counted, {
      entry(header) {
        current = header.name;
        expectedBytes += BLOCK + Math.ceil(header.size / BLOCK) * BLOCK;
        const index = seen.length;
        seen.push(header.name);
        if (index < expected.length && header.name !== expected[index]) throw damaged(`expected ${expected[index]} as entry ${index + 1}, found ${header.name}`);
        if (index >= 2) {
          if (checksums !== null || json.has(CHECKSUMS_ENTRY)) throw damaged(`unexpected entry ${header.name} after ${CHECKSUMS_ENTRY}`);
          const part = DUMP_PART_PATTERN.exec(header.name);
          if (part) {
            if (header.name !== dumpPartName(dumpParts + 1)) throw damaged(`dump part ${header.name} is out of order (expected ${dumpPartName(dumpParts + 1)})`);
            dumpParts++;
          } else if (header.name !== CHECKSUMS_ENTRY || dumpParts === 0) {
            throw damaged(`unexpected entry ${header.name}`);
          }
        }
        checkMemberSize(header.name, header.size);
        if (header.name === MANIFEST_ENTRY || header.name === CHECKSUMS_ENTRY) json.set(header.name, []);
      },
      async data(chunk) {
        if (current === MANIFEST_ENTRY || current === CHECKSUMS_ENTRY) json.get(current)!.push(chunk);
        else if (current === GLOBALS_ENTRY) {
          globalsHash.update(chunk);
          globalsChunks.push(chunk);
        } else {
          dumpHash.update(chunk);
          dumpBytes += chunk.length;
          await options.onDump?.(chunk);
        }
      },
      async entryEnd(header) {
        if (header.name === MANIFEST_ENTRY) manifest = checkManifest(parseJson(json.get(MANIFEST_ENTRY)!, MANIFEST_ENTRY));
        if (header.name === GLOBALS_ENTRY) await options.onGlobals?.(Buffer.concat(globalsChunks), manifest!);
        if (header.name === CHECKSUMS_ENTRY) checksums = parseJson(json.get(CHECKSUMS_ENTRY)!, CHECKSUMS_ENTRY) as ArchiveChecksums;
      },
    });
  } catch (error) {
    if (error instanceof TarFormatError) {
      if (/without its end-of-archive marker/.test(error.message) && checksums === null) throw damaged(`it is cut short after ${current || 'its start'}: ${CHECKSUMS_ENTRY} and the end of the archive are missing`);
      throw damaged(error.message);
    }
    throw error;
  }
  // The tar reader stops at the first zero block; the writer always writes both.
  if (plaintextBytes < expectedBytes) throw damaged(`it is cut short inside its end-of-archive marker (${expectedBytes - plaintextBytes} bytes missing)`);
  if (!manifest) throw damaged('manifest.json is missing');
  if (!checksums) throw damaged(`${CHECKSUMS_ENTRY} is missing: the backup did not finish writing this archive`);
  const sums: ArchiveChecksums = checksums;
  const dumpSha256 = dumpHash.digest('hex');
  if (sums.dump.sha256 !== dumpSha256 || sums.dump.bytes !== dumpBytes || sums.dump.parts !== dumpParts) {
    throw damaged(`the database dump does not match its checksum (sha256 ${dumpSha256.slice(0, 12)}… vs ${String(sums.dump.sha256).slice(0, 12)}…)`);
  }
  checkManifestSum(sums, json.get(MANIFEST_ENTRY)!);
  if (sums.globals.sha256 !== globalsHash.digest('hex')) throw damaged('globals.sql does not match its checksum');
  // Only now: the tag vouches for the sums just checked against the bytes, so it counts for those bytes.
  const authenticity = await verifyAuthenticity(sums, options.keys ?? {});
  return { manifest, checksums: sums, globals: Buffer.concat(globalsChunks), dumpSha256, dumpBytes, dumpParts, authenticity };
}

/**
 * checksums.json covers manifest.json in archives written since it has a `manifest` field; older
 * archives have none and are read as before (their manifest is checked only for its shape).
 */
function checkManifestSum(sums: ArchiveChecksums, manifestChunks: Buffer[]): void {
  if (sums.manifest === undefined || sums.manifest === null) return;
  const bytes = Buffer.concat(manifestChunks);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (typeof sums.manifest !== 'object' || sums.manifest.sha256 !== actual || sums.manifest.bytes !== bytes.length) {
    throw damaged(`manifest.json does not match its checksum in ${CHECKSUMS_ENTRY} (sha256 ${actual.slice(0, 12)}…, ${bytes.length} bytes): it was changed or damaged after the backup was written`);
  }
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

/** Refuses a member that would be read whole when it is larger than Lifeboat reads (see the limits above). */
function checkMemberSize(name: string, size: number): void {
  const limit = name === GLOBALS_ENTRY ? MAX_GLOBALS_BYTES : name === MANIFEST_ENTRY || name === CHECKSUMS_ENTRY ? MAX_JSON_MEMBER_BYTES : null;
  if (limit === null || size <= limit) return;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
  throw new LifeboatError('ARCHIVE_UNSUPPORTED', `The archive's ${name} is ${mib(size)}: more than the ${mib(limit)} Lifeboat reads into memory (${name === GLOBALS_ENTRY ? 'MAX_GLOBALS_BYTES' : 'MAX_JSON_MEMBER_BYTES'}), so it is not read.`,
    name === GLOBALS_ENTRY
      ? 'If you trust the archive, restore it without Lifeboat: age -d -i key.txt FILE | tar -x, create the roles you need from globals.sql by hand, then cat database.dump.* | pg_restore -d …'
      : 'Lifeboat writes one that large only for a database with well over 100,000 tables; otherwise the archive was made or changed by something else. Use another copy of this backup.');
}

function parseJson(chunks: Buffer[], name: string): unknown {
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw damaged(`${name} is not valid JSON`);
  }
}

function checkManifest(value: unknown): ArchiveManifest {
  const manifest = value as ArchiveManifest;
  if (!manifest || manifest.format !== ARCHIVE_FORMAT) throw damaged('manifest.json is not a Lifeboat manifest');
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > ARCHIVE_FORMAT_VERSION) {
    throw new LifeboatError('ARCHIVE_UNSUPPORTED', `This archive uses format version ${manifest.formatVersion}, newer than this Lifeboat understands (${ARCHIVE_FORMAT_VERSION}).`, 'Update Lifeboat — or recover without it: age -d -i key.txt FILE | tar -x, then cat database.dump.* | pg_restore -d …');
  }
  return manifest;
}

export function damaged(detail: string): LifeboatError {
  return new LifeboatError('ARCHIVE_DAMAGED', `The archive is damaged: ${detail}.`, 'Use another copy of this backup, or an earlier backup.');
}
