// The whole-archive check (walkPlaintext): every member in its place, every byte hashed and counted
// against checksums.json, and only then who made it. Used by verify, restore, extract and drills.
import { createHash } from 'node:crypto';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { verifyAuthenticity, type ArchiveAuthenticity } from './archive-authenticity.ts';
import { CHECKSUMS_ENTRY, DUMP_PART_PATTERN, dumpPartName, GLOBALS_ENTRY, MANIFEST_ENTRY, type ArchiveChecksums, type ArchiveManifest } from './archive-format.ts';
import { checkManifest, checkMemberSize, damaged, parseJson } from './archive-members.ts';
import { readTar, type TarVisitor } from './tar-reader.ts';
import { BLOCK, TarFormatError, type TarEntryHeader } from './tar-format.ts';

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

export interface WalkOptions {
  signal?: AbortSignal;
  /** The keys checksums.json's authenticity tag is checked with; without any, a tag cannot verify ('mismatch'). */
  keys?: AgeKeys;
  onDump?: (chunk: Buffer) => void | Promise<void>;
  onPlaintextBytes?: (bytes: number) => void;
  /** Called once globals.sql has been read, before the first dump byte. */
  onGlobals?: (sql: Buffer, manifest: ArchiveManifest) => void | Promise<void>;
}

/** The entries every archive starts with, in this order. */
const FIRST_ENTRIES = [MANIFEST_ENTRY, GLOBALS_ENTRY];

/** The same checks over an already-decrypted tar stream (used by restore, which sniffs first). */
export async function walkPlaintext(plaintext: AsyncIterable<Buffer>, options: WalkOptions = {}): Promise<ArchiveWalk> {
  const walk = new MemberWalk(options);
  const read = { bytes: 0 };
  await readMembers(countPlaintext(plaintext, read, options), walk);
  return checkWalk(walk, read.bytes, options);
}

/** The plaintext as it is, its length counted (and reported) as it passes. */
async function* countPlaintext(plaintext: AsyncIterable<Buffer>, read: { bytes: number }, options: WalkOptions): AsyncGenerator<Buffer> {
  for await (const chunk of plaintext) {
    read.bytes += chunk.length;
    options.onPlaintextBytes?.(read.bytes);
    yield chunk;
  }
}

/** Reads the tar stream into the walk; a tar format error is reported as damage, saying so plainly when the archive is cut short. */
async function readMembers(source: AsyncIterable<Buffer>, walk: MemberWalk): Promise<void> {
  try {
    await readTar(source, walk);
  } catch (error) {
    if (error instanceof TarFormatError) {
      if (/without its end-of-archive marker/.test(error.message) && walk.checksums === null) throw damaged(`it is cut short after ${walk.current || 'its start'}: ${CHECKSUMS_ENTRY} and the end of the archive are missing`);
      throw damaged(error.message);
    }
    throw error;
  }
}

/**
 * The tar visitor of a walk: checks each member's place as its header arrives, keeps the JSON
 * members and globals.sql, hashes and counts globals and dump bytes, and hands the dump on.
 */
class MemberWalk implements TarVisitor {
  readonly #options: WalkOptions;
  readonly #seen: string[] = [];
  /** manifest.json's and checksums.json's bytes, kept from their headers on. */
  readonly json = new Map<string, Buffer[]>();
  manifest: ArchiveManifest | null = null;
  checksums: ArchiveChecksums | null = null;
  readonly dumpHash = createHash('sha256');
  readonly globalsHash = createHash('sha256');
  readonly globalsChunks: Buffer[] = [];
  dumpBytes = 0;
  dumpParts = 0;
  /** The member being read ('' before the first). */
  current = '';
  /** Where the tar stream must end: every entry's header and padded data, then two zero blocks. */
  expectedBytes = 2 * BLOCK;

  constructor(options: WalkOptions) {
    this.#options = options;
  }

  entry(header: TarEntryHeader): void {
    this.current = header.name;
    this.expectedBytes += BLOCK + Math.ceil(header.size / BLOCK) * BLOCK;
    this.#checkPlace(header.name);
    checkMemberSize(header.name, header.size);
    if (header.name === MANIFEST_ENTRY || header.name === CHECKSUMS_ENTRY) this.json.set(header.name, []);
  }

  async data(chunk: Buffer): Promise<void> {
    if (this.current === MANIFEST_ENTRY || this.current === CHECKSUMS_ENTRY) this.json.get(this.current)!.push(chunk);
    else if (this.current === GLOBALS_ENTRY) {
      this.globalsHash.update(chunk);
      this.globalsChunks.push(chunk);
    } else {
      this.dumpHash.update(chunk);
      this.dumpBytes += chunk.length;
      await this.#options.onDump?.(chunk);
    }
  }

  async entryEnd(header: TarEntryHeader): Promise<void> {
    if (header.name === MANIFEST_ENTRY) this.manifest = checkManifest(parseJson(this.json.get(MANIFEST_ENTRY)!, MANIFEST_ENTRY));
    if (header.name === GLOBALS_ENTRY) await this.#options.onGlobals?.(Buffer.concat(this.globalsChunks), this.manifest!);
    if (header.name === CHECKSUMS_ENTRY) this.checksums = parseJson(this.json.get(CHECKSUMS_ENTRY)!, CHECKSUMS_ENTRY) as ArchiveChecksums;
  }

  /** manifest.json, globals.sql, the dump parts in order (at least one), checksums.json last — and nothing else. */
  #checkPlace(name: string): void {
    const index = this.#seen.length;
    this.#seen.push(name);
    if (index < FIRST_ENTRIES.length && name !== FIRST_ENTRIES[index]) throw damaged(`expected ${FIRST_ENTRIES[index]} as entry ${index + 1}, found ${name}`);
    if (index < FIRST_ENTRIES.length) return;
    if (this.checksums !== null || this.json.has(CHECKSUMS_ENTRY)) throw damaged(`unexpected entry ${name} after ${CHECKSUMS_ENTRY}`);
    const part = DUMP_PART_PATTERN.exec(name);
    if (part) {
      if (name !== dumpPartName(this.dumpParts + 1)) throw damaged(`dump part ${name} is out of order (expected ${dumpPartName(this.dumpParts + 1)})`);
      this.dumpParts++;
    } else if (name !== CHECKSUMS_ENTRY || this.dumpParts === 0) {
      throw damaged(`unexpected entry ${name}`);
    }
  }
}

/** After the last member: the archive complete, every checksum matching — and only then, who made it. */
async function checkWalk(walk: MemberWalk, plaintextBytes: number, options: WalkOptions): Promise<ArchiveWalk> {
  // The tar reader stops at the first zero block; the writer always writes both.
  if (plaintextBytes < walk.expectedBytes) throw damaged(`it is cut short inside its end-of-archive marker (${walk.expectedBytes - plaintextBytes} bytes missing)`);
  const { manifest, checksums } = walk;
  if (!manifest) throw damaged('manifest.json is missing');
  if (!checksums) throw damaged(`${CHECKSUMS_ENTRY} is missing: the backup did not finish writing this archive`);
  const sums: ArchiveChecksums = checksums;
  const dumpSha256 = walk.dumpHash.digest('hex');
  if (sums.dump.sha256 !== dumpSha256 || sums.dump.bytes !== walk.dumpBytes || sums.dump.parts !== walk.dumpParts) {
    throw damaged(`the database dump does not match its checksum (sha256 ${dumpSha256.slice(0, 12)}… vs ${String(sums.dump.sha256).slice(0, 12)}…)`);
  }
  checkManifestSum(sums, walk.json.get(MANIFEST_ENTRY)!);
  if (sums.globals.sha256 !== walk.globalsHash.digest('hex')) throw damaged('globals.sql does not match its checksum');
  // Only now: the tag vouches for the sums just checked against the bytes, so it counts for those bytes.
  const authenticity = await verifyAuthenticity(sums, options.keys ?? {});
  return { manifest, checksums: sums, globals: Buffer.concat(walk.globalsChunks), dumpSha256, dumpBytes: walk.dumpBytes, dumpParts: walk.dumpParts, authenticity };
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
