// The renderer is untrusted: a page that runs script could name any path on the disk. A path it may
// write to or read from must be one a main-process dialog returned to the user moments ago — the
// page can ask for the dialog, but only the user decides what it returns. Save grants are used once;
// open and folder grants last a while (a preview and then the import read the same file).
import path from 'node:path';
import { LifeboatError } from '../engine/errors.ts';

export type GrantKind = 'open' | 'folder' | 'save';

/** How long a chosen path stays usable. */
const GRANT_MS = 30 * 60_000;
const MAX_GRANTS = 200;

export class PathGrants {
  readonly #grants = new Map<string, { kind: GrantKind; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records what a dialog returned (null: cancelled, nothing to record); returns it unchanged. */
  grant(kind: GrantKind, chosen: string | null): string | null {
    if (chosen === null) return null;
    this.#grants.set(`${kind}\0${path.resolve(chosen)}`, { kind, at: this.#now() });
    while (this.#grants.size > MAX_GRANTS) this.#grants.delete(this.#grants.keys().next().value!);
    return chosen;
  }

  /** Whether a `kind` grant for the path is current (without using it up). */
  has(kind: GrantKind, file: string): boolean {
    const grant = this.#grants.get(`${kind}\0${path.resolve(file)}`);
    return grant !== undefined && this.#now() - grant.at <= GRANT_MS;
  }

  /** The path, when a `kind` dialog returned it recently (a save grant is used up); otherwise a refusal naming what to do. */
  use(kind: GrantKind, file: string, what: string): string {
    const key = `${kind}\0${path.resolve(file)}`;
    const grant = this.#grants.get(key);
    if (!grant || this.#now() - grant.at > GRANT_MS) {
      const dialog = kind === 'save' ? 'a save dialog' : kind === 'folder' ? 'a folder dialog' : 'an open dialog';
      throw new LifeboatError('INVALID_INPUT', `${what}: ${file} was not chosen in ${dialog} just now, so Lifeboat does not ${kind === 'save' ? 'write' : 'read'} it.`, `Choose the ${kind === 'folder' ? 'folder' : 'file'} again with the button that opens the dialog.`);
    }
    if (kind === 'save') this.#grants.delete(key);
    return path.resolve(file);
  }
}
