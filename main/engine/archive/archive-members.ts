// What Lifeboat accepts in the members it reads whole (manifest.json, globals.sql, checksums.json),
// and how damage is reported, for every reader of the archive (archive-reader.ts, archive-walk.ts).
import { formatBytes } from '../format-bytes.ts';
import { LifeboatError } from '../errors.ts';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, CHECKSUMS_ENTRY, GLOBALS_ENTRY, MANIFEST_ENTRY, type ArchiveManifest } from './archive-format.ts';

/**
 * Limits on what is read into memory whole (the dump itself is streamed): manifest.json and
 * checksums.json grow with the number of tables (~200 bytes each), globals.sql with the number of
 * roles. A member over its limit is refused from its tar header, before any of it is read.
 */
export const MAX_JSON_MEMBER_BYTES = 32 * 1024 * 1024;
export const MAX_GLOBALS_BYTES = 16 * 1024 * 1024;

/** Refuses a member that would be read whole when it is larger than Lifeboat reads (see the limits above). */
export function checkMemberSize(name: string, size: number): void {
  const limit = name === GLOBALS_ENTRY ? MAX_GLOBALS_BYTES : name === MANIFEST_ENTRY || name === CHECKSUMS_ENTRY ? MAX_JSON_MEMBER_BYTES : null;
  if (limit === null || size <= limit) return;
  throw new LifeboatError('ARCHIVE_UNSUPPORTED', `The archive's ${name} is ${formatBytes(size, { binary: true })}: more than the ${formatBytes(limit, { binary: true })} Lifeboat reads into memory (${name === GLOBALS_ENTRY ? 'MAX_GLOBALS_BYTES' : 'MAX_JSON_MEMBER_BYTES'}), so it is not read.`,
    name === GLOBALS_ENTRY
      ? 'If you trust the archive, restore it without Lifeboat: age -d -i key.txt FILE | tar -x, create the roles you need from globals.sql by hand, then cat database.dump.* | pg_restore -d …'
      : 'Lifeboat writes one that large only for a database with well over 100,000 tables; otherwise the archive was made or changed by something else. Use another copy of this backup.');
}

/** A member's JSON, read whole; damage when it is not JSON. */
export function parseJson(chunks: Buffer[], name: string): unknown {
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw damaged(`${name} is not valid JSON`);
  }
}

/** A manifest this Lifeboat can read: damage when it is not a Lifeboat manifest, unsupported when it is a newer format. */
export function checkManifest(value: unknown): ArchiveManifest {
  const manifest = value as ArchiveManifest;
  if (!manifest || manifest.format !== ARCHIVE_FORMAT) throw damaged('manifest.json is not a Lifeboat manifest');
  if (typeof manifest.formatVersion !== 'number' || manifest.formatVersion > ARCHIVE_FORMAT_VERSION) {
    throw new LifeboatError('ARCHIVE_UNSUPPORTED', `This archive uses format version ${manifest.formatVersion}, newer than this Lifeboat understands (${ARCHIVE_FORMAT_VERSION}).`, 'Update Lifeboat — or recover without it: age -d -i key.txt FILE | tar -x, then cat database.dump.* | pg_restore -d …');
  }
  return manifest;
}

/** ARCHIVE_DAMAGED, with what is wrong: "The archive is damaged: <detail>." */
export function damaged(detail: string): LifeboatError {
  return new LifeboatError('ARCHIVE_DAMAGED', `The archive is damaged: ${detail}.`, 'Use another copy of this backup, or an earlier backup.');
}
