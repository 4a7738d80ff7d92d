// The dump's input side (see archive-writer.ts): pg_dump's stdout, read from its first byte and
// paused whenever the disk falls behind, so memory stays bounded and pg_dump waits in its pipe.
import type { Readable } from 'node:stream';
import type { FileSink } from './archive-file-sink.ts';

/** Reading pg_dump pauses while this much output waits for the disk, and resumes below the low mark. */
const PENDING_HIGH = 16 * 1024 * 1024;
const PENDING_LOW = 4 * 1024 * 1024;
/** Reading pauses while this much of pg_dump's output waits for the archive's first entries. */
const EARLY_LIMIT = 16 * 1024 * 1024;

/**
 * Reads pg_dump's stdout from the start. consume() hands over what was read meanwhile, then each
 * chunk as it comes, pausing the stream while the disk is behind; it resolves at the end.
 */
export function readDump(dump: Readable) {
  const early: Buffer[] = [];
  let earlyBytes = 0;
  let handle: ((chunk: Buffer) => void) | null = null;
  let sink: FileSink | null = null;
  let paused = false;
  let failure: Error | null = null;
  let done = false;
  let settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const finish = (error: Error | null) => {
    if (done) return;
    done = true;
    failure = error;
    dump.off('data', onData).off('end', onEnd).off('error', onError);
    if (settle && error) settle.reject(error);
    else settle?.resolve();
  };
  const onData = (chunk: Buffer) => {
    if (!handle) {
      early.push(chunk);
      earlyBytes += chunk.length;
      if (earlyBytes > EARLY_LIMIT && !paused) {
        paused = true;
        dump.pause();
      }
      return;
    }
    try {
      handle(chunk);
    } catch (error) {
      finish(error as Error);
      return;
    }
    if (!paused && sink!.pending > PENDING_HIGH) {
      paused = true;
      dump.pause();
      sink!.whenPendingBelow(PENDING_LOW, () => {
        paused = false;
        if (!done) dump.resume();
      });
    }
  };
  const onEnd = () => finish(null);
  const onError = (error: Error) => finish(error);
  dump.on('data', onData).once('end', onEnd).once('error', onError);
  return {
    consume(each: (chunk: Buffer) => void, out: FileSink): Promise<void> {
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
        sink = out;
        if (paused) {
          paused = false;
          dump.resume();
        }
      });
    },
    stop(): void {
      finish(new Error('stopped'));
      if (!dump.readableEnded) dump.destroy();
    },
  };
}

export type DumpReader = ReturnType<typeof readDump>;
