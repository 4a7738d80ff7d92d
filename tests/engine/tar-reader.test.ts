// The tar reader against GNU tar, the tool it imitates: members of a file `tar` wrote arrive whole and
// in order however the stream is cut, when the visitor keeps every chunk it was handed until the end
// (the reader hands out views of the source's chunks, no copies: a direct restore holds one back).
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../main/engine/archive/tar-reader.ts';

const run = promisify(execFile);

describe('readTar', () => {
  let dir: string;
  let tarBytes: Buffer;
  const members = new Map<string, Buffer>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-tar-'));
    // Sizes on, just off, and far from the 512-byte blocks; one empty member.
    for (const [name, size] of [['a.bin', 0], ['b.bin', 511], ['c.bin', 512], ['d.bin', 70_001], ['e.bin', 1_048_576 + 3]] as const) {
      const data = crypto.randomBytes(size);
      members.set(name, data);
      await writeFile(path.join(dir, name), data);
    }
    await run('tar', ['--format=ustar', '-cf', path.join(dir, 'all.tar'), '-C', dir, ...members.keys()]);
    tarBytes = await readFile(path.join(dir, 'all.tar'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The tar's bytes in fresh pieces of random sizes (1 byte to 200 KB), some as plain Uint8Arrays. */
  async function* cut(seed: number): AsyncGenerator<Uint8Array> {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
    for (let at = 0; at < tarBytes.length; ) {
      const n = Math.min(tarBytes.length - at, 1 + (next() % 200_000));
      const piece = new Uint8Array(tarBytes.subarray(at, at + n)); // a copy of its own, as a stream hands out
      yield next() % 2 ? piece : Buffer.from(piece.buffer);
      at += n;
    }
  }

  it.each([1, 2, 3, 4, 5])('reads every member of a GNU tar file whole, chunks kept to the end (cut %i)', async (seed) => {
    const kept = new Map<string, Buffer[]>();
    let current = '';
    await readTar(cut(seed), {
      entry: (header) => void kept.set((current = header.name), []),
      data: (chunk) => void kept.get(current)!.push(chunk),
      entryEnd: () => {},
    });
    expect([...kept.keys()]).toEqual([...members.keys()]);
    for (const [name, data] of members) expect(Buffer.concat(kept.get(name)!).equals(data)).toBe(true);
  });
});
