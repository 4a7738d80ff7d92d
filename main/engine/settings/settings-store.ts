import Conf from 'conf';

export interface Settings {
  /** A folder of PostgreSQL client tools the user points Lifeboat to (tried after the bundled ones). */
  pgToolsDir: string | null;
}

const DEFAULTS: Settings = { pgToolsDir: null };

export class SettingsStore {
  readonly #conf: Conf<Settings>;

  constructor(dataDir: string) {
    this.#conf = new Conf<Settings>({ cwd: dataDir, configName: 'settings', defaults: DEFAULTS, clearInvalidConfig: false });
  }

  get(): Settings {
    return { ...DEFAULTS, ...this.#conf.store };
  }

  update(patch: Partial<Settings>): Settings {
    for (const [key, value] of Object.entries(patch) as [keyof Settings, Settings[keyof Settings]][]) {
      if (value === undefined) continue;
      this.#conf.set(key, value);
    }
    return this.get();
  }
}
