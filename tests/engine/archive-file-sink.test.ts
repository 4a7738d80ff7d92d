// The archive file's disk side (main/engine/archive/archive-file-sink.ts) on a real file: what is
// written goes to the disk in the background every SYNC_EVERY bytes, never more than one sync at a
// time, never after the file may be closed, and a failed sync or write fails the archive.
import { createHash } from 'node:crypto';
import { closeSync, fdatasync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSink, SYNC_EVERY } from '../../main/engine/archive/archive-file-sink.ts';

describe('FileSink syncs in the background', () => {
  let dir: string;
  let fd: number;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-sink-'));
    fd = openSync(path.join(dir, 'archive'), 'wx', 0o600);
  });
  afterEach(async () => {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Pushes `total` bytes in pieces as the dump's encoder does, letting the event loop run between them
   * (as reads do); `pace` is awaited after each MiB (a dump slower than the disk).
   */
  async function fill(sink: FileSink, total: number, pace: () => Promise<unknown> = () => new Promise((resolve) => setImmediate(resolve))): Promise<Buffer> {
    const hash = createHash('sha256');
    const piece = Buffer.alloc(64 << 10);
    for (let sent = 0; sent < total; sent += piece.length) {
      piece.fill(sent / piece.length);
      hash.update(piece);
      sink.push(Buffer.from(piece));
      if (sent % (1 << 20) === 0) await pace();
    }
    return hash.digest();
  }

  it('syncs every SYNC_EVERY bytes while writing, one at a time, all done when flush() resolves', async () => {
    const syncs: number[] = [];
    let inFlight = 0;
    let overlapped = false;
    let synced: Promise<void> = Promise.resolve();
    const sync = (target: number, done: (error: NodeJS.ErrnoException | null) => void) => {
      syncs.push(sink.written);
      overlapped ||= inFlight > 0;
      inFlight++;
      synced = new Promise((resolve) =>
        fdatasync(target, (error) => {
          inFlight--;
          done(error);
          resolve();
        }),
      );
    };
    const sink = new FileSink(fd, () => {}, sync);
    // The dump waits for a sync under way (a disk under load may take a second for 64 MiB; how many
    // syncs run while writing would otherwise depend on the disk, not on FileSink).
    const digest = await fill(sink, 3 * SYNC_EVERY + (5 << 20), () => synced);
    await sink.flush();
    expect(inFlight).toBe(0);
    expect(overlapped).toBe(false);
    // While writing, not only at the end (the next starts SYNC_EVERY after the one before has ended).
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    expect(syncs[0]).toBeGreaterThanOrEqual(SYNC_EVERY);
    expect(syncs[0]).toBeLessThan(2 * SYNC_EVERY);
    expect(syncs.every((at, i) => i === 0 || at - syncs[i - 1]! >= SYNC_EVERY)).toBe(true);
    expect(sink.written).toBe(3 * SYNC_EVERY + (5 << 20));
    expect(createHash('sha256').update(readFileSync(path.join(dir, 'archive'))).digest()).toEqual(digest);
  });

  it('a failed sync fails the archive: flush() rejects with it and later pushes throw', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const errors: Error[] = [];
    const sink = new FileSink(fd, () => {}, (_fd, done) => setTimeout(() => done(eio), 5));
    sink.onError = (error) => errors.push(error);
    await fill(sink, SYNC_EVERY + (2 << 20)).catch(() => {});
    await expect(sink.flush()).rejects.toBe(eio);
    expect(errors).toEqual([eio]);
    expect(() => sink.push(Buffer.alloc(1))).toThrow(eio);
  });

  it('settled() waits for a sync in flight before the file may be closed', async () => {
    let finish: (() => void) | null = null;
    const sink = new FileSink(fd, () => {}, (_fd, done) => (finish = () => done(null)));
    await fill(sink, SYNC_EVERY + (2 << 20));
    expect(finish).not.toBeNull();
    let settled = false;
    const waiting = sink.settled().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    finish!();
    await waiting;
    expect(settled).toBe(true);
  });

  it('a failed write fails the archive at once: push() throws it, onError hears it, flush() rejects with it', async () => {
    const readOnly = openSync(path.join(dir, 'archive'), 'r'); // writing to it fails with EBADF
    try {
      const errors: Error[] = [];
      const sink = new FileSink(readOnly, () => {});
      sink.onError = (error) => errors.push(error);
      const pushes = () => {
        for (let i = 0; i < 32; i++) sink.push(Buffer.alloc(64 << 10));
      };
      expect(pushes).toThrow(expect.objectContaining({ code: 'EBADF' }));
      expect(errors).toHaveLength(1);
      expect(sink.written).toBe(0);
      expect(() => sink.push(Buffer.alloc(1))).toThrow(errors[0]);
      await expect(sink.flush()).rejects.toBe(errors[0]);
    } finally {
      closeSync(readOnly);
    }
  });

  it('takes nothing once settled(): a write still under way when the archive is closed throws instead of reaching the file', async () => {
    const sink = new FileSink(fd, () => {});
    sink.push(Buffer.alloc(1000, 7)); // queued, below a batch
    await sink.settled();
    expect(() => sink.push(Buffer.alloc(2 << 20))).toThrow(/being closed/);
    await expect(sink.flush()).rejects.toThrow(/being closed/);
    expect(sink.written).toBe(0);
    expect(readFileSync(path.join(dir, 'archive')).length).toBe(0);
  });
});
