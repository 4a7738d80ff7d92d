// The socket between pg_dump and the archive's worker thread (archive/archive-thread.ts,
// files/dump-socket.ts): made by this process for its own worker only — the socket's name is gone once
// the worker connected, its folder was private meanwhile — and a channel no archive took ends its
// worker (a CLI whose backup failed early must not hang on it).
import { once } from 'node:events';
import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDumpChannel, releaseDumpChannel } from '../../main/engine/archive/archive-thread.ts';
import { listenForOneConnection } from '../../main/engine/files/dump-socket.ts';

const dumpFolders = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith('lifeboat-dump-'));

describe('the dump channel', () => {
  it('listens in a private folder, for one connection, and leaves nothing behind', async () => {
    const before = await dumpFolders();
    const listening = (await listenForOneConnection())!;
    const { mode } = await stat(path.dirname(listening.path));
    expect(mode & 0o777).toBe(0o700);
    const first = net.connect(listening.path);
    const accepted = await listening.accepted;
    expect(accepted).toBeInstanceOf(net.Socket);
    // Nobody else can connect afterwards: the name is gone with the folder.
    await expect(new Promise((resolve, reject) => net.connect(listening.path).once('connect', resolve).once('error', reject))).rejects.toThrow(/ENOENT|ECONNREFUSED/);
    await listening.close(); // already under way once the connection came: resolves when the folder is gone
    expect(await dumpFolders()).toEqual(before);
    first.destroy();
    accepted.destroy();
  });

  it('connects a worker thread, and a channel no archive took ends its worker', async () => {
    const channel = (await openDumpChannel())!;
    const exited = once(channel.worker, 'exit');
    releaseDumpChannel(channel);
    releaseDumpChannel(channel); // again: nothing more happens
    await exited;
    expect(channel.stdout.destroyed).toBe(true);
  });
});
