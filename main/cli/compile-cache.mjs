// The CLI's compile cache folder, checked in plain JavaScript: importing any TypeScript module before
// the cache is on loads Node's type stripper (~60 ms of every start, a quarter of it). The rule is
// engine/paths/private-dir.ts's (privateCacheDir, ensurePrivateDir), which the engine's other caches
// use: the cache runs as code, so it must be a real directory of this user that no one else can write to.
import { chmod, lstat, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** XDG_CACHE_HOME/lifeboat/compile-cache (macOS, Windows: their cache folders), or null when it is not this user's own. */
export async function privateCompileCacheDir(env = process.env, platform = process.platform) {
  const home = os.homedir();
  const cacheRoot =
    platform === 'darwin'
      ? path.join(home, 'Library', 'Caches', 'Lifeboat')
      : platform === 'win32'
        ? path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Lifeboat', 'Cache')
        : path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'lifeboat');
  const dir = path.join(cacheRoot, 'compile-cache');
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch(() => {});
  const info = await lstat(dir).catch(() => null);
  if (!info?.isDirectory()) return null;
  if (platform === 'win32' || !process.getuid) return dir;
  if (info.uid !== process.getuid()) return null;
  if ((info.mode & 0o022) === 0) return dir;
  return chmod(dir, 0o700).then(() => dir, () => null);
}
