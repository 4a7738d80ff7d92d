// pg_dump's output as 'chunk' messages (archive/archive-thread.ts pumpStream: where no socket or FIFO
// can reach the worker): the main thread stops reading pg_dump while the worker is more than 16 MiB
// behind — chunks it has not taken would otherwise pile up in memory on a slow disk — and goes on once
// it has caught up; a pause the worker asks for holds whatever the credit says. A real MessageChannel
// stands in for the worker's end; the stream is a real Readable.
import { Readable } from 'node:stream';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import type { FromArchiveWorker, ToArchiveWorker } from '../../main/engine/archive/archive-thread-messages.ts';
import { pumpStream } from '../../main/engine/archive/archive-thread.ts';

const MiB = 1024 * 1024;
const WAIT = { timeout: 20_000, interval: 20 };
const aMoment = () => new Promise((resolve) => setTimeout(resolve, 100));

/** An endless dump of 1 MiB chunks, counting what it produced. */
function endlessDump() {
  const counter = { produced: 0 };
  const stream = new Readable({
    highWaterMark: MiB,
    read() {
      counter.produced += MiB;
      this.push(Buffer.alloc(MiB, 1));
    },
  });
  return { stream, counter };
}

/** The worker's end: counts the chunks' bytes that arrived; answers only when told to. */
function workerEnd(port: MessagePort) {
  const seen = { bytes: 0 };
  port.on('message', (message: ToArchiveWorker) => {
    if (message.type === 'chunk') seen.bytes += message.data.byteLength;
  });
  return { seen, say: (message: FromArchiveWorker) => port.postMessage(message) };
}

describe('chunk messages to the archive worker', () => {
  it('stop while the worker is more than 16 MiB behind and go on once it caught up', async () => {
    const { port1, port2 } = new MessageChannel();
    const { stream, counter } = endlessDump();
    const worker = workerEnd(port2);
    let over: (healthy: boolean) => void = () => {};
    pumpStream(stream, port1, new Promise((resolve) => (over = resolve)));
    try {
      // Nothing taken: sending stops just past the mark (plus what the stream buffers itself).
      await vi.waitFor(() => expect(stream.readableFlowing).toBe(false), WAIT);
      await vi.waitFor(() => expect(worker.seen.bytes).toBeGreaterThan(16 * MiB), WAIT);
      expect(worker.seen.bytes).toBeLessThanOrEqual(18 * MiB);
      expect(counter.produced).toBeLessThanOrEqual(worker.seen.bytes + 3 * MiB);
      const stalled = worker.seen.bytes;
      await aMoment();
      expect(worker.seen.bytes).toBe(stalled);

      // Taken up to 8 MiB behind: still above the low mark, still stopped.
      worker.say({ type: 'consumed', bytes: stalled - 8 * MiB });
      await aMoment();
      expect(stream.readableFlowing).toBe(false);
      expect(worker.seen.bytes).toBe(stalled);
      // Caught up: sending goes on, and stops again 16 MiB ahead of what was taken.
      worker.say({ type: 'consumed', bytes: stalled });
      await vi.waitFor(() => expect(worker.seen.bytes).toBeGreaterThan(stalled + 16 * MiB), WAIT);
      await vi.waitFor(() => expect(stream.readableFlowing).toBe(false), WAIT);
      expect(worker.seen.bytes).toBeLessThanOrEqual(stalled + 18 * MiB);

      // A pause the worker asked for holds even when it has taken everything.
      worker.say({ type: 'pause' });
      await aMoment();
      const paused = worker.seen.bytes;
      worker.say({ type: 'consumed', bytes: paused });
      await aMoment();
      expect(stream.readableFlowing).toBe(false);
      expect(worker.seen.bytes).toBe(paused);
      worker.say({ type: 'resume' });
      await vi.waitFor(() => expect(worker.seen.bytes).toBeGreaterThan(paused), WAIT);

      over(true); // the archive's last word: the stream is ended
      await vi.waitFor(() => expect(stream.destroyed).toBe(true), WAIT);
    } finally {
      stream.destroy();
      port1.close();
      port2.close();
    }
  });
});
