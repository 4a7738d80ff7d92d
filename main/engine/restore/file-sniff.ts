// What a file is, from its first bytes (never from its name).
import type { InnerKind, WrapperKind } from '../model/restore.ts';
export type { InnerKind, WrapperKind } from '../model/restore.ts';

export type Sniffed = { wrapper: WrapperKind; detail?: string } | { inner: InnerKind } | { unknown: string };

export const SNIFF_BYTES = 4096;

const describe = (what: string) => ({ unknown: what });

export function sniff(head: Buffer): Sniffed {
  if (head.length === 0) return describe('an empty file');
  const ascii = head.toString('latin1', 0, Math.min(head.length, 64));
  if (ascii.startsWith('age-encryption.org/v1') || ascii.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) return { wrapper: 'age' };
  if (ascii.trimStart().startsWith('-----BEGIN PGP MESSAGE-----')) return { wrapper: 'gpg', detail: 'armored' };
  if (head[0] === 0x1f && head[1] === 0x8b) return { wrapper: 'gzip' };
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return { wrapper: 'zstd' };
  if (ascii.startsWith('PGDMP')) return { inner: 'pg-custom' };
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
    const first = head.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    if (first === 'manifest.json') return { inner: 'lifeboat-tar' };
    if (first === 'toc.dat') return { inner: 'pg-tar' };
    return describe(`a tar archive whose first file is "${first}", not a pg_dump or Lifeboat archive`);
  }
  const pgpTag = openPgpPacketTag(head[0]!);
  if (pgpTag === 3) return { wrapper: 'gpg' };
  if (pgpTag === 1) return describe('a file encrypted with gpg to a public key (Lifeboat opens only gpg --symmetric files; decrypt it with gpg --decrypt first)');
  const known: [string | number[], string][] = [
    ['%PDF', 'a PDF document'],
    [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (unzip it first)'],
    [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
    [[0xff, 0xd8, 0xff], 'a JPEG image'],
    [[0x7f, 0x45, 0x4c, 0x46], 'a program (ELF executable)'],
    ['BZh', 'a bzip2-compressed file (decompress it with bunzip2 first)'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'an xz-compressed file (decompress it with unxz first)'],
    [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 'a 7-Zip archive'],
    ['SQLite format 3', 'an SQLite database, not PostgreSQL'],
  ];
  for (const [magic, what] of known) {
    const bytes = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : Buffer.from(magic);
    if (head.subarray(0, bytes.length).equals(bytes)) return describe(what);
  }
  if (looksLikeText(head)) {
    return looksLikeSql(head.toString('utf8')) ? { inner: 'sql' } : describe('a text file, but not SQL');
  }
  return describe('binary data of an unknown kind');
}

/** OpenPGP packet tag of the first byte: 3 = symmetric-key encrypted session key (gpg --symmetric), 1 = public-key. */
function openPgpPacketTag(first: number): number | null {
  if ((first & 0x80) === 0) return null;
  return first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
}

function looksLikeText(head: Buffer): boolean {
  const text = head.toString('utf8');
  if (text.includes('\uFFFD') && !/\uFFFD$/.test(text)) return false; // invalid UTF-8 (a cut multi-byte char at the end is fine)
  let control = 0;
  for (const byte of head) if (byte < 0x09 || (byte > 0x0d && byte < 0x20)) control++;
  return control === 0;
}

function looksLikeSql(text: string): boolean {
  return /^\s*(--|\/\*|\\(connect|restrict)|SET\s|CREATE\s|INSERT\s|COPY\s|BEGIN\b|SELECT\s|ALTER\s|DROP\s|START\s+TRANSACTION|COMMENT\s|GRANT\s)/im.test(text);
}

export function describeInner(inner: InnerKind): string {
  return {
    'lifeboat-tar': 'Lifeboat archive',
    'pg-custom': 'pg_dump custom-format archive',
    'pg-tar': 'pg_dump tar-format archive',
    sql: 'plain SQL script',
  }[inner];
}
