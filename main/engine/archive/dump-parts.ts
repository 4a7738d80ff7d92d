// The dump's tar framing (see archive-writer.ts): pg_dump's output as database.dump.NNNN entries of
// DUMP_PART_SIZE bytes each, the last one shorter.
import { DUMP_PART_SIZE, dumpPartName } from './archive-format.ts';
import { tarHeader } from './tar-format.ts';

/**
 * The held-back part goes on in pieces of this much, not one per read from pg_dump (~64 KB, at
 * ragged offsets): age seals a piece's whole 64 KiB chunks where they lie and copies only its ends,
 * so ragged pieces had nearly every byte copied once more.
 */
const SEND_EVERY = 1024 * 1024;

/**
 * Cuts the dump into fixed-size tar entries. A part's tar header (its size) can only be written
 * once the part is complete, so one part is always held back. Instead of sealing a whole part at
 * once when the next header is known (a burst of ~10 ms per 8 MiB, during which pg_dump stalls on
 * its full pipe), the complete part is passed on to the encoder as the next one fills, in pieces of
 * SEND_EVERY: work stays even. Two reused part buffers; nothing else is allocated.
 */
export class DumpParts {
  readonly #plain: (data: Buffer) => void;
  readonly #mtime: Date;
  #filling = Buffer.allocUnsafe(DUMP_PART_SIZE);
  #filled = 0;
  /** The last complete part: its header is written, its bytes go out as the next part fills. */
  #sending = Buffer.allocUnsafe(DUMP_PART_SIZE);
  #sent = DUMP_PART_SIZE;
  /** Bytes of #sending owed to the encoder: as many as have come into #filling since the swap. */
  #owed = 0;
  #count = 0;

  constructor(plain: (data: Buffer) => void, mtime: Date) {
    this.#plain = plain;
    this.#mtime = mtime;
  }

  add(chunk: Buffer): void {
    for (let offset = 0; offset < chunk.length; ) {
      const n = Math.min(DUMP_PART_SIZE - this.#filled, chunk.length - offset);
      chunk.copy(this.#filling, this.#filled, offset, offset + n);
      this.#filled += n;
      offset += n;
      this.#owed += n;
      if (this.#owed >= SEND_EVERY) this.#sendOwed();
      if (this.#filled === DUMP_PART_SIZE) {
        this.#send(DUMP_PART_SIZE); // the rest of it: both parts are the same size
        this.#plain(tarHeader(dumpPartName(++this.#count), DUMP_PART_SIZE, this.#mtime));
        [this.#sending, this.#filling] = [this.#filling, this.#sending];
        this.#sent = 0;
        this.#owed = 0;
        this.#filled = 0;
      }
    }
  }

  /** Sends the rest, and the last (short) part as a whole entry; returns the number of parts. */
  end(entry: (name: string, data: Buffer) => void): number {
    this.#send(DUMP_PART_SIZE);
    if (this.#filled > 0 || this.#count === 0) entry(dumpPartName(++this.#count), this.#filling.subarray(0, this.#filled));
    return this.#count;
  }

  #sendOwed(): void {
    this.#send(this.#owed);
    this.#owed = 0;
  }

  #send(bytes: number): void {
    const n = Math.min(bytes, DUMP_PART_SIZE - this.#sent);
    if (n <= 0) return;
    this.#plain(this.#sending.subarray(this.#sent, this.#sent + n));
    this.#sent += n;
  }
}
