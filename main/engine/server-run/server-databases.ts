// The server's databases as the profile's user sees them, with its version: what a run resolves its
// scope against. One short connection to the profile's own (maintenance) database.
import { connectProfile } from '../db/pg-connect.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import type { ServerDatabase } from '../profiles/database-scope.ts';

export interface ServerListing {
  version: string;
  versionNum: number;
  databases: ServerDatabase[];
}

/** Databases that accept connections (template0 does not); the size only where this user may connect. */
export async function listServerDatabases(target: ConnectTarget, password: string | null): Promise<ServerListing> {
  const { client } = await connectProfile(target, password);
  try {
    const version = await client.query<{ version: string; num: string }>("SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num");
    const { rows } = await client.query<{ name: string; template: boolean; bytes: string | null }>(`
      SELECT datname AS name, datistemplate AS template,
             CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid) END AS bytes
        FROM pg_database WHERE datallowconn ORDER BY datname`);
    return {
      version: version.rows[0]!.version.split(' ')[0]!,
      versionNum: Number(version.rows[0]!.num),
      databases: rows.map((r) => ({ name: r.name, isTemplate: r.template, bytes: r.bytes === null ? null : Number(r.bytes) })),
    };
  } finally {
    await client.end().catch(() => {});
  }
}
