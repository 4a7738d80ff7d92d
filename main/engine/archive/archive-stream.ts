// The archive's bytes in order, as the archive's worker thread writes them (archive-worker.ts):
// tar members through the payload encoder (age, or the tar stream as it is) into the file sink.
import { createHash } from 'node:crypto';
import { AgeWriter, type AgeEncryption } from '../crypto/age-encrypt.ts';
import type { FileSink } from './archive-file-sink.ts';
import { DumpParts } from './dump-parts.ts';
import type { DumpReader } from './dump-reader.ts';
import { TAR_END, tarHeader, tarPadding } from './tar-format.ts';

export interface PayloadWriter {
  readonly header: Promise<Buffer>;
  write(data: Buffer, emit: (piece: Buffer) => void): void;
  end(emit: (piece: Buffer) => void): void;
}

/** --no-encrypt: the tar stream as it is. Copies, because the dump-part buffer is reused. */
class PlainWriter implements PayloadWriter {
  readonly header = Promise.resolve(Buffer.alloc(0));
  write(data: Buffer, emit: (piece: Buffer) => void): void {
    emit(Buffer.from(data));
  }
  end(): void {}
}

export function payloadWriter(encryption: AgeEncryption | null): PayloadWriter {
  return encryption ? new AgeWriter(encryption) : new PlainWriter();
}

/** Writes tar members through the payload encoder into the file. */
export function tarStream(encoder: PayloadWriter, out: FileSink, mtime: Date) {
  const emit = (piece: Buffer) => out.push(piece);
  const plain = (data: Buffer) => encoder.write(data, emit);
  return {
    mtime,
    /** Raw tar bytes (DumpParts writes its own headers). */
    plain,
    /** A whole member: header, data, padding to the next block. */
    entry: (name: string, data: Buffer) => {
      plain(tarHeader(name, data.length, mtime));
      plain(data);
      plain(tarPadding(data.length));
    },
    /** The end-of-archive blocks, then the encoder's final chunk. */
    end: () => {
      plain(TAR_END);
      encoder.end(emit);
    },
  };
}

export type TarStream = ReturnType<typeof tarStream>;

export interface DumpSummary {
  sha256: string;
  bytes: number;
  parts: number;
}

/** pg_dump's output, as it arrives, into dump parts; hashed and counted for checksums.json. */
export async function streamDump(reader: DumpReader, tar: TarStream, count: { dumpBytes: number }): Promise<DumpSummary> {
  const dumpHash = createHash('sha256');
  const parts = new DumpParts(tar.plain, tar.mtime);
  await reader.consume((chunk) => {
    dumpHash.update(chunk);
    count.dumpBytes += chunk.length;
    parts.add(chunk);
  });
  const partCount = parts.end(tar.entry);
  return { sha256: dumpHash.digest('hex'), bytes: count.dumpBytes, parts: partCount };
}
