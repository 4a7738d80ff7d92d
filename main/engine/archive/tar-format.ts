// POSIX ustar, the subset Lifeboat writes: regular files with short names, sizes known up front.
// Anyone can read it with `tar -x`; the reader below also checks what the writer promises.

export const BLOCK = 512;
const MAX_SIZE = 0o77777777777; // 11 octal digits: 8 GiB - 1

export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  if (!Number.isInteger(size) || size < 0 || size > MAX_SIZE) throw new Error(`tar entry size out of range: ${size}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('lifeboat', 265, 'ascii');
  header.write('lifeboat', 297, 'ascii');
  header.write(`${checksum(header).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

export const TAR_END = Buffer.alloc(BLOCK * 2);

export interface TarEntryHeader {
  name: string;
  size: number;
  type: string;
  /** The target of a link member (type 1 or 2); empty otherwise. */
  linkName: string;
}

/**
 * Parses one header block; null for the zero block that ends the archive. Throws on damage.
 * `offset` (of the block in the stream) only makes the messages precise.
 */
export function parseTarHeader(block: Buffer, offset?: number): TarEntryHeader | null {
  const where = offset === undefined ? 'a member header' : `the member header at byte ${offset}`;
  if (block.length !== BLOCK) throw new TarFormatError(`${where} is cut short`);
  if (block.every((byte) => byte === 0)) return null;
  const stored = parseOctal(block.subarray(148, 156), `${where}: its checksum`);
  const copy = Buffer.from(block);
  copy.fill(0x20, 148, 156);
  if (stored !== checksum(copy)) throw new TarFormatError(`${where} is damaged (its checksum does not match)`);
  const name = cString(block.subarray(0, 100));
  const prefix = block.subarray(257, 263).toString('ascii') === 'ustar\0' ? cString(block.subarray(345, 500)) : '';
  const fullName = prefix ? `${prefix}/${name}` : name;
  return {
    name: fullName,
    size: parseOctal(block.subarray(124, 136), `the size of member "${printableName(fullName)}"`),
    type: String.fromCharCode(block[156] || 0x30),
    linkName: cString(block.subarray(157, 257)),
  };
}

export class TarFormatError extends Error {}

/** A member name for a message: control characters shown as "?", long names shortened. */
export function printableName(name: string): string {
  const shown = [...name].map((c) => (c.charCodeAt(0) < 0x20 || c === '\x7f' ? '?' : c)).join('');
  return shown.length > 120 ? `${shown.slice(0, 117)}…` : shown;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function parseOctal(field: Buffer, what: string): number {
  // GNU tar's base-256 sizes (first byte 0x80, for members over 8 GiB) are never written by Lifeboat.
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) throw new TarFormatError(`${what} is not an octal number`);
  return text ? parseInt(text, 8) : 0;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (const byte of block) sum += byte;
  return sum;
}
