// Private temporary folders (0700) for passfiles, decrypted copies and GnuPG homes. Their names carry
// the owning process's pid, so a later start can remove what a killed process (SIGKILL, power loss)
// could not: a passfile or a decrypted dump must not outlive its job.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { directoryOwner } from '../paths/private-dir.ts';
import { isProcessAlive } from './process-alive.ts';

export type PrivateTempKind = 'pass' | 'restore' | 'gnupg' | 'scratch';

const OWNED_NAME = /^lifeboat-([a-z]+)-(\d+)-/;
/** The kinds removed wholesale below; a scratch folder's server is stopped first (scratch/embedded-postgres.ts). */
const REMOVED_WHOLESALE = new Set<string>(['pass', 'restore', 'gnupg'] satisfies PrivateTempKind[]);

export function makePrivateTemp(kind: PrivateTempKind): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `lifeboat-${kind}-${process.pid}-`));
}

/** The pid of the process that made a `kind` folder of this name, or null for another name. */
export function privateTempOwner(name: string, kind: PrivateTempKind): number | null {
  const match = OWNED_NAME.exec(name);
  return match?.[1] === kind ? Number(match[2]) : null;
}

/** Removes the private temporary folders of processes that no longer run; returns their paths. */
export async function removeDeadProcessTemps(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(os.tmpdir()).catch(() => [] as string[])) {
    const match = OWNED_NAME.exec(name);
    if (!match || !REMOVED_WHOLESALE.has(match[1]!) || isProcessAlive(Number(match[2]))) continue;
    const dir = path.join(os.tmpdir(), name);
    // Another user's folder of that name is theirs to keep.
    const owner = await directoryOwner(dir);
    if (owner === null || (process.getuid && owner !== process.getuid())) continue;
    await rm(dir, { recursive: true, force: true }).then(() => removed.push(dir), () => {});
  }
  return removed;
}
