// pg_dump's way to the archive's worker thread (archive/archive-thread.ts): a Unix socket (Linux,
// files/dump-socket.ts) made by this process for its own worker only — the socket's name is gone once
// the worker connected, its folder was private meanwhile — or a FIFO (elsewhere); both carry a dump
// into the archive byte for byte, and a channel no archive took ends its worker (a CLI whose backup
// failed early must not hang on it).
import crypto from 'node:crypto';
import { once } from 'node:events';
import { write } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar } from '../../main/engine/archive/archive-format.ts';
import { walkArchive } from '../../main/engine/archive/archive-reader.ts';
import { closeDumpStdout, openDumpChannel, releaseDumpChannel, type DumpChannel } from '../../main/engine/archive/archive-thread.ts';
import { writeArchiveFile } from '../../main/engine/archive/archive-writer.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { listenForOneConnection } from '../../main/engine/files/dump-socket.ts';

const writeAsync = promisify(write);

describe('the dump channel', () => {
  it('listens in a private folder, for one connection, and leaves nothing behind', async () => {
    const listening = (await listenForOneConnection())!;
    const { mode } = await stat(path.dirname(listening.path));
    expect(mode & 0o777).toBe(0o700);
    const first = net.connect(listening.path);
    const accepted = await listening.accepted;
    expect(accepted).toBeInstanceOf(net.Socket);
    // Nobody else can connect afterwards: the name is gone with the folder.
    await expect(new Promise((resolve, reject) => net.connect(listening.path).once('connect', resolve).once('error', reject))).rejects.toThrow(/ENOENT|ECONNREFUSED/);
    await listening.close(); // already under way once the connection came: resolves when the folder is gone
    await expect(stat(path.dirname(listening.path))).rejects.toMatchObject({ code: 'ENOENT' });
    first.destroy();
    accepted.destroy();
  });

  it.each(['socket', 'fifo'] as const)('a channel (%s) no archive took ends its worker', async (way) => {
    const channel = (await openDumpChannel(way))!;
    expect(channel.reads === 'socket').toBe(way === 'socket');
    const exited = once(channel.worker, 'exit');
    releaseDumpChannel(channel);
    releaseDumpChannel(channel); // again: nothing more happens
    await exited;
    expect(channel.stdoutClosed).toBe(true);
  });

  it.each(['socket', 'fifo'] as const)('carries a dump through the %s into the archive, byte for byte', async (way) => {
    const key = generateAgeKeyPair();
    const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-channel-'));
    try {
      const channel = (await openDumpChannel(way))!;
      const data = crypto.randomBytes(3 * 1024 * 1024 + 7);
      const playing = playPgDump(channel, data); // this test is pg_dump: it writes, then closes its end
      const written = await writeArchiveFile({
        folder,
        fileName: 'through.lifeboat',
        encryption: { recipients: [key.recipient] },
        signal: new AbortController().signal,
        content: {
          manifest: MANIFEST,
          globals: Buffer.from('-- globals\n'),
          dump: { channel },
          finish: async (dump, globals) => ({ dump, globals, rowCounts: null, finishedAt: '2026-12-01T00:00:01.000Z', timings: { totalMs: 1, globalsMs: 0, dumpMs: 1, rowCountsMs: null } }) as unknown as ArchiveChecksums,
        },
        sidecar: ({ bytes, sha256, fileName }) => ({ archive: fileName, bytes, sha256 }) as unknown as ArchiveSidecar,
      });
      await playing;
      const chunks: Buffer[] = [];
      await walkArchive(written.path, { identities: [key.identity] }, { onDump: (chunk) => void chunks.push(Buffer.from(chunk)) });
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      releaseDumpChannel(channel); // taken by the archive: only closes what is still open here
      expect(channel.worker.threadId).not.toBe(-1); // back in the pool, not ended
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

const MANIFEST = {
  format: 'lifeboat-archive', formatVersion: 1, createdBy: 'test', startedAt: '2026-12-01T00:00:00.000Z',
  source: { profile: 'p', host: 'h', port: 5432, database: 'd', user: 'u' }, tables: [], notes: [],
} as unknown as ArchiveManifest;

/** Writes `data` into pg_dump's end of the channel, then closes it (end of the dump). */
async function playPgDump(channel: DumpChannel, data: Buffer): Promise<void> {
  if (typeof channel.stdout === 'number') {
    for (let offset = 0; offset < data.length; ) offset += (await writeAsync(channel.stdout, data, offset, data.length - offset)).bytesWritten;
  } else {
    const socket = channel.stdout;
    await new Promise<void>((resolve) => socket.end(data, resolve));
  }
  closeDumpStdout(channel);
}
