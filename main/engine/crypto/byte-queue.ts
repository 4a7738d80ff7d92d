// Bytes from an async source, pulled only as fast as a parser needs them (the age reader's input).

/** What was read from the source and not taken yet; more() pulls the next chunk onto it. */
export class ByteQueue {
  readonly #iterator: AsyncIterator<Uint8Array>;
  #pending: Buffer = Buffer.alloc(0);
  #eof = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /** Read and not taken yet. */
  get pending(): Buffer {
    return this.#pending;
  }

  /** Appends the source's next chunk to what is pending; false once the source has ended. */
  async more(): Promise<boolean> {
    if (this.#eof) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#eof = true;
      return false;
    }
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, next.value]) : Buffer.from(next.value);
    return true;
  }

  /** Removes the first `n` pending bytes (all of them, if fewer are pending) and returns them. */
  take(n: number): Buffer {
    const head = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    return head;
  }
}
