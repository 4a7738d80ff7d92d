// A bounded reader of the toc.dat of a pg_dump directory-format dump, written after pg_restore's own
// (pg_backup_archiver.c ReadHead/ReadToc, pg_backup_directory.c _ReadExtraToc) for the archive
// versions pg_dump 9.0–18 write: 1.12–1.16. It exists because pg_restore opens "<folder>/<name>" for
// every data-file name toc.dat gives, so a crafted toc.dat can make it read ../../etc/passwd into a
// table. Lifeboat reads the names first. Wherever pg_restore would read the bytes differently (or
// crash, or fail), this reader refuses instead: it must never accept a file pg_restore reads otherwise.
import { openUserFile } from '../files/user-file.ts';
import { LifeboatError } from '../errors.ts';

/** toc.dat is read whole: the TOC of a database with a million objects stays well below this. */
export const TOC_DAT_MAX_BYTES = 256 * 1024 * 1024;
const MIN_MINOR = 12;
const MAX_MINOR = 16;
const INT_SIZE = 4; // sizeof(int) wherever pg_dump runs; pg_restore's ReadInt is only exact for it
/** The directory format writes the tar format's code into toc.dat (pg_backup_directory.c). */
const FORMAT_CODE = 3;
/** archCustom (pg_backup.h). */
const CUSTOM_FORMAT_CODE = 1;
/** pg_restore allocates an array of maxDumpId pointers when restoring: no real dump comes near this. */
const MAX_DUMP_ID = 1 << 26;
const COMPRESSION = ['none', 'gzip', 'lz4', 'zstd'] as const;
/** SECTION_NONE … SECTION_POST_DATA (pg_backup.h). */
const SECTIONS = new Set([1, 2, 3, 4]);

export type TocCompression = (typeof COMPRESSION)[number];

export interface TocDatHeader {
  /** Archive version minor (1.<minor>-0), 12–16. */
  minor: number;
  intSize: number;
  offSize: number;
  compression: TocCompression;
  database: string | null;
  serverVersion: string | null;
  pgDumpVersion: string | null;
  tocCount: number;
}

export interface TocDatEntry {
  dumpId: number;
  hadDumper: boolean;
  tableoid: number;
  oid: number;
  tag: string;
  desc: string;
  section: number;
  namespace: string | null;
  owner: string | null;
  dependencies: number[];
  /**
   * The file pg_restore opens for this entry's data, relative to the folder (it may add .gz, .lz4 or
   * .zst when the plain name is absent): NNNN.dat, or a large-object TOC (blobs.toc, blobs_NNNN.toc).
   */
  dataFile: string | null;
  /** The SQL pg_restore runs for the entry, and for a TABLE DATA entry the COPY it starts the rows with. */
  definition: string | null;
  copyStatement: string | null;
}

export interface TocDat {
  header: TocDatHeader;
  entries: TocDatEntry[];
}

/** Data-file names pg_dump writes into toc.dat ("%d.dat", "blobs_%d.toc", and "blobs.toc" before 1.16). */
const TOC_DATA_FILE = /^[1-9]\d{0,9}\.dat$/;
const TOC_LO_TOC_FILE = /^blobs(?:_[1-9]\d{0,9})?\.toc$/;

export interface ReadTocOptions {
  /** How strings are decoded: utf8 for display, latin1 to compare byte for byte with pg_restore's output. */
  text?: 'utf8' | 'latin1';
  /**
   * 'custom': the table of contents at the start of a pg_dump -Fc file (same entries; each ends with
   * its data's offset instead of a file name, and the data follows).
   */
  format?: 'directory' | 'custom';
  /** The bytes are only the file's beginning (custom format): running out of them throws TocTruncated. */
  partial?: boolean;
}

/** The bytes given end before the custom-format table of contents does. */
export class TocTruncated extends Error {}

/** Parses toc.dat; throws a LifeboatError (ARCHIVE_DAMAGED or ARCHIVE_UNSUPPORTED) for anything else. */
export function readTocDat(bytes: Buffer, options: ReadTocOptions = {}): TocDat {
  if (bytes.length > TOC_DAT_MAX_BYTES) throw damaged(`it is ${bytes.length} bytes, more than the ${TOC_DAT_MAX_BYTES} Lifeboat reads`);
  const custom = options.format === 'custom';
  const cursor = new TocCursor(bytes, options.text ?? 'utf8', custom && options.partial === true);
  const header = readHeader(cursor, custom ? CUSTOM_FORMAT_CODE : FORMAT_CODE);
  const entries: TocDatEntry[] = [];
  const seen = new Set<number>();
  for (let index = 0; index < header.tocCount; index++) {
    const entry = readEntry(cursor, header, index, custom);
    if (seen.has(entry.dumpId)) throw damaged(`entry ${index + 1} repeats dump ID ${entry.dumpId}`);
    seen.add(entry.dumpId);
    entries.push(entry);
  }
  // pg_restore stops reading after the last entry; pg_dump never writes anything there (custom: the data follows).
  if (!custom && cursor.remaining > 0) throw damaged(`${cursor.remaining} unexpected bytes follow its last entry`);
  return { header, entries };
}

function readHeader(cursor: TocCursor, formatCode: number): TocDatHeader {
  if (cursor.take(5, 'the header').toString('latin1') !== 'PGDMP') throw damaged('it does not start with PGDMP (it is not a pg_dump table of contents)');
  const major = cursor.byte('the version');
  const minor = cursor.byte('the version');
  const rev = cursor.byte('the version');
  if (major !== 1 || minor < MIN_MINOR || minor > MAX_MINOR || rev !== 0) {
    throw new LifeboatError('ARCHIVE_UNSUPPORTED', `The directory dump's toc.dat has archive version ${major}.${minor}-${rev}; Lifeboat reads versions 1.${MIN_MINOR} to 1.${MAX_MINOR} (written by pg_dump 9.0 to 18).`, 'Check the folder holds an untouched pg_dump -Fd dump; one from a newer pg_dump needs a newer Lifeboat.');
  }
  const intSize = cursor.byte('the integer size');
  if (intSize !== INT_SIZE) throw damaged(`its integer size is ${intSize} bytes (pg_dump writes ${INT_SIZE})`);
  const offSize = cursor.byte('the offset size');
  if (offSize !== 4 && offSize !== 8) throw damaged(`its offset size is ${offSize} bytes (pg_dump writes 4 or 8)`);
  const format = cursor.byte('the format code');
  if (format !== formatCode) throw damaged(`its format code is ${format}, not the ${formatCode} of a ${formatCode === FORMAT_CODE ? 'directory' : 'custom'}-format dump`);
  let compression: TocCompression;
  if (minor >= 15) {
    const code = cursor.byte('the compression method');
    if (code >= COMPRESSION.length) throw damaged(`its compression method ${code} is unknown`);
    compression = COMPRESSION[code]!;
  } else {
    compression = cursor.int('the compression level') !== 0 ? 'gzip' : 'none';
  }
  for (let i = 0; i < 7; i++) cursor.int('the creation date'); // struct tm fields, any value (pg_restore only warns)
  const header = {
    minor, intSize, offSize, compression,
    database: cursor.str('the database name'),
    serverVersion: cursor.str('the server version'),
    pgDumpVersion: cursor.str('the pg_dump version'),
    tocCount: cursor.int('the entry count'),
  };
  // Each entry takes at least 18 length-prefixed fields: a count beyond what the file can hold is damage.
  const minimumEntry = 14 * (INT_SIZE + 1);
  if (header.tocCount > cursor.remaining / minimumEntry && cursor.partial) throw new TocTruncated('the entries');
  if (header.tocCount < 0 || header.tocCount > cursor.remaining / minimumEntry) throw damaged(`it claims ${header.tocCount} entries, which its ${cursor.remaining} remaining bytes cannot hold`);
  return header;
}

function readEntry(cursor: TocCursor, header: TocDatHeader, index: number, custom: boolean): TocDatEntry {
  const where = `entry ${index + 1}`;
  const dumpId = cursor.int(`${where}'s dump ID`);
  if (dumpId <= 0 || dumpId > MAX_DUMP_ID) throw damaged(`${where} has dump ID ${dumpId}, out of range`);
  const at = `${where} (dump ID ${dumpId})`;
  const hadDumper = cursor.int(`${at}'s data flag`) !== 0;
  const tableoid = oidOf(cursor.required(`${at}'s table OID`), `${at}'s table OID`);
  const oid = oidOf(cursor.required(`${at}'s OID`), `${at}'s OID`);
  const tag = cursor.required(`${at}'s tag`);
  const desc = cursor.required(`${at}'s type`);
  const section = cursor.int(`${at}'s section`);
  if (!SECTIONS.has(section)) throw damaged(`${at} has section ${section}, not one pg_dump writes`);
  const defn = cursor.str(`${at}'s definition`);
  cursor.str(`${at}'s DROP command`);
  const copyStatement = cursor.str(`${at}'s COPY command`);
  const namespace = cursor.str(`${at}'s schema`);
  cursor.str(`${at}'s tablespace`);
  if (header.minor >= 14) cursor.str(`${at}'s table access method`);
  if (header.minor >= 16) cursor.int(`${at}'s relkind`);
  const owner = cursor.str(`${at}'s owner`);
  cursor.required(`${at}'s WITH OIDS flag`); // pg_restore compares it with strcmp: a NULL crashes it
  const dependencies = readDependencies(cursor, at);
  // pg_backup_custom.c _ReadExtraToc: the data's offset (a flag byte and offSize bytes), no file name.
  const dataFile = custom ? (cursor.take(1 + header.offSize, `${at}'s data offset`), null) : dataFileOf(cursor.required(`${at}'s data file name`), desc, header.minor, at);
  checkSpecialEntry(desc, defn, at);
  return { dumpId, hadDumper, tableoid, oid, tag, desc, section, namespace, owner, dependencies, dataFile, definition: defn, copyStatement };
}

function readDependencies(cursor: TocCursor, at: string): number[] {
  const dependencies: number[] = [];
  // A NULL string ends the list; each element takes at least 5 bytes, so the file bounds the loop.
  for (;;) {
    const text = cursor.str(`${at}'s dependencies`);
    if (text === null) return dependencies;
    if (!/^\d{1,10}$/.test(text) || Number(text) > 0x7fffffff) throw damaged(`${at} has a dependency "${printable(text)}" that is not a dump ID`);
    dependencies.push(Number(text));
  }
}

/** The file pg_restore would open, or a refusal when the name is not one pg_dump writes. */
function dataFileOf(name: string, desc: string, minor: number, at: string): string | null {
  if (name === '') return null;
  if (desc === 'BLOBS') {
    // Before 1.16 pg_restore always opens blobs.toc, whatever the entry says (pg_backup_directory.c _LoadLOs).
    if (minor < 16 && (TOC_LO_TOC_FILE.test(name) || TOC_DATA_FILE.test(name))) return 'blobs.toc';
    if (minor >= 16 && TOC_LO_TOC_FILE.test(name)) return name;
  } else if (TOC_DATA_FILE.test(name)) {
    return name;
  }
  throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump's toc.dat names the data file "${printable(name)}" for ${at} (${printable(desc)}): pg_dump never writes that name, and pg_restore would open it relative to the folder.`, 'Do not restore this folder: it was made or changed by something other than pg_dump. Use another copy of the dump.');
}

/**
 * pg_restore acts on three entry types while reading and fails (or crashes) on a malformed one
 * (processEncodingEntry, processStdStringsEntry, processSearchPathEntry): refuse where it would.
 */
function checkSpecialEntry(desc: string, defn: string | null, at: string): void {
  if (desc !== 'ENCODING' && desc !== 'STDSTRINGS' && desc !== 'SEARCHPATH') return;
  if (defn === null) throw damaged(`${at} (${desc}) has no definition`);
  if (desc === 'ENCODING') {
    const name = /^[^']*'([^']*)'/.exec(defn)?.[1];
    if (name === undefined || !knownEncoding(name)) throw damaged(`${at} sets an encoding Lifeboat does not recognise: ${printable(defn.slice(0, 80))}`);
  } else if (desc === 'STDSTRINGS') {
    const value = defn.slice(defn.indexOf("'"));
    if (!defn.includes("'") || !(value.startsWith("'on'") || value.startsWith("'off'"))) throw damaged(`${at} has an invalid standard_conforming_strings setting: ${printable(defn.slice(0, 80))}`);
  }
}

/** pg_char_to_encoding's names (common/encnames.c), compared the way it cleans them. */
const ENCODINGS = new Set(('abc alt big5 euccn eucjis2004 eucjp euckr euctw gb18030 gbk iso88591 iso885910 iso885913 iso885914 iso885915 iso885916 ' +
  'iso88592 iso88593 iso88594 iso88595 iso88596 iso88597 iso88598 iso88599 johab koi8 koi8r koi8u latin1 latin10 latin2 latin3 latin4 latin5 latin6 ' +
  'latin7 latin8 latin9 mskanji muleinternal shiftjis shiftjis2004 sjis sqlascii tcvn tcvn5712 uhc unicode utf8 vscii win win1250 win1251 win1252 win1253 ' +
  'win1254 win1255 win1256 win1257 win1258 win866 win874 win932 win936 win949 win950 windows1250 windows1251 windows1252 windows1253 windows1254 ' +
  'windows1255 windows1256 windows1257 windows1258 windows866 windows874 windows932 windows936 windows949 windows950').split(' '));

function knownEncoding(name: string): boolean {
  // Non-ASCII bytes are letters or not depending on pg_restore's locale: refuse rather than guess.
  if (name.length === 0 || name.length >= 64 || /[^\x20-\x7e]/.test(name)) return false;
  return ENCODINGS.has(name.replace(/[^A-Za-z0-9]/g, '').toLowerCase());
}

/** sscanf("%u") of the strings pg_dump writes; anything it would read differently is refused. */
function oidOf(text: string, what: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) throw damaged(`${what} "${printable(text)}" is not a number`);
  return Number(text);
}

const printable = (text: string) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);

function damaged(detail: string): LifeboatError {
  return new LifeboatError('ARCHIVE_DAMAGED', `The directory dump's toc.dat is damaged or was not written by pg_dump: ${detail}.`, 'Use another copy of the dump, or dump the database again with pg_dump -Fd.');
}

/** ReadInt/ReadStr over a buffer: every read is checked against the bytes left. */
class TocCursor {
  #offset = 0;
  readonly #bytes: Buffer;
  readonly #text: 'utf8' | 'latin1';
  /** The bytes are only the beginning of a longer file: running out means "read more", not damage. */
  readonly #partial: boolean;

  constructor(bytes: Buffer, text: 'utf8' | 'latin1', partial = false) {
    this.#bytes = bytes;
    this.#text = text;
    this.#partial = partial;
  }

  get partial(): boolean {
    return this.#partial;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  take(n: number, what: string): Buffer {
    if (n > this.remaining && this.#partial) throw new TocTruncated(what);
    if (n > this.remaining) throw damaged(`it ends inside ${what} (at byte ${this.#offset}, ${n} bytes needed, ${this.remaining} left)`);
    const part = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return part;
  }

  byte(what: string): number {
    return this.take(1, what)[0]!;
  }

  /** A sign byte (any non-zero value: negative) then a 4-byte little-endian magnitude, as ReadInt wraps it. */
  int(what: string): number {
    const sign = this.byte(what);
    const value = this.take(INT_SIZE, what).readInt32LE(0);
    return sign ? -value | 0 : value;
  }

  /** A length (negative: NULL) then the bytes; C reads it up to its first NUL. */
  str(what: string): string | null {
    const at = this.#offset;
    const length = this.int(what);
    if (length < 0) return null;
    if (length > this.remaining && this.#partial) throw new TocTruncated(what);
    if (length > this.remaining) throw damaged(`${what} (at byte ${at}) claims ${length} bytes, but only ${this.remaining} are left`);
    const raw = this.take(length, what);
    const nul = raw.indexOf(0);
    return (nul === -1 ? raw : raw.subarray(0, nul)).toString(this.#text);
  }

  /** A string pg_restore dereferences without checking for NULL (it would crash): refused when NULL. */
  required(what: string): string {
    const value = this.str(what);
    if (value === null) throw damaged(`${what} is missing (NULL)`);
    return value;
  }
}

/**
 * The table of contents at the start of a pg_dump -Fc file, read in growing pieces (a TOC is small;
 * the data after it may be huge), up to TOC_DAT_MAX_BYTES.
 */
export async function readCustomToc(file: string): Promise<TocDat> {
  const { handle, info } = await openUserFile(file);
  try {
    const size = Number(info.size);
    for (let want = 4 << 20; ; want *= 4) {
      const length = Math.min(want, size, TOC_DAT_MAX_BYTES);
      const bytes = Buffer.alloc(length);
      await handle.read(bytes, 0, length, 0);
      try {
        return readTocDat(bytes, { format: 'custom', partial: length < size && length < TOC_DAT_MAX_BYTES });
      } catch (error) {
        if (error instanceof TocTruncated) continue;
        if (error instanceof LifeboatError) throw new LifeboatError(error.code, error.message.replace("The directory dump's toc.dat", "The custom-format dump's table of contents"), 'Use another copy of the dump, or dump the database again with pg_dump -Fc.');
        throw error;
      }
    }
  } finally {
    await handle.close();
  }
}
