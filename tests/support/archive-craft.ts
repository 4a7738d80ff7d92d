// Crafting bad Lifeboat archives from real ones, with tools independent of the engine's own writer:
// the real `age` CLI decrypts and re-encrypts, and a small ustar reader/writer here takes the
// plaintext apart and puts it back together. Used by the fault suite for "newer format version",
// "checksums whose row counts disagree with the dump", truncation at tar boundaries, and offset maps.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BLOCK = 512;

export interface TarEntry {
  name: string;
  data: Buffer;
}

/** Where one entry sits in the plaintext tar stream. */
export interface TarLayout {
  name: string;
  /** Offset of its 512-byte header. */
  header: number;
  /** Offset of its first data byte. */
  data: number;
  /** Offset just after its data (before the padding). */
  end: number;
}

/** The plaintext tar stream of a Lifeboat archive, decrypted by the real `age` CLI (or read as is when unencrypted). */
export async function archivePlaintext(file: string, identityFile?: string): Promise<Buffer> {
  const bytes = await readFile(file);
  if (!bytes.subarray(0, 21).equals(Buffer.from('age-encryption.org/v1'))) return bytes;
  if (!identityFile) throw new Error(`${file} is encrypted: an identity file is needed`);
  const { stdout } = await run('age', ['-d', '-i', identityFile, file], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}

/** Encrypts plaintext to an age X25519 recipient with the real `age` CLI. */
export async function ageEncrypt(plaintext: Buffer, recipient: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile('age', ['-r', recipient], { encoding: 'buffer', maxBuffer: 1 << 30 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin!.end(plaintext);
  });
}

export function readTarEntries(tar: Buffer): TarEntry[] {
  return tarLayout(tar).map((e) => ({ name: e.name, data: Buffer.from(tar.subarray(e.data, e.end)) }));
}

/** Every entry's offsets in a (complete) tar stream, in order. */
export function tarLayout(tar: Buffer): TarLayout[] {
  const entries: TarLayout[] = [];
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const block = tar.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) break;
    const name = block.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(block.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    entries.push({ name, header: at, data: at + BLOCK, end: at + BLOCK + size });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/** A POSIX ustar stream of regular files, with the two end-of-archive blocks (like `tar -c`). */
export function writeTar(entries: TarEntry[], mtime = new Date()): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.alloc(BLOCK);
    header.write(entry.name, 0, 100, 'utf8');
    header.write('0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(`${entry.data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write(`${Math.floor(mtime.getTime() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
    header.fill(0x20, 148, 156);
    header.write('0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    parts.push(header, entry.data, Buffer.alloc((BLOCK - (entry.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** Parses entry `name` as JSON, lets `edit` change it, and serialises it back (2-space, like the writer). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function editJsonEntry(entries: TarEntry[], name: string, edit: (value: any) => void): TarEntry[] {
  return entries.map((entry) => {
    if (entry.name !== name) return entry;
    const value = JSON.parse(entry.data.toString('utf8'));
    edit(value);
    return { name, data: Buffer.from(`${JSON.stringify(value, null, 2)}\n`) };
  });
}

export interface CraftOptions {
  /** The real archive to start from. */
  from: string;
  /** Where the crafted archive goes. */
  out: string;
  /** Identity file that opens `from` (when encrypted). */
  identityFile?: string;
  /** Re-encrypt to this recipient (omit for an unencrypted archive). */
  recipient?: string;
  /** Changes the entries (any order, names, contents). */
  edit?: (entries: TarEntry[]) => TarEntry[];
  /** Cut the plaintext tar stream at this offset before encrypting (a tar cut at a chosen boundary). */
  plaintextLength?: number;
  /**
   * Write a sidecar: the original's, with the crafted file's own sha256 and size — an archive that
   * is consistent with its sidecar, so only the content checks can catch what was changed.
   */
  sidecar?: boolean;
}

/** A real archive taken apart, edited, put back together and re-encrypted. Returns the bytes written. */
export async function craftArchive(options: CraftOptions): Promise<Buffer> {
  const entries = readTarEntries(await archivePlaintext(options.from, options.identityFile));
  let tar = writeTar(options.edit ? options.edit(entries) : entries);
  if (options.plaintextLength !== undefined) tar = tar.subarray(0, options.plaintextLength);
  const bytes = options.recipient ? await ageEncrypt(tar, options.recipient) : tar;
  await writeFile(options.out, bytes);
  if (options.sidecar) {
    const sidecar = JSON.parse(await readFile(`${options.from}.json`, 'utf8'));
    Object.assign(sidecar, { archive: options.out.split('/').at(-1), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    await writeFile(`${options.out}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
  }
  return bytes;
}

/** The parts of an age v1 file (binary, not armored). */
export interface AgeLayout {
  /** Offset just after the header's "---" MAC line. */
  headerEnd: number;
  /** Offset of the MAC line ("--- …"). */
  macLine: number;
  /** Offset of the first payload chunk (after the 16-byte stream nonce). */
  payload: number;
  /** Sealed chunk starts (64 KiB + 16-byte tag each, the last shorter). */
  chunks: number[];
  size: number;
}

export const AGE_CHUNK = 64 * 1024;
export const AGE_SEALED_CHUNK = AGE_CHUNK + 16;

export function ageLayout(bytes: Buffer): AgeLayout {
  const macLine = bytes.indexOf('\n---') + 1;
  const headerEnd = bytes.indexOf('\n', macLine) + 1;
  const payload = headerEnd + 16;
  const chunks: number[] = [];
  for (let at = payload; at < bytes.length; at += AGE_SEALED_CHUNK) chunks.push(at);
  return { headerEnd, macLine, payload, chunks, size: bytes.length };
}

/** Where a byte offset of an age file lies, in words for test output. */
export function ageRegion(layout: AgeLayout, offset: number): 'age header' | 'age header MAC' | 'stream nonce' | 'payload' | 'payload tag' {
  if (offset < layout.macLine) return 'age header';
  if (offset < layout.headerEnd) return 'age header MAC';
  if (offset < layout.payload) return 'stream nonce';
  const last = layout.chunks.filter((c) => c <= offset).at(-1)!;
  const end = Math.min(last + AGE_SEALED_CHUNK, layout.size);
  return offset >= end - 16 ? 'payload tag' : 'payload';
}

/** The ciphertext offset that holds plaintext byte `p` (for an age file with this layout). */
export function ciphertextOffset(layout: AgeLayout, p: number): number {
  return layout.payload + Math.floor(p / AGE_CHUNK) * AGE_SEALED_CHUNK + (p % AGE_CHUNK);
}

/** toc.dat (or a custom dump's TOC) with one length-prefixed string replaced by text (UTF-8). */
export function withTocString(toc: Buffer, from: string, to: string): Buffer {
  return withTocBytes(toc, from, Buffer.from(to, 'utf8'));
}

/**
 * toc.dat (or a custom-format dump, whose TOC uses the same strings) with one length-prefixed
 * string replaced by raw bytes: the length counts bytes, so non-ASCII bytes (latin1 text, bytes of
 * other encodings) keep the string's length right.
 */
export function withTocBytes(toc: Buffer, from: string, to: Buffer): Buffer {
  const field = (bytes: Buffer) => {
    const out = Buffer.alloc(5 + bytes.length);
    out.writeInt32LE(bytes.length, 1);
    bytes.copy(out, 5);
    return out;
  };
  const old = field(Buffer.from(from, 'utf8'));
  const at = toc.indexOf(old);
  if (at < 0) throw new Error(`"${from}" is not in the table of contents`);
  if (toc.indexOf(old, at + 1) >= 0) throw new Error(`"${from}" is in the table of contents more than once`);
  return Buffer.concat([toc.subarray(0, at), field(to), toc.subarray(at + old.length)]);
}
