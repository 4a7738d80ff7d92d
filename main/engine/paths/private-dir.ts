// Folders only this user can use. Anything a cache or template folder holds is run or copied into a
// server, so a folder another local user could have made or can write to is never used: it must be
// a real directory (not a symlink), owned by this user, and writable by no one else.
import { lstat, mkdir, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The per-user cache folder: XDG_CACHE_HOME/lifeboat, ~/Library/Caches/Lifeboat, %LOCALAPPDATA%\Lifeboat\Cache. */
export function privateCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'Lifeboat');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Lifeboat', 'Cache');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'lifeboat');
}

/**
 * Creates `dir` (0700, with missing parents) and returns it when it is this user's own private
 * directory; a directory of ours that others may write to is made private; anything else (a
 * symlink, a file, another user's folder) gives null: the caller does without it.
 */
export async function ensurePrivateDir(dir: string): Promise<string | null> {
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => {});
  return (await isOwnPrivateDir(dir, { repair: true })) ? dir : null;
}

/** Whether `dir` is a directory (not a symlink) of this user (or of `owner`, a uid) that no other user can write to. */
export async function isOwnPrivateDir(dir: string, options: { repair?: boolean; owner?: number } = {}): Promise<boolean> {
  const info = await lstat(dir).catch(() => null);
  if (!info?.isDirectory()) return false;
  if (process.platform === 'win32' || !process.getuid) return true; // ACLs, not modes: the user profile is private
  if (info.uid !== (options.owner ?? process.getuid())) return false;
  if ((info.mode & 0o022) === 0) return true;
  if (!options.repair) return false;
  return chmod(dir, 0o700).then(() => true, () => false);
}

export const SERVER_USER_CACHE_NAME = 'lifeboat-root-cache';

/**
 * As root the embedded server runs as "nobody", which cannot enter root's private folders. What it
 * must reach (a readable copy of the server binaries, the demo cluster) and the scratch template live
 * in one folder under the temp folder that root owns and no one else can write to (0711: others may
 * pass through to a name they know, not list or create). Everything inside was made by root, so
 * nothing in it can have been planted. A folder someone else made at that name first is never used:
 * null, and the caller does without (or refuses).
 */
export async function serverUserCacheDir(): Promise<string | null> {
  const dir = path.join(os.tmpdir(), SERVER_USER_CACHE_NAME);
  await mkdir(dir, { mode: 0o711 }).catch(() => {});
  return (await isOwnPrivateDir(dir)) ? dir : null;
}

/** The uid that owns `file` when it is a real directory (not a symlink), else null. */
export async function directoryOwner(file: string): Promise<number | null> {
  const info = await lstat(file).catch(() => null);
  return info?.isDirectory() ? info.uid : null;
}
