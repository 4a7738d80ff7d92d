// Databases a failed restore created but could not drop because the server was gone (stopped,
// restarted mid-restore). They are written down with their OID and dropped at the next restore on
// that server — only if the database of that name is still the very one Lifeboat created.
import { JsonFileStore } from '../settings/json-file-store.ts';
import type { Profile } from '../types.ts';
import type { TargetServer } from './target-server.ts';

interface LeftoverDatabase {
  host: string;
  port: number;
  database: string;
  oid: number;
  since: string;
}

export class LeftoverDatabases {
  readonly #file: JsonFileStore<{ leftovers: LeftoverDatabase[] }>;

  constructor(dataDir: string) {
    this.#file = new JsonFileStore(dataDir, 'restore-leftovers', { leftovers: [] });
  }

  remember(profile: Profile, database: string, oid: number, since: Date): void {
    this.#file.set('leftovers', [...this.#file.get('leftovers'), { host: profile.host, port: profile.port, database, oid, since: since.toISOString() }]);
  }

  /** Drops this server's recorded leftovers that still exist unchanged; returns the dropped names. */
  async sweep(profile: Profile, server: TargetServer): Promise<string[]> {
    const all = this.#file.get('leftovers');
    const mine = all.filter((l) => l.host === profile.host && l.port === profile.port);
    if (!mine.length) return [];
    const dropped: string[] = [];
    const keep: LeftoverDatabase[] = all.filter((l) => !mine.includes(l));
    for (const leftover of mine) {
      try {
        if ((await server.databaseOid(leftover.database)) === leftover.oid) {
          await server.dropDatabase(leftover.database);
          dropped.push(leftover.database);
        }
      } catch {
        keep.push(leftover); // try again next time
      }
    }
    this.#file.set('leftovers', keep);
    return dropped;
  }
}
