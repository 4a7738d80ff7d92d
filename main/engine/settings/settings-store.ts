import { LifeboatError } from '../errors.ts';
import { JsonFileStore } from './json-file-store.ts';
import type { Settings } from '../model/settings.ts';
export type { CompressionMethod, EncryptionMode, Settings } from '../model/settings.ts';

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
    for (const [key, value] of Object.entries(patch) as [keyof Settings, Settings[keyof Settings]][]) {
      if (value === undefined) continue;
      this.#file.set(key, value);
    }
    return this.get();
  }
}
