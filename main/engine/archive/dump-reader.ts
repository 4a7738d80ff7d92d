// The dump's input side, in the archive's worker thread (see archive-worker.ts): pg_dump's output,
// read from its first byte. Each chunk is hashed, encrypted and written (synchronously: see
// archive-file-sink.ts) before the next is read, so memory stays bounded and a slow disk makes
// pg_dump wait.
import net from 'node:net';

/** Reading pauses while this much of pg_dump's output waits for the archive's first entries. */
const EARLY_LIMIT = 16 * 1024 * 1024;
/** One reused buffer for reads from the socket: no allocation per chunk, so no garbage to collect. */
const READ_BUFFER = 1024 * 1024;

/** Where pg_dump's output comes from. A chunk is only valid during the call: the source may reuse it. */
export interface DumpSource {
  start(onChunk: (chunk: Buffer) => void, onEnd: (error: Error | null) => void): void;
  pause(): void;
  resume(): void;
  /** Closes the input: pg_dump gets EPIPE instead of waiting on a full socket. */
  stop(): void;
}

/** The read end of pg_dump's FIFO (files/dump-pipe.ts), read straight into one reused buffer. */
export function fdDumpSource(fd: number): DumpSource {
  return reusedBufferSource((onread) => new net.Socket({ fd, readable: true, writable: false, onread }));
}

/**
 * pg_dump's output through a Unix socket (files/dump-socket.ts): connected now, read straight into
 * one reused buffer once start() is called — until then pg_dump's writes wait in the socket's buffer.
 * A connection that fails is the main thread's to notice (it waits for it, bounded); start() then says it.
 */
export function socketDumpSource(socketPath: string): DumpSource {
  return reusedBufferSource((onread) => new net.Socket({ readable: true, onread }).connect(socketPath));
}

/**
 * A socket (made by `open` with the given read options) paused at once and read into one reused
 * buffer from start() on: no allocation per read, so no garbage to collect. A failure before start()
 * is said by start().
 */
function reusedBufferSource(open: (onread: net.OnReadOpts) => net.Socket): DumpSource {
  const buffer = Buffer.allocUnsafe(READ_BUFFER);
  let deliver: (chunk: Buffer) => void = () => {};
  const socket = open({ buffer, callback: (n: number) => {
    deliver(buffer.subarray(0, n));
    return true; // pausing goes through pause(), like any stream
  } });
  socket.pause(); // nothing is read before start(): a paused socket with its own buffer stops reading at once
  let failure: Error | null = null;
  socket.once('error', (error) => (failure = error));
  return {
    start(onChunk, onEnd) {
      if (failure || socket.destroyed) {
        onEnd(failure ?? new Error('the connection to pg_dump was closed'));
        return;
      }
      deliver = onChunk;
      socket.once('end', () => onEnd(null)).once('error', (error) => onEnd(error));
      socket.resume();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    stop: () => socket.destroy(),
  };
}

/**
 * Reads the dump from the start. consume() hands over what was read meanwhile, then each chunk as it
 * comes; it resolves at the end.
 */
export function readDump(source: DumpSource) {
  const early: Buffer[] = [];
  let earlyBytes = 0;
  let handle: ((chunk: Buffer) => void) | null = null;
  let paused = false;
  let failure: Error | null = null;
  let done = false;
  let settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const finish = (error: Error | null) => {
    if (done) return;
    done = true;
    failure = error;
    if (settle && error) settle.reject(error);
    else settle?.resolve();
  };
  const pause = () => {
    paused = true;
    source.pause();
  };
  const onChunk = (chunk: Buffer) => {
    if (done) return;
    if (!handle) {
      early.push(Buffer.from(chunk)); // copied: the source reuses its buffer
      earlyBytes += chunk.length;
      if (earlyBytes > EARLY_LIMIT && !paused) pause();
      return;
    }
    try {
      handle(chunk);
    } catch (error) {
      finish(error as Error);
    }
  };
  source.start(onChunk, finish);
  return {
    consume(each: (chunk: Buffer) => void): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        try {
          for (const chunk of early.splice(0)) each(chunk);
        } catch (error) {
          finish(error as Error);
        }
        if (done) {
          if (failure) reject(failure);
          else resolve();
          return;
        }
        settle = { resolve, reject };
        handle = each;
        if (paused) {
          paused = false;
          source.resume();
        }
      });
    },
    stop(): void {
      finish(new Error('stopped'));
      // What came before the first entries is dropped too: a consume() after stop() hands nothing over.
      early.length = 0;
      earlyBytes = 0;
      source.stop();
    },
  };
}

export type DumpReader = ReturnType<typeof readDump>;
