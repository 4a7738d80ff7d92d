// The archive writer's dump parts: every size around the part boundary, fed in uneven chunks, comes
// back byte for byte — through Lifeboat's reader and through the system's `age` and `tar`.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUMP_PART_SIZE, type ArchiveChecksums, type ArchiveManifest, type ArchiveSidecar } from '../../main/engine/archive/archive-format.ts';
import { walkArchive } from '../../main/engine/archive/archive-reader.ts';
import { writeArchiveFile } from '../../main/engine/archive/archive-writer.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { seededRandom } from '../faults/fault-tier.ts';

const run = promisify(execFile);
const key = generateAgeKeyPair();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-archive-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `bytes` of pseudo-random data as a stream of uneven chunks (1 byte … 200 KiB), like a pipe. */
function dumpStream(data: Buffer, seed: number): Readable {
  const random = seededRandom(seed);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; ) {
    const n = Math.min(data.length - offset, 1 + Math.floor(random() ** 3 * 200 * 1024));
    chunks.push(data.subarray(offset, offset + n));
    offset += n;
  }
  return Readable.from(chunks, { objectMode: false });
}

const manifest = {
  format: 'lifeboat-archive', formatVersion: 1, createdBy: 'test', startedAt: '2026-12-01T00:00:00.000Z',
  source: { profile: 'p', host: 'h', port: 5432, database: 'd', user: 'u' }, tables: [], notes: [],
} as unknown as ArchiveManifest;

function write(data: Buffer, seed: number, name: string, signal = new AbortController().signal) {
  return writeArchiveFile({
    folder: dir,
    fileName: `${name}.lifeboat`,
    encryption: { recipients: [key.recipient] },
    signal,
    content: {
      manifest,
      globals: Buffer.from('-- globals\n'),
      dump: dumpStream(data, seed),
      finish: async (dump, globals) => ({ dump, globals, rowCounts: null, finishedAt: '2026-12-01T00:00:01.000Z', timings: { totalMs: 1, globalsMs: 0, dumpMs: 1, rowCountsMs: null } }) as unknown as ArchiveChecksums,
    },
    sidecar: ({ bytes, sha256, fileName }) => ({ archive: fileName, bytes, sha256 }) as unknown as ArchiveSidecar,
  });
}

describe('dump parts', () => {
  const sizes = [0, 1, 511, DUMP_PART_SIZE - 1, DUMP_PART_SIZE, DUMP_PART_SIZE + 1, 2 * DUMP_PART_SIZE, 3 * DUMP_PART_SIZE + 12_345];

  it.each(sizes)('a %i-byte dump: whole parts of the fixed size, the rest in the last, the same bytes back', async (size) => {
    const data = crypto.randomBytes(size);
    const written = await write(data, size + 1, `dump-${size}`);
    const expectedParts = Math.max(1, Math.ceil(size / DUMP_PART_SIZE));

    const chunks: Buffer[] = [];
    const walk = await walkArchive(written.path, { identities: [key.identity] }, { onDump: (chunk) => void chunks.push(Buffer.from(chunk)) });
    expect(walk.dumpParts).toBe(expectedParts);
    expect(walk.dumpBytes).toBe(size);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(walk.dumpSha256).toBe(crypto.createHash('sha256').update(data).digest('hex'));
    expect(written.sha256).toBe(crypto.createHash('sha256').update(await readFile(written.path)).digest('hex'));

    // The way the README recovers without Lifeboat: age -d | tar -x, then cat database.dump.*
    if (size === 2 * DUMP_PART_SIZE || size === 3 * DUMP_PART_SIZE + 12_345) {
      const out = path.join(dir, `x-${size}`);
      const identity = path.join(dir, `key-${size}.txt`);
      await writeFile(identity, `${key.identity}\n`, { mode: 0o600 });
      await run('sh', ['-c', `mkdir -p "${out}" && age -d -i "${identity}" "${written.path}" | tar -x -C "${out}"`]);
      const names = (await readdir(out)).filter((n) => n.startsWith('database.dump.')).sort();
      expect(names).toHaveLength(expectedParts);
      const joined = Buffer.concat(await Promise.all(names.map((n) => readFile(path.join(out, n)))));
      expect(joined.equals(data)).toBe(true);
      for (const n of names.slice(0, -1)) expect((await readFile(path.join(out, n))).length).toBe(DUMP_PART_SIZE);
    }
  });
});

describe('final names', () => {
  it('backups finishing together under one name each get their own (-2, -3…), with their own sidecar; a sidecar left without its archive is not written over', async () => {
    const data = crypto.randomBytes(200_000);
    const written = await Promise.all([1, 2, 3, 4].map((seed) => write(data, seed, 'same-second')));
    const names = written.map((w) => path.basename(w.path)).sort();
    expect(names).toEqual(['same-second-2.lifeboat', 'same-second-3.lifeboat', 'same-second-4.lifeboat', 'same-second.lifeboat']);
    for (const w of written) {
      const sidecar = JSON.parse(await readFile(w.sidecarPath, 'utf8'));
      expect(sidecar).toEqual({ archive: path.basename(w.path), bytes: w.bytes, sha256: crypto.createHash('sha256').update(await readFile(w.path)).digest('hex') });
    }
    await writeFile(path.join(dir, 'orphan.lifeboat.json'), '{"left":"behind"}');
    const next = await write(data, 5, 'orphan');
    expect(path.basename(next.path)).toBe('orphan-2.lifeboat');
    expect(await readFile(path.join(dir, 'orphan.lifeboat.json'), 'utf8')).toBe('{"left":"behind"}');
    expect((await readdir(dir)).filter((n) => n.startsWith('same-second') || n.startsWith('orphan')).filter((n) => !/\.lifeboat(\.json)?$/.test(n))).toEqual([]); // no partial or temporary file left
  });
});

describe('cancelling', () => {
  it('a cancel that comes while the partial file is still being opened is not lost: nothing is kept', async () => {
    const controller = new AbortController();
    const writing = write(crypto.randomBytes(64 * 1024), 7, 'cancelled-early', controller.signal);
    controller.abort(new Error('cancelled by the test'));
    await expect(writing).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await readdir(dir)).filter((name) => name.startsWith('cancelled-early'))).toEqual([]);
  });
});
