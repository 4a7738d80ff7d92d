import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LibraryService } from './archive/library-service.ts';
import { BackupService } from './backup/backup-service.ts';
import { KeyService } from './keys/key-service.ts';
import { RestoreService } from './restore/restore-service.ts';
import { DrillService } from './drill/drill-service.ts';
import { DemoServer } from './demo/demo-server.ts';
import { defaultToolsCacheDir, resolveDataDir } from './paths/data-dir.ts';
import { ToolResolver } from './pgtools/tool-resolver.ts';
import { systemClock, type Clock } from './ports.ts';
import { ProfileService } from './profiles/profile-service.ts';
import { openSecretStore } from './secrets/keychain-store.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { SettingsStore } from './settings/settings-store.ts';

export interface EngineOptions {
  dataDir?: string;
  secrets?: SecretStore;
  clock?: Clock;
  /** bin/ folder of the bundled PostgreSQL 18 client tools; defaults to the development cache. */
  bundledToolsDir?: string | null;
  /** Use only the tools in this folder (LIFEBOAT_PG_BIN / --pg-bin). */
  toolsOverrideDir?: string | null;
  /** Recorded in every archive's manifest; defaults to package.json's version. */
  appVersion?: string;
}

export type Engine = Awaited<ReturnType<typeof createEngine>>;

/** The one place the engine's services are assembled. */
export async function createEngine(options: EngineOptions = {}) {
  const dataDir = options.dataDir ?? resolveDataDir();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets = options.secrets ?? (await openSecretStore());
  const clock = options.clock ?? systemClock;
  const settings = new SettingsStore(dataDir);
  const tools = new ToolResolver({
    bundledDir: options.bundledToolsDir !== undefined ? options.bundledToolsDir : defaultBundledToolsDir(),
    configuredDir: () => settings.get().pgToolsDir,
    overrideDir: options.toolsOverrideDir ?? process.env.LIFEBOAT_PG_BIN ?? null,
  });
  const profiles = new ProfileService({ dataDir, secrets, tools, clock });
  const keys = new KeyService({ secrets, settings, clock });
  const appVersion = options.appVersion ?? packageVersion();
  const backups = new BackupService({ profiles, tools, keys, settings, clock, dataDir, appVersion });
  const library = new LibraryService({ profiles, settings, keys, tools, clock, dataDir });
  const restores = new RestoreService({ profiles, tools, keys, backups, clock });
  const drills = new DrillService({ restores, profiles, tools, keys, clock, dataDir, appVersion });
  const demo = new DemoServer({ dataDir, profiles });
  return { dataDir, appVersion, secrets, settings, tools, profiles, keys, backups, library, restores, drills, demo };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** LIFEBOAT_BUNDLED_PG_TOOLS, else the cache build/pg-tools/build.sh fills, when it holds a bundle. */
export function defaultBundledToolsDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LIFEBOAT_BUNDLED_PG_TOOLS) return env.LIFEBOAT_BUNDLED_PG_TOOLS;
  const dir = path.join(defaultToolsCacheDir(env), '18', 'bin');
  return existsSync(dir) ? dir : null;
}

export { LifeboatError, toErrorInfo } from './errors.ts';
export type * from './types.ts';
