// A JSON file in the data folder (settings, profiles, schedules), read fresh on every access so the
// app and the CLI see each other's changes, written atomically (temp file, fsync, rename), 0600.
// Replaces `conf`, whose dependency hooks every signal at import and re-raises it: Ctrl-C skipped the
// CLI's own cancel and an RLIMIT_FSIZE killed the process instead of failing the write.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';

export class JsonFileStore<T extends object> {
  readonly file: string;
  readonly #defaults: T;

  constructor(dir: string, name: string, defaults: T) {
    this.file = path.join(dir, `${name}.json`);
    this.#defaults = defaults;
  }

  get store(): T {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(this.#defaults);
      throw error;
    }
    try {
      return { ...structuredClone(this.#defaults), ...(JSON.parse(text) as T) };
    } catch {
      throw new LifeboatError('INVALID_INPUT', `${this.file} is not valid JSON (edited by hand, or damaged).`, `Fix or remove that file; Lifeboat recreates it with defaults (${path.basename(this.file)} holds no passwords).`);
    }
  }

  get<K extends keyof T>(key: K): T[K] {
    return this.store[key];
  }

  set<K extends keyof T>(key: K, value: T[K]): void {
    this.write({ ...this.store, [key]: value });
  }

  write(data: T): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(data, undefined, '\t')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.file);
    } catch (error) {
      rmSync(temp, { force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EACCES' || code === 'EROFS') {
        throw new LifeboatError('INVALID_INPUT', `Lifeboat could not save ${this.file} (${code}).`, 'Free space on that disk or make the folder writable, then try again.', { cause: error });
      }
      throw error;
    }
  }
}
