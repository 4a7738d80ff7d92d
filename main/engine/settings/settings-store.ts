import { LifeboatError } from '../errors.ts';
import { JsonFileStore } from './json-file-store.ts';
import type { Settings } from '../model/settings.ts';
export type { CompressionMethod, EncryptionMode, Settings } from '../model/settings.ts';

/** Databases a whole-server run may dump at once: each costs a pg_dump, a backend and a core. */
export const MAX_RUN_CONCURRENCY = 8;

/** A recovery target longer than a week is not a target: most likely minutes typed as seconds. */
export const MAX_RECOVERY_TARGET_SECONDS = 7 * 24 * 3600;

export const DEFAULT_SETTINGS: Settings = {
  pgToolsDir: null,
  backupFolder: null,
  libraryFolders: [],
  encryptionMode: 'key',
  extraRecipients: [],
  compression: 'zstd',
  compressionLevel: 3,
  exactRowCounts: true,
  includeRolePasswords: false,
  drillAfterBackup: false,
  recoveryTargetSeconds: null,
  serverRunConcurrency: 2,
  timeZone: null,
  keepInTray: true,
  startAtLogin: false,
};

export class SettingsStore {
  readonly #file: JsonFileStore<Settings>;

  constructor(dataDir: string) {
    this.#file = new JsonFileStore<Settings>(dataDir, 'settings', DEFAULT_SETTINGS);
  }

  get(): Settings {
    return { ...DEFAULT_SETTINGS, ...this.#file.store };
  }

  update(patch: Partial<Settings>): Settings {
    if (patch.timeZone) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: patch.timeZone });
      } catch {
        throw new LifeboatError('INVALID_INPUT', `"${patch.timeZone}" is not a time zone this computer knows.`, 'Use an IANA name such as Europe/Berlin or America/New_York, or leave it empty for the computer\'s.');
      }
    }
    if (patch.serverRunConcurrency !== undefined && !(Number.isInteger(patch.serverRunConcurrency) && patch.serverRunConcurrency >= 1 && patch.serverRunConcurrency <= MAX_RUN_CONCURRENCY)) {
      throw new LifeboatError('INVALID_INPUT', `"${String(patch.serverRunConcurrency)}" is not a number of databases between 1 and ${MAX_RUN_CONCURRENCY}.`, 'Use 2 (the default); more only when the server and this computer have cores to spare.');
    }
    const target = patch.recoveryTargetSeconds;
    if (target !== undefined && target !== null && !(Number.isInteger(target) && target >= 1 && target <= MAX_RECOVERY_TARGET_SECONDS)) {
      throw new LifeboatError('INVALID_INPUT', `"${String(target)}" is not a recovery target between 1 second and 7 days.`, 'Give the time a restore and its verification may take, e.g. 15 minutes, or clear the target.');
    }
    for (const [key, value] of Object.entries(patch) as [keyof Settings, Settings[keyof Settings]][]) {
      if (value === undefined) continue;
      this.#file.set(key, value);
    }
    return this.get();
  }
}
