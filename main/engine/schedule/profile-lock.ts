// One job per profile at a time, across the app and the CLI: a lock file with the owner's pid.
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../jobs/process-alive.ts';

export interface Lock {
  release(): Promise<void>;
}


/** null when another live process holds it; a lock left by a dead process is taken over. */
export async function tryLock(dataDir: string, name: string): Promise<Lock | null> {
  const dir = path.join(dataDir, 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${name}.lock`);
  const mine = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const content = JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() });
  await writeFile(mine, content, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(mine, file); // atomic: fails when the lock exists
        return { release: () => rm(file, { force: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { pid: number; host: string }, () => null);
      if (holder && holder.host === os.hostname() && isProcessAlive(holder.pid)) return null;
      // Stale (dead owner, or unreadable): remove it, then race for it again through link().
      await rm(file, { force: true });
    }
    return null;
  } finally {
    await rm(mine, { force: true });
  }
}
