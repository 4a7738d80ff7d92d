// Bytes from an async source, pulled only as fast as a parser needs them (the age reader's input).

/**
 * What was read from the source and not taken yet; more() pulls the next chunk onto it. The chunks
 * are kept as read: take() copies only what spans two of them (a sealed age chunk every 1 MiB read),
 * not every chunk onto the leftover of the last one (a copy of the whole file).
 */
export class ByteQueue {
  readonly #iterator: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #length = 0;
  #eof = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** How many bytes were read and not taken yet. */
  get length(): number {
    return this.#length;
  }

  /** Read and not taken yet, as one buffer (for the header's parsing: it joins what is pending). */
  get pending(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#length)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  /** Appends the source's next chunk to what is pending; false once the source has ended. */
  async more(): Promise<boolean> {
    if (this.#eof) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#eof = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    if (chunk.length > 0) this.#chunks.push(chunk);
    this.#length += chunk.length;
    return true;
  }

  /** Removes the first `n` pending bytes (all of them, if fewer are pending) and returns them. */
  take(n: number): Buffer {
    const first = this.#chunks[0];
    if (!first) return Buffer.alloc(0);
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      this.#length -= n;
      return first.subarray(0, n);
    }
    const taken: Buffer[] = [];
    let size = 0;
    while (size < n && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!;
      const part = chunk.subarray(0, n - size);
      taken.push(part);
      size += part.length;
      if (part.length === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part.length);
    }
    this.#length -= size;
    return taken.length === 1 ? taken[0]! : Buffer.concat(taken, size);
  }
}
