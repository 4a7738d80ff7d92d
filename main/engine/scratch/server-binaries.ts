// As root the server runs as "nobody" (PostgreSQL refuses root), which cannot reach binaries inside a
// private folder (a checkout or an app under /root, a 0700 temp folder). Then the binaries' folder
// (bin/ lib/ share/) is copied once to a world-readable cache under the temp folder.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerUser {
  uid: number;
  gid: number;
}

const resolved = new Map<string, Promise<string>>();

/** `binDir` itself when `user` can run its programs, else the bin folder of a readable copy. */
export function binDirFor(binDir: string, user: ServerUser | null): Promise<string> {
  if (!user) return Promise.resolve(binDir);
  let result = resolved.get(binDir);
  if (!result) {
    result = resolve(binDir, user);
    resolved.set(binDir, result);
    result.catch(() => resolved.delete(binDir));
  }
  return result;
}

async function resolve(binDir: string, user: ServerUser): Promise<string> {
  const probe = path.join(binDir, 'pg_ctl');
  const reachable = await run('/bin/sh', ['-c', 'test -x "$1"', 'sh', probe], { uid: user.uid, gid: user.gid }).then(() => true, () => false);
  if (reachable) return binDir;
  const root = path.dirname(binDir);
  const version = (await stat(probe)).mtimeMs.toString(36);
  const cache = path.join(os.tmpdir(), `lifeboat-pg-native-${path.basename(path.dirname(root))}-${version}`);
  const done = path.join(cache, '.complete');
  if (!(await stat(done).then(() => true, () => false))) {
    const building = `${cache}.building-${randomBytes(4).toString('hex')}`;
    await mkdir(building, { recursive: true });
    // cp -a keeps the library symlinks the packages rely on.
    await run('cp', ['-a', `${root}/.`, building]);
    await run('chmod', ['-R', 'go+rX', building]);
    await writeFile(path.join(building, '.complete'), '');
    await chmod(building, 0o755);
    await rename(building, cache).catch(async () => rm(building, { recursive: true, force: true })); // another process won
  }
  return path.join(cache, path.basename(binDir));
}
