// An archive is written as X.lifeboat.<host>-<pid>.<random>.partial and renamed when complete. A
// writer killed midway (SIGKILL, power loss) leaves its partial file: this sweep removes those of
// this host's dead writers — another machine's in-progress backup in a shared folder is not ours.
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../jobs/process-alive.ts';
import { hostTag } from './archive-writer.ts';

/** Leftovers of backups whose process died (SIGKILL, power loss): their writer pid is gone. */
export async function removeStalePartials(folder: string, names: string[]): Promise<string[]> {
  const removed: string[] = [];
  const here = hostTag();
  for (const name of names) {
    const match = /\.lifeboat\.(?:([0-9a-f]{8})-)?(\d+)(\.[0-9a-f]+)?\.partial$/.exec(name);
    if (!match || isProcessAlive(Number(match[2]))) continue;
    // Another machine's backup (a shared folder) is not ours to judge; a name without a host (an
    // older Lifeboat) only once it is a day old.
    if (match[1] !== undefined && match[1] !== here) continue;
    if (match[1] === undefined && !(await olderThan(path.join(folder, name), 24 * 3600_000))) continue;
    await rm(path.join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  const info = await stat(file).catch(() => null);
  return info !== null && Date.now() - info.mtimeMs > ms;
}
