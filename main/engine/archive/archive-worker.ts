// The archive's own thread: pg_dump's output is read, hashed, cut into dump parts, encrypted, hashed
// again and written here, on an event loop and a heap of its own. The main thread's heap holds the
// whole engine, so collecting the garbage of this data path there cost more CPU than the
// encryption; here a collection has almost nothing to mark, and the UI's IPC never waits for a chunk.
import { close, fsync, open } from 'node:fs';
import { promisify } from 'node:util';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { FileSink } from './archive-file-sink.ts';
import { CHECKSUMS_ENTRY, GLOBALS_ENTRY, MANIFEST_ENTRY } from './archive-format.ts';
import { payloadWriter, streamDump, tarStream } from './archive-stream.ts';
import { CONSUMED_EVERY, toThreadError, type ConnectDump, type FromArchiveWorker, type StartArchive, type ToArchiveWorker } from './archive-thread-messages.ts';
import { fdDumpSource, readDump, socketDumpSource, type DumpSource } from './dump-reader.ts';

const openAsync = promisify(open);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);
/** Progress goes to the main thread at most this often. */
const PROGRESS_EVERY_MS = 100;

type Entries = Extract<ToArchiveWorker, { type: 'entries' }>;

/**
 * The dump as 'chunk' messages from the main thread (where the output cannot be handed over as a file
 * descriptor). How far it got is said back, so the main thread stops sending while this thread is
 * behind (a slow disk): messages not yet taken would otherwise pile up in memory.
 */
function messageDumpSource(post: (message: FromArchiveWorker) => void) {
  let deliver: ((chunk: Buffer) => void) | null = null;
  let end: ((error: Error | null) => void) | null = null;
  let consumed = 0;
  let said = 0;
  const source: DumpSource & { take(message: ToArchiveWorker): void } = {
    start(onChunk, onEnd) {
      deliver = onChunk;
      end = onEnd;
    },
    pause: () => post({ type: 'pause' }),
    resume: () => post({ type: 'resume' }),
    stop: () => post({ type: 'pause' }),
    take(message) {
      if (message.type === 'chunk') {
        deliver?.(Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        consumed += message.data.byteLength;
        if (consumed - said >= CONSUMED_EVERY) post({ type: 'consumed', bytes: (said = consumed) });
      } else if (message.type === 'chunks-end') end?.(null);
      else if (message.type === 'chunks-error') end?.(new Error(message.message));
    },
  };
  return source;
}

/** One archive file: opened at 'start', filled as 'entries', the dump and 'finish' come, then closed. */
class ArchiveJob {
  readonly #port: MessagePort;
  readonly #source: ReturnType<typeof messageDumpSource> | DumpSource;
  readonly #reader: ReturnType<typeof readDump>;
  readonly #encoder: ReturnType<typeof payloadWriter>;
  readonly #opened: Promise<FileSink>;
  readonly #count = { dumpBytes: 0 };
  #fd: number | null = null;
  #sink: FileSink | null = null;
  #checksums: { resolve: (bytes: Buffer) => void; reject: (error: Error) => void } | null = null;
  #checksumsBytes: Buffer | null = null;
  #aborted = false;
  #ended = false;
  #lastProgress = 0;

  constructor(start: StartArchive) {
    this.#port = start.port;
    this.#source = start.dump === 'socket' ? takeDumpSocket() : start.dump === 'messages' ? messageDumpSource((message) => this.#post(message)) : fdDumpSource(start.dump.fd);
    // Reading starts now: the output is taken from the first byte, and waits (bounded) for the first entries.
    this.#reader = readDump(this.#source);
    this.#encoder = payloadWriter(start.encryption);
    this.#opened = this.#open(start.partialPath);
    // A folder that refuses the file is said at once, not when the first entries are ready.
    this.#opened.catch((error: unknown) => this.#fail(error));
  }

  take(message: ToArchiveWorker): void {
    if ('take' in this.#source) this.#source.take(message);
    if (message.type === 'finish') this.#takeChecksums(Buffer.from(message.checksums));
  }

  /** The archive from its header to its end. */
  async write(entries: Entries): Promise<void> {
    try {
      const sink = await this.#opened;
      const failed = new Promise<never>((_resolve, reject) => (sink.onError = reject));
      failed.catch(() => {});
      const race = <T>(promise: Promise<T>) => Promise.race([promise, failed]);
      sink.push(await race(this.#encoder.header));
      const tar = tarStream(this.#encoder, sink, new Date(entries.mtimeMs));
      tar.entry(MANIFEST_ENTRY, Buffer.from(entries.manifest));
      tar.entry(GLOBALS_ENTRY, Buffer.from(entries.globals));
      this.#post({ type: 'dump-ended', ...(await race(streamDump(this.#reader, tar, this.#count))) });
      tar.entry(CHECKSUMS_ENTRY, await race(this.#waitForChecksums()));
      tar.end();
      await race(sink.flush());
      await race(fsyncAsync(this.#fd!));
      await this.#closeFile();
      this.#progress(true);
      this.#end({ type: 'written', bytes: sink.written, sha256: sink.hash.digest('hex') });
    } catch (error) {
      await this.#fail(error);
    }
  }

  /** 'abort': stop reading and writing, close the file; the main thread removes it. */
  async abort(): Promise<void> {
    this.#aborted = true;
    this.#checksums?.reject(new Error('aborted'));
    await this.#stop();
    this.#end({ type: 'closed' });
  }

  async #fail(error: unknown): Promise<void> {
    await this.#stop();
    // How far the file got (a full disk is said with it), not the last throttled progress.
    if (!this.#aborted && !this.#ended) this.#progress(true);
    this.#end(this.#aborted ? { type: 'closed' } : { type: 'failed', error: toThreadError(error) });
  }

  async #open(partialPath: string): Promise<FileSink> {
    // 'wx': never clobber another backup's partial file; readable by this user only.
    this.#fd = await openAsync(partialPath, 'wx', 0o600);
    this.#sink = new FileSink(this.#fd, () => this.#progress(false));
    return this.#sink;
  }

  #progress(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastProgress < PROGRESS_EVERY_MS) return;
    this.#lastProgress = now;
    this.#post({ type: 'progress', fileBytes: this.#sink?.written ?? 0, dumpBytes: this.#count.dumpBytes });
  }

  #waitForChecksums(): Promise<Buffer> {
    if (this.#checksumsBytes) return Promise.resolve(this.#checksumsBytes);
    if (this.#aborted) return Promise.reject(new Error('aborted'));
    return new Promise((resolve, reject) => (this.#checksums = { resolve, reject }));
  }

  #takeChecksums(bytes: Buffer): void {
    this.#checksumsBytes = bytes;
    this.#checksums?.resolve(bytes);
  }

  /** No read going on, no write in flight, the file closed. */
  async #stop(): Promise<void> {
    this.#reader.stop();
    await this.#opened.catch(() => null);
    await this.#sink?.settled();
    await this.#closeFile().catch(() => {});
  }

  async #closeFile(): Promise<void> {
    const fd = this.#fd;
    this.#fd = null; // closed here whatever happens: never a second time
    if (fd !== null) await closeAsync(fd);
  }

  /** The one last word: 'written', 'failed' or 'closed'. */
  #end(message: FromArchiveWorker): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#post(message);
    this.#port.close(); // nothing more to say about this archive: the thread waits for the next
  }

  #post(message: FromArchiveWorker): void {
    this.#port.postMessage(message);
  }
}

/** The socket of the last 'connect-dump', kept for the archive that starts next. */
let dumpSocket: DumpSource | null = null;

function takeDumpSocket(): DumpSource {
  const source = dumpSocket;
  dumpSocket = null;
  // Without one, the archive fails at once (and says so) instead of waiting for a dump that cannot come.
  return source ?? { start: (_onChunk, onEnd) => onEnd(new Error('the archive thread has no connection to pg_dump')), pause() {}, resume() {}, stop() {} };
}

parentPort!.on('message', (message: StartArchive | ConnectDump) => {
  if (message.type === 'connect-dump') {
    dumpSocket?.stop();
    dumpSocket = socketDumpSource(message.path);
    return;
  }
  const start = message;
  const job = new ArchiveJob(start);
  start.port.on('message', (message: ToArchiveWorker) => {
    if (message.type === 'entries') void job.write(message);
    else if (message.type === 'abort') void job.abort();
    else job.take(message);
  });
});
