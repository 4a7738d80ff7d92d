import { BLOCK, parseTarHeader, TarFormatError, type TarEntryHeader } from './tar-format.ts';

export interface TarVisitor {
  entry(header: TarEntryHeader): void | Promise<void>;
  data(chunk: Buffer): void | Promise<void>;
  entryEnd(header: TarEntryHeader): void | Promise<void>;
}

/**
 * Reads a tar stream, handing each entry's bytes to the visitor as they arrive (memory stays
 * bounded by the chunk size). Awaits the visitor, so a slow consumer slows the reading.
 * Throws TarFormatError for damage and for a stream that ends before the end-of-archive blocks.
 */
export async function readTar(source: AsyncIterable<Buffer | Uint8Array>, visitor: TarVisitor): Promise<void> {
  let pending = Buffer.alloc(0);
  let current: TarEntryHeader | null = null;
  let remaining = 0; // data bytes left in the current entry
  let padding = 0; // padding bytes left after it
  let ended = false;

  const take = (n: number): Buffer => {
    const head = pending.subarray(0, n);
    pending = pending.subarray(n);
    return head;
  };

  for await (const chunk of source) {
    if (ended) continue; // anything after the end blocks is ignored, as tar does
    pending = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk);
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
      const header = parseTarHeader(take(BLOCK));
      if (!header) {
        ended = true;
        break;
      }
      if (header.type !== '0' && header.type !== '\0') throw new TarFormatError(`unexpected entry type "${header.type}" for ${header.name}`);
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
