import { BLOCK, parseTarHeader, printableName, TarFormatError, type TarEntryHeader } from './tar-format.ts';

export interface TarVisitor {
  entry(header: TarEntryHeader): void | Promise<void>;
  data(chunk: Buffer): void | Promise<void>;
  entryEnd(header: TarEntryHeader): void | Promise<void>;
}

/**
 * Reads a tar stream, handing each entry's bytes to the visitor as they arrive (memory stays
 * bounded by the chunk size). Awaits the visitor, so a slow consumer slows the reading.
 * Throws TarFormatError for damage, for a stream that ends before the end-of-archive blocks, and for
 * any member that is not a regular file with a plain, unique name (see checkMember), naming it.
 */
export async function readTar(source: AsyncIterable<Buffer | Uint8Array>, visitor: TarVisitor): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let current: TarEntryHeader | null = null;
  let remaining = 0; // data bytes left in the current entry
  let padding = 0; // padding bytes left after it
  let ended = false;
  let offset = 0; // of the next header in the stream, for messages
  const names = new Set<string>();

  const take = (n: number): Buffer => {
    const head = pending.subarray(0, n);
    pending = pending.subarray(n);
    return head;
  };

  for await (const chunk of source) {
    if (ended) continue; // anything after the end blocks is ignored, as tar does
    // Not copied: the visitor gets views of the source's chunks (a direct restore holds one back while
    // the next is read), so a source must not reuse a chunk's memory once it has handed it out — no
    // Node stream, decipher or inflater does. Copying each chunk cost a second copy of the whole file.
    pending = pending.length ? Buffer.concat([pending, chunk]) : asBuffer(chunk);
    while (!ended) {
      if (current) {
        if (remaining > 0) {
          if (pending.length === 0) break;
          const part = take(Math.min(remaining, pending.length));
          remaining -= part.length;
          await visitor.data(part);
          continue;
        }
        if (padding > 0) {
          if (pending.length === 0) break;
          padding -= take(Math.min(padding, pending.length)).length;
          continue;
        }
        await visitor.entryEnd(current);
        current = null;
        continue;
      }
      if (pending.length < BLOCK) break;
      const header = parseTarHeader(take(BLOCK), offset);
      offset += BLOCK + Math.ceil((header?.size ?? 0) / BLOCK) * BLOCK;
      if (!header) {
        ended = true;
        break;
      }
      checkMember(header, names);
      current = header;
      remaining = header.size;
      padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
      await visitor.entry(header);
    }
  }
  if (current && remaining === 0 && padding === 0) {
    await visitor.entryEnd(current);
    current = null;
  }
  if (current) throw new TarFormatError(`the archive ends inside ${current.name}`);
  if (!ended) throw new TarFormatError('the archive ends without its end-of-archive marker');
}

function asBuffer(chunk: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** What each tar member type other than a regular file is, in words ("2": a symbolic link…). */
const MEMBER_KINDS: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '5': 'a folder',
  '6': 'a named pipe (FIFO)',
  '7': 'a contiguous file',
  x: 'a PAX extended header',
  g: 'a PAX global header',
  L: 'a GNU long-name header (for a name longer than 100 bytes)',
  K: 'a GNU long-link header',
  S: 'a GNU sparse file',
  V: 'a GNU volume label',
  M: 'a GNU multi-volume continuation',
};

/**
 * Lifeboat archives hold regular files with short, plain, distinct names, and nothing else: any other
 * member is refused by name before a byte of it is used, so no reader (extract above all) ever
 * writes through a link, into a subfolder, or over a file it already wrote.
 */
function checkMember(header: TarEntryHeader, names: Set<string>): void {
  const shown = printableName(header.name);
  if (header.type !== '0' && header.type !== '\0') {
    const kind = MEMBER_KINDS[header.type] ?? `an unknown kind of member (type "${printableName(header.type)}")`;
    const target = (header.type === '1' || header.type === '2') && header.linkName ? ` to "${printableName(header.linkName)}"` : '';
    throw new TarFormatError(`member "${shown}" is ${kind}${target}; a Lifeboat archive holds only regular files`);
  }
  if (header.name === '') throw new TarFormatError('a member has an empty name');
  if (/[/\\]/.test(header.name)) throw new TarFormatError(`member "${shown}" has a path, not a plain file name`);
  if (header.name.startsWith('.')) throw new TarFormatError(`member "${shown}" has a name starting with "."`);
  if (!/^[\w.-]+$/.test(header.name)) throw new TarFormatError(`member "${shown}" has characters Lifeboat never writes in a name`);
  if (names.has(header.name)) throw new TarFormatError(`member "${shown}" appears twice`);
  names.add(header.name);
}
