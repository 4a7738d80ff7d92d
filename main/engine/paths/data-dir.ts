import os from 'node:os';
import path from 'node:path';

/**
 * The folder for profiles, settings and history. Same place Electron's `userData` points to,
 * so the app and the CLI share one data directory. LIFEBOAT_HOME overrides it (tests, portable use).
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.LIFEBOAT_HOME) return path.resolve(env.LIFEBOAT_HOME);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Lifeboat');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Lifeboat');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'Lifeboat');
}

/** Where build/pg-tools/build.sh caches the PostgreSQL 18 client bundle during development. */
export function defaultToolsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIFEBOAT_PG_TOOLS_CACHE) return path.resolve(env.LIFEBOAT_PG_TOOLS_CACHE);
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'lifeboat', 'pg-tools');
}

/** Where backups go unless a profile or the settings say otherwise. */
export function defaultBackupFolder(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  // With LIFEBOAT_HOME (tests, portable use) everything stays under it.
  if (env.LIFEBOAT_HOME) return path.join(dataDir, 'backups');
  return path.join(os.homedir(), 'Lifeboat Backups');
}
