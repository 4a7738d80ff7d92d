// As root the server runs as "nobody" (PostgreSQL refuses root), which cannot reach binaries inside a
// private folder (a checkout or an app under /root, a 0700 temp folder). Then the binaries' folder
// (bin/ lib/ share/) is copied once into root's own cache folder under the temp folder
// (paths/private-dir.ts serverUserCacheDir): a copy at a predictable name in the shared temp folder
// could have been planted by anyone, and its programs would run.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serverUserCacheDir } from '../paths/private-dir.ts';

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
  const home = await serverUserCacheDir();
  if (!home) {
    // Someone else made a folder at the cache's name: a copy for this process only.
    const own = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-pg-native-'));
    await copyReadable(root, own);
    return path.join(own, path.basename(binDir));
  }
  const cache = path.join(home, `pg-native-${path.basename(path.dirname(root))}-${version}`);
  if (!(await stat(path.join(cache, '.complete')).then(() => true, () => false))) {
    const building = `${cache}.building-${randomBytes(4).toString('hex')}`;
    await mkdir(building);
    await copyReadable(root, building);
    await rename(building, cache).catch(async () => rm(building, { recursive: true, force: true })); // another process won
  }
  return path.join(cache, path.basename(binDir));
}

/** Copies the package's bin/ lib/ share/ into `dir`, readable (not writable) by everyone. */
async function copyReadable(root: string, dir: string): Promise<void> {
  // cp -a keeps the library symlinks the packages rely on.
  await run('cp', ['-a', `${root}/.`, dir]);
  await run('chmod', ['-R', 'go+rX,go-w', dir]);
  await writeFile(path.join(dir, '.complete'), '');
  await chmod(dir, 0o755);
}
